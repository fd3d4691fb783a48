#ifndef COI_CONFIG_H
#define COI_CONFIG_H

/* The user's COI configuration: the METADATA keys under
   /private/vendor/vendor.dovecot/coi/config (CS-06..CS-09, CS-16) with the
   admin's defaults (settings) for users who never set them. Read fresh on
   every call: no cache that could lag behind a SETMETADATA. */

struct mail_user;

enum coi_message_filter {
	COI_MESSAGE_FILTER_NONE = 0,
	COI_MESSAGE_FILTER_ACTIVE,
	COI_MESSAGE_FILTER_SEEN,
};

struct coi_config {
	/* C/enabled is "yes" (or the admin default enables COI). */
	bool enabled;
	/* C/message-filter; NONE unless enabled. */
	enum coi_message_filter message_filter;
	/* Full mailbox name of the COI root ("COI" by default), with the
	   INBOX namespace prefix. */
	const char *mailbox_root;
	/* Full names of <root>/Chats and <root>/Contacts, with the INBOX
	   namespace's separator. */
	const char *chats_mailbox;
	const char *contacts_mailbox;
};

/* Reads the user's current configuration into config_r (strings from the
   data stack). Returns 0 on success, -1 on error (error_r set; the caller
   then behaves as if COI were disabled, never loses mail). */
int coi_config_read(struct mail_user *user, struct coi_config *config_r,
		    const char **error_r);

/* Parses a message-filter value ("none", "active", "seen"; lower case
   only). Returns FALSE for anything else. */
bool coi_message_filter_parse(const char *value,
			      enum coi_message_filter *filter_r);
const char *coi_message_filter_to_str(enum coi_message_filter filter);

#endif
