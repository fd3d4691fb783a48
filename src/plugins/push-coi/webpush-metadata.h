#ifndef WEBPUSH_METADATA_H
#define WEBPUSH_METADATA_H

/* The IMAP WebPush METADATA entries (WP-02..WP-12, WP-20) as one internal
   mailbox attribute of INBOX that owns everything under
   /private/vendor/vendor.dovecot/webpush/:

     .../vapid                      the VAPID public key (PEM), read-only
     .../subscriptions/<id>         a subscription (JSON); NIL removes it
     .../subscriptions/<id>/validate   the validation token (set only)

   Any other entry below webpush/, and webpush itself, is refused (CS-03). The attribute is
   flagged "validated", so the entries work whether or not the admin
   enabled imap_metadata (CS-02); values are checked here and stored by
   webpush-storage. */

/* The mailbox_allocated hook: WebPush state that a SETMETADATA changes
   outside its own transaction (the abuse state of WP-20) is written when
   that transaction ends, and listing the entries below webpush/ does not
   iterate the attribute dict (webpush-storage keeps an index). */
void webpush_metadata_mailbox_allocated(struct mailbox *box);

/* Registers and unregisters the internal attribute (once per process,
   from the plugin's init and deinit). */
void webpush_metadata_register(void);
void webpush_metadata_unregister(void);

#endif
