#ifndef WEBPUSH_PREPARE_H
#define WEBPUSH_PREPARE_H

#include "webpush-sender.h"
#include "webpush-job.h"

struct webpush_vapid;
struct webpush_endpoint_settings;

/* Turns a payload for a subscription into a push for webpush-sender.h:
   the endpoint checked by the endpoint policy, the payload encrypted
   (RFC 8291), and a payload with content kept as plaintext with its
   recipient's keys for the sender's seal hook, which makes the smaller
   body from it. Shared by the mail processes (pushes
   sent from the process) and the Web Push service (pushes handed over by
   them). Pure: no mail storage, no I/O. */

/* The recipient of a smaller body, as the sender keeps it: the
   subscription's p256dh key followed by its auth secret. */
#define WEBPUSH_PREPARE_RECIPIENT_SIZE (WEBPUSH_P256DH_SIZE + WEBPUSH_AUTH_SIZE)

/* What a prepared push points to; lives as long as the push is used. */
struct webpush_prepared {
	struct webpush_push push;
	unsigned char recipient[WEBPUSH_PREPARE_RECIPIENT_SIZE];
	/* the endpoint's origin, the VAPID audience */
	const char *origin;
};

/* Prepares push (a push as it is handed to the Web Push service; its id
   is not used) into prepared (strings and the body from the data
   stack). Returns 0, or -1 with error_r when the endpoint policy refuses
   the endpoint ("endpoint refused: ...") or encryption fails
   ("encrypting the push failed: ..."). */
int webpush_prepare_push(const struct webpush_job_push *push,
			 const struct webpush_endpoint_settings *endpoint_set,
			 struct webpush_prepared *prepared,
			 const char **error_r);

/* The sender's seal hook for pushes made here (context unused): the
   plaintext is the payload, which it strips of its content
   (webpush_payload_without_content()) and encrypts. */
int webpush_prepare_seal(const unsigned char *recipient, size_t recipient_size,
			 const unsigned char *plain, size_t plain_size,
			 buffer_t *body, void *context, const char **error_r);

/* The Authorization header value for a push to endpoint, signed with
   vapid ("no VAPID key" when it is NULL). Returns NULL with error_r when
   it cannot. */
const char *
webpush_prepare_authorization(struct webpush_vapid *vapid,
			      const struct webpush_endpoint_settings *endpoint_set,
			      const char *endpoint, const char **error_r);

#endif
