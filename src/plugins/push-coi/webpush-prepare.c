/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "ioloop.h"
#include "webpush-ece.h"
#include "webpush-endpoint.h"
#include "webpush-payload.h"
#include "webpush-vapid.h"
#include "webpush-prepare.h"

int webpush_prepare_push(const struct webpush_job_push *input,
			 const struct webpush_endpoint_settings *endpoint_set,
			 struct webpush_prepared *prepared,
			 const char **error_r)
{
	struct webpush_endpoint *ep;
	struct webpush_push *push = &prepared->push;
	buffer_t *body;
	const char *error;

	i_zero(prepared);
	if (webpush_endpoint_parse(input->endpoint, endpoint_set,
				   pool_datastack_create(), &ep, &error) < 0) {
		*error_r = t_strconcat("endpoint refused: ", error, NULL);
		return -1;
	}
	body = t_buffer_create(WEBPUSH_ECE_MAX_BODY_SIZE);
	if (webpush_ece_encrypt(input->p256dh, WEBPUSH_P256DH_SIZE,
				input->auth, WEBPUSH_AUTH_SIZE,
				input->payload, strlen(input->payload),
				body, &error) < 0) {
		*error_r = t_strconcat("encrypting the push failed: ",
				       error, NULL);
		return -1;
	}
	prepared->origin = ep->origin;
	push->owner = input->owner;
	push->subscription = input->subscription;
	push->endpoint = ep->url;
	push->headers = input->headers;
	push->body = body->data;
	push->body_size = body->used;
	if (input->content) {
		/* stripped of its content and encrypted by
		   webpush_prepare_seal() only when the sender needs it */
		memcpy(prepared->recipient, input->p256dh, WEBPUSH_P256DH_SIZE);
		memcpy(prepared->recipient + WEBPUSH_P256DH_SIZE, input->auth,
		       WEBPUSH_AUTH_SIZE);
		push->small_plain = (const unsigned char *)input->payload;
		push->small_plain_size = strlen(input->payload);
		push->recipient = prepared->recipient;
		push->recipient_size = sizeof(prepared->recipient);
	}
	push->spool_dir = input->spool_dir;
	return 0;
}

int webpush_prepare_seal(const unsigned char *recipient, size_t recipient_size,
			 const unsigned char *plain, size_t plain_size,
			 buffer_t *body, void *context ATTR_UNUSED,
			 const char **error_r)
{
	const char *small;

	if (recipient_size != WEBPUSH_PREPARE_RECIPIENT_SIZE) {
		*error_r = "invalid recipient";
		return -1;
	}
	small = webpush_payload_without_content(t_strndup(plain, plain_size));
	if (small == NULL) {
		*error_r = "the payload is not a JSON object";
		return -1;
	}
	return webpush_ece_encrypt(recipient, WEBPUSH_P256DH_SIZE,
				   recipient + WEBPUSH_P256DH_SIZE,
				   WEBPUSH_AUTH_SIZE, small, strlen(small),
				   body, error_r);
}

const char *
webpush_prepare_authorization(struct webpush_vapid *vapid,
			      const struct webpush_endpoint_settings *endpoint_set,
			      const char *endpoint, const char **error_r)
{
	struct webpush_endpoint *ep;
	const char *value;

	if (vapid == NULL) {
		*error_r = "no VAPID key";
		return NULL;
	}
	if (webpush_endpoint_parse(endpoint, endpoint_set,
				   pool_datastack_create(), &ep, error_r) < 0 ||
	    webpush_vapid_get_authorization(vapid, ep->origin, ioloop_time,
					    &value, error_r) < 0)
		return NULL;
	return value;
}
