#ifndef COI_CONFIG_H
#define COI_CONFIG_H

/* The user's COI configuration: the METADATA keys under
   /private/vendor/vendor.dovecot/coi/config (CS-06..CS-09, CS-16) with the
   admin's defaults (settings) for users who never set them. Read fresh on
   every call: no cache that could lag behind a SETMETADATA. */

struct mail_user;
struct mailbox;

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

/* The admin's settings of the coi plugin (plugin { } block), read in
   coi_settings_read() only. */
struct coi_settings {
	/* coi_mailbox_root: COI root relative to the INBOX namespace's
	   prefix, with the namespace's hierarchy separator. */
	const char *mailbox_root;
	/* coi_mailbox_root_per_user: users may set C/mailbox-root. */
	bool mailbox_root_per_user;
	/* coi_default_enabled: C/enabled for users who never set it. */
	bool default_enabled;
	/* coi_default_message_filter: C/message-filter for users who never
	   set it. */
	enum coi_message_filter default_message_filter;
};

/* The event to log COI configuration changes on: the user's coi event,
   or the user's own event when the plugin is not active for the user. */
struct event *coi_config_event(struct mail_user *user);

/* Reads the plugin settings. Invalid values are logged as errors on the
   user's coi event and replaced by the built-in defaults. */
void coi_settings_read(struct mail_user *user, struct coi_settings *set_r);

/* What is stored for the user (NULL = not stored). Values are read from
   the attribute storage directly, without the admin defaults. */
struct coi_config_stored {
	const char *enabled;
	const char *message_filter;
	const char *mailbox_root;
	/* The user removed C/enabled (NIL) or COI was disabled indirectly
	   (CS-12): the admin default of enabled no longer applies. */
	bool enabled_removed;
};

/* Reads the stored values from inbox (the user's INBOX). A storage
   without an attribute dictionary counts as "nothing stored". Returns 0
   on success, -1 on error (error_r set). */
int coi_config_read_stored(struct mailbox *inbox,
			   struct coi_config_stored *stored_r,
			   const char **error_r);
/* Builds the effective configuration from stored values and settings. */
void coi_config_from_stored(struct mail_user *user,
			    const struct coi_settings *set,
			    const struct coi_config_stored *stored,
			    struct coi_config *config_r);
/* The admin's COI root as the full mailbox name (INBOX namespace prefix
   + coi_mailbox_root). */
const char *coi_config_default_root(struct mail_user *user,
				    const struct coi_settings *set);

/* Sets (enabled=TRUE: "yes") or removes C/enabled, as a SETMETADATA would
   (the same checks and side effects run). reason says why, for the log
   line. Returns 0 on success, -1 on error (error_r set). */
int coi_config_set_enabled(struct mail_user *user, bool enabled,
			   const char *reason, const char **error_r);
/* Sets C/message-filter, as a SETMETADATA would (the same checks and side
   effects run). Returns 0 on success, -1 on error (error_r set). */
int coi_config_set_message_filter(struct mail_user *user,
				  enum coi_message_filter filter,
				  const char *reason, const char **error_r);
/* While coi_config_set_enabled() or coi_config_set_message_filter() runs: its reason; otherwise NULL (the
   change came from METADATA). */
const char *coi_config_change_reason(void);

#endif
