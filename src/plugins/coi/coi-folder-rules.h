#ifndef COI_FOLDER_RULES_H
#define COI_FOLDER_RULES_H

/* The folder rules of CS-12..CS-14, as hooks on the mailboxes of the
   user's INBOX namespace (shared and public namespaces are left alone):

   - DELETE of <root>/Chats, or RENAME of it (or of an ancestor) under the
     \Trash special-use mailbox or the default trash "Trash", disables COI
     once the operation succeeded;
   - any other RENAME of <root>/Chats (or of an ancestor) is refused with
     NO [CANNOT] while COI is enabled;
   - CREATE of <root>/Chats, or a RENAME that makes it exist, enables COI.

   Each change goes through C/enabled, so it is visible at once. */

struct mailbox;

/* Part of the plugin's mailbox_allocated hook (coi-mailbox.h). */
void coi_folder_rules_mailbox_allocated(struct mailbox *box);

#endif
