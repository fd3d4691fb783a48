#ifndef COI_SEEN_H
#define COI_SEEN_H

/* message-filter "seen" (CS-18): a COI message in the user's INBOX that
   gets \Seen (STORE, a FETCH of BODY[], doveadm flags...) is moved to
   <root>/Chats once the transaction that set \Seen has committed. The move
   copies into Chats and commits that first; only then is the INBOX copy
   expunged, so a failure leaves the message in INBOX (with a warning). */

struct module;
struct mailbox;

void coi_seen_init(struct module *module);
void coi_seen_deinit(void);
/* Part of the plugin's mailbox_allocated hook (coi-mailbox.h): the
   user's INBOX outside deliveries. */
void coi_seen_mailbox_allocated(struct mailbox *box);

#endif
