#ifndef COI_DELIVER_H
#define COI_DELIVER_H

/* COI at delivery (lmtp, dovecot-lda):

   - Every COI message saved into a mailbox opened for delivery
     (MAILBOX_FLAG_POST_SESSION: the default save, Sieve's keep and
     fileinto) gets the $Chat keyword (CS-19), whatever the user's
     configuration says. IMAP APPEND and COPY are left alone.
   - With COI enabled and message-filter "active", a COI message whose
     delivery would end in INBOX is stored straight into <root>/Chats
     (CS-17): the deliver_mail hook makes Chats the delivery's default
     mailbox before Sieve runs, so Sieve's implicit keep lands there, an
     explicit fileinto wins and discard discards (CS-20).
   - No loss: when Chats cannot be opened or saving there fails, the
     message goes where it would have gone without COI, with a warning.

   In processes without lib-lda (imap, doveadm) only the keyword part is
   registered. */

struct mailbox;
struct mail_user;
struct coi_config;

/* coi_config_read() for the plugins that act on a delivery (push_coi
   finds it by name, without linking to this plugin): while a message is
   being filed into Chats, the configuration that this delivery read
   (returned at once: it decided the filing); else coi_config_read(). */
int coi_deliver_config_read(struct mail_user *user,
			    struct coi_config *config_r, const char **error_r);

void coi_deliver_init(void);
void coi_deliver_deinit(void);
/* Part of the plugin's mailbox_allocated hook (coi-mailbox.h): the
   mailboxes a delivery saves into. */
void coi_deliver_mailbox_allocated(struct mailbox *box);

#endif
