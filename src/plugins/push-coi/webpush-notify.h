#ifndef WEBPUSH_NOTIFY_H
#define WEBPUSH_NOTIFY_H

/* Sending pushes to a user's subscriptions through the process's Web Push
   sender (webpush-sender.h): the validation push of a new subscription
   (WP-08) and the push for a new message (WP-13). Each push is encrypted
   for its subscription (RFC 8291) and signed per attempt (VAPID); nothing
   here waits for the push service. When a push service answers 404 or 410
   the subscription is removed from the user's storage (WP-19). */

#include "webpush-sender.h"

/* webpush_service: the socket of the Web Push service (the "webpush"
   executable, webpush-client.h), relative to base_dir unless absolute.
   When set, the user's pushes are handed to that service, and sent by the
   process itself only while the service cannot be reached. Unset: the
   process sends them itself. */
#define WEBPUSH_SETTING_SERVICE "webpush_service"

struct mail_user;
struct push_coi_user;
struct webpush_subscription;

/* Prepares WebPush sending for a user whose WebPush is configured: reads
   the sender settings (webpush-sender.h) and creates the process's sender
   on first use, and resumes the pushes that wait in the user's spool.
   Returns 0, or -1 after logging an error (no push for this user). */
int webpush_notify_user_init(struct mail_user *user,
			     struct push_coi_user *puser);
/* The user's namespaces exist: removes the subscriptions whose push
   service answered 404/410 while no session of the user could do it (e.g.
   during the bounded wait of an ending dovecot-lda), from the gone records
   of the user's spool (webpush_spool_take_gone()). */
void webpush_notify_user_ready(struct mail_user *user,
			       struct push_coi_user *puser);
/* Forgets the user (it is being deinitialized). */
void webpush_notify_user_deinit(struct push_coi_user *puser);

/* Sends the validation push {"validation":"<token>"} with the header
   WebPush-Validation (no value). */
void webpush_notify_validation(struct mail_user *user, const char *id,
			       const struct webpush_subscription *sub,
			       const char *token);

/* Sends payload (JSON, from webpush_payload_build()) to subscription id;
   content: the payload has content, and is sent without it
   (webpush_payload_without_content()) when the push service answers
   413. */
void webpush_notify_message(struct mail_user *user, const char *id,
			    const struct webpush_subscription *sub,
			    const char *payload, bool content);

/* Sends payload to subscription id as webpush_notify_message() does and
   calls callback with the push's outcome (for doveadm webpush test).
   Returns -1 when the push could not be started (WebPush not ready for
   the user, endpoint refused, encryption failed: logged); callback is then
   never called. */
int webpush_notify_message_outcome(struct mail_user *user, const char *id,
				   const struct webpush_subscription *sub,
				   const char *payload,
				   webpush_push_callback_t *callback,
				   void *context);

/* The process ends: waits a bounded time for the pushes in flight
   (webpush_sender_global_deinit()) and frees the sender's state. */
void webpush_notify_deinit(void);

#endif
