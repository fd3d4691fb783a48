#ifndef COI_FOLDERS_H
#define COI_FOLDERS_H

/* The COI folders <root>/Chats and <root>/Contacts: creating and
   subscribing them where missing (CS-10, CS-16). Debian's Dovecot has no
   MAILBOX_FLAG_AUTO_CREATE, so COI creates and subscribes them itself.
   Never asserts: every failure is returned as an error. */

struct mail_user;
struct coi_config;

/* Ensures that the mailbox vname (a full name in one of the user's
   private namespaces) exists; when it had to be created, it is also
   subscribed. Returns 1 if it was created, 0 if it already existed, -1 on
   error (error_r set; nothing is logged). */
int coi_folder_ensure(struct mail_user *user, const char *vname,
		      const char **error_r);

/* Ensures config->chats_mailbox (created ones are subscribed). Returns
   0 if it exists afterwards, -1 on error (error_r set). */
int coi_folders_ensure_chats(struct mail_user *user,
			     const struct coi_config *config,
			     const char **error_r);
/* Ensures config->chats_mailbox and config->contacts_mailbox. Returns 0
   if both exist afterwards, -1 on error (error_r set). */
int coi_folders_ensure_all(struct mail_user *user,
			   const struct coi_config *config,
			   const char **error_r);

/* TRUE while coi_folder_ensure() creates a mailbox: the folder rules
   (CS-13) do not treat COI's own creations as the user's. */
bool coi_folders_creating(void);

#endif
