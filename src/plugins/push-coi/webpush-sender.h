#ifndef WEBPUSH_SENDER_H
#define WEBPUSH_SENDER_H

#include "webpush-http.h"

struct webpush_endpoint_settings;

/* Web Push delivery (RFC 8030 section 5, WP-18, WP-19): sends prepared
   pushes over webpush-http, adds the per-push headers (TTL,
   Content-Encoding, Content-Type, Urgency, Topic), and acts on the push
   service's answer:

     2xx          delivered
     404, 410     the subscription is gone: the sender's gone callback
                  is called (also when the answer comes long after the
                  delivery that caused the push finished), and the push's
                  spool directory gets a gone record, which
                  webpush_spool_take_gone() returns (e.g. when the user's
                  next session starts)
     413          sent once more with the smaller body (without content)
     429          retried after Retry-After (capped)
     5xx, network retried with exponential backoff
     400/401/403  (and any other answer) logged as an error; the
                  subscription is kept

   Retries end after webpush_max_retry_time. A retry waiting for its time
   is kept in the spool directory of the push (webpush-spool.h) so that it
   survives the process. Nothing here waits: requests run from the ioloop
   while the process goes on, and webpush_sender_deinit() waits a bounded
   time (webpush_exit_wait) for those in flight.

   This file knows nothing of IMAP, mail or how a body is built. */

struct webpush_sender;

struct webpush_sender_settings {
	/* webpush_ttl: TTL header, seconds */
	unsigned int ttl_secs;
	/* webpush_urgency: very-low, low, normal, high; NULL = no header */
	const char *urgency;
	/* webpush_topic: NULL = no header */
	const char *topic;
	/* webpush_ca_file: NULL = system CAs only */
	const char *ca_file;
	/* webpush_request_timeout */
	unsigned int request_timeout_msecs;
	/* webpush_max_retry_time: no attempt starts later than this after
	   the first one */
	unsigned int max_retry_time_secs;
	/* webpush_retry_delay: first backoff delay; doubles per attempt */
	unsigned int retry_delay_msecs;
	/* webpush_retry_max_delay: cap of a backoff delay and of a 429's
	   Retry-After */
	unsigned int retry_max_delay_secs;
	/* webpush_exit_wait: how long an ending process waits for requests
	   in flight */
	unsigned int exit_wait_msecs;
	/* webpush_spool_dir: NULL = no spool */
	const char *spool_dir;
	/* webpush_spool_max: entries per spool directory */
	unsigned int spool_max;
	/* webpush_queue_max: pushes one process keeps at once (sending,
	   waiting for a connection or for a retry); a push beyond it is
	   dropped with a warning. 0 = no limit. */
	unsigned int queue_max;
};

/* Looks a setting up by name; NULL when it is not set. */
typedef const char *webpush_setting_lookup_t(const char *name, void *context);

/* Reads the settings above through lookup (e.g. mail_user_plugin_getenv).
   home is the user's home: the default spool directory is under it, and a
   webpush_spool_dir that starts with "~/" is relative to it. Returns -1
   with an error that names the setting when a value is invalid. */
int webpush_sender_settings_read(webpush_setting_lookup_t *lookup,
				 void *context, const char *home, pool_t pool,
				 struct webpush_sender_settings *set_r,
				 const char **error_r);

/* RFC 8030 section 5.3: very-low, low, normal or high. */
bool webpush_urgency_is_valid(const char *urgency);
/* RFC 8030 section 5.4: 1 to 32 characters of the base64url alphabet. */
bool webpush_topic_is_valid(const char *topic);

/* One push, ready to send. Everything is copied by webpush_sender_send(). */
struct webpush_push {
	/* Opaque to the sender: given back to the gone callback and named
	   in log lines (e.g. the user name and the subscription ID). */
	const char *owner;
	const char *subscription;
	/* The push resource URL. */
	const char *endpoint;
	/* Connect to this address (checked by the endpoint policy); NULL:
	   libcurl resolves the host. */
	const struct ip_addr *connect_ip;
	/* More headers, NULL-terminated "Name: value" lines (e.g.
	   Authorization, WebPush-Validation). Not TTL, Content-Encoding,
	   Content-Type, Urgency or Topic: the sender adds those. */
	const char *const *headers;
	/* The aes128gcm body. */
	const unsigned char *body;
	size_t body_size;
	/* The smaller body sent after a 413 (the payload without content),
	   or NULL when there is none. */
	const unsigned char *small_body;
	size_t small_body_size;
	/* Instead of small_body: the plaintext the seal hook makes the
	   smaller body from (e.g. the payload, which it strips of its
	   content) and the opaque key material of its recipient, given to
	   the seal hook only when the smaller body is needed (after a 413, or before the push
	   is kept in the spool), so that the common case (the push service
	   takes the push) never encrypts it. */
	const unsigned char *small_plain;
	size_t small_plain_size;
	const unsigned char *recipient;
	size_t recipient_size;
	/* Override the settings' Urgency and Topic when not NULL ("" = no
	   header). */
	const char *urgency;
	const char *topic;
	/* Where a waiting retry is kept; NULL = the settings' spool_dir. */
	const char *spool_dir;
};

enum webpush_push_result {
	/* 2xx */
	WEBPUSH_PUSH_DELIVERED,
	/* 404 or 410: the subscription is gone */
	WEBPUSH_PUSH_GONE,
	/* refused for good (400, 401, 403, 413 twice, a refused address...) */
	WEBPUSH_PUSH_REJECTED,
	/* transient failures until webpush_max_retry_time */
	WEBPUSH_PUSH_EXPIRED,
	/* the process ended first: the push waits in the spool */
	WEBPUSH_PUSH_SPOOLED,
	/* the process ended first and the push could not be spooled, or the
	   process kept webpush_queue_max pushes already */
	WEBPUSH_PUSH_DROPPED,
};

struct webpush_push_outcome {
	enum webpush_push_result result;
	/* the last HTTP status, 0 when none came */
	unsigned int status;
	unsigned int attempts;
	/* what went wrong, NULL when delivered */
	const char *error;
};

/* "delivered", "gone", "rejected", "expired", "spooled" or "dropped".
   Inline, so that the code that only passes outcomes on (webpush-job.c)
   needs no link with the sender. */
static inline const char *
webpush_push_result_to_str(enum webpush_push_result result)
{
	switch (result) {
	case WEBPUSH_PUSH_DELIVERED:
		return "delivered";
	case WEBPUSH_PUSH_GONE:
		return "gone";
	case WEBPUSH_PUSH_REJECTED:
		return "rejected";
	case WEBPUSH_PUSH_EXPIRED:
		return "expired";
	case WEBPUSH_PUSH_SPOOLED:
		return "spooled";
	case WEBPUSH_PUSH_DROPPED:
		return "dropped";
	}
	i_unreached();
}

/* Called once per push with its outcome. */
typedef void webpush_push_callback_t(const struct webpush_push_outcome *outcome,
				     void *context);
/* Called when a push service answers 404 or 410 for a subscription. */
typedef void webpush_gone_callback_t(const char *owner, const char *subscription,
				     const char *endpoint, unsigned int status,
				     void *context);
/* Returns the Authorization header value for an attempt ("vapid t=...,
   k=..."), so that a retry much later gets a fresh JWT. Returns NULL
   (and *error_r) when it cannot; the push then fails. */
typedef const char *webpush_authorize_t(const char *owner, const char *endpoint,
					void *context, const char **error_r);

/* Encrypts plain for recipient (webpush_push.recipient) into body (a
   fresh body each call). Returns 0, or -1 with error_r. */
typedef int webpush_seal_t(const unsigned char *recipient,
			   size_t recipient_size, const unsigned char *plain,
			   size_t plain_size, buffer_t *body, void *context,
			   const char **error_r);

struct webpush_sender_hooks {
	/* The endpoint policy (webpush-endpoint.h): every endpoint is parsed
	   with it (http:// only with allow_http) and every address libcurl
	   is about to connect to is checked with webpush_address_check().
	   NULL = the defaults (https only, no network exempt). Must live as
	   long as the sender. */
	const struct webpush_endpoint_settings *endpoint_set;
	/* 404/410 (may be NULL) */
	webpush_gone_callback_t *gone;
	void *gone_context;
	/* NULL: the push's own Authorization header is sent unchanged */
	webpush_authorize_t *authorize;
	void *authorize_context;
	/* Makes the smaller body of a push given with small_plain; NULL:
	   such a push has no smaller body. */
	webpush_seal_t *seal;
	void *seal_context;
};

/* Creates a sender. event_parent should live as long as the process (the
   sender outlives mail users). */
int webpush_sender_init(const struct webpush_sender_settings *set,
			const struct webpush_sender_hooks *hooks,
			struct event *event_parent,
			struct webpush_sender **sender_r, const char **error_r);
/* Waits at most exit_wait for requests in flight, then keeps every
   unfinished push in the spool (outcome SPOOLED, or DROPPED without one)
   and frees the sender. */
void webpush_sender_deinit(struct webpush_sender **sender);

/* Sends a push. callback (may be NULL) gets its outcome later, never from
   inside this call. */
void webpush_sender_send(struct webpush_sender *sender,
			 const struct webpush_push *push,
			 webpush_push_callback_t *callback, void *context);
/* Forgets the callbacks of pushes that have this context (for a caller
   whose context is freed before its pushes finish). */
void webpush_sender_forget_context(struct webpush_sender *sender,
				   void *context);
/* Takes the retries that wait in spool_dir and that no running process
   owns, and schedules them. Call it when a user's session starts. */
void webpush_sender_resume_spool(struct webpush_sender *sender,
				 const char *spool_dir);
/* Pushes not finished yet (in flight or waiting for a retry). */
unsigned int webpush_sender_pending(struct webpush_sender *sender);
/* Pushes whose request is in flight now. */
unsigned int webpush_sender_in_flight(struct webpush_sender *sender);

/* The process's sender: created by the first call (with these settings
   and hooks), the same one afterwards. */
int webpush_sender_global_get(const struct webpush_sender_settings *set,
			      const struct webpush_sender_hooks *hooks,
			      struct event *event_parent,
			      struct webpush_sender **sender_r,
			      const char **error_r);
/* webpush_sender_deinit() of the process's sender, if there is one. Called
   when the plugin is unloaded, i.e. when the process ends. */
void webpush_sender_global_deinit(void);

/* What the sender does with an answer (exposed for the unit test). */
enum webpush_answer_action {
	WEBPUSH_ANSWER_DELIVERED,
	WEBPUSH_ANSWER_GONE,
	WEBPUSH_ANSWER_SMALLER,
	WEBPUSH_ANSWER_RETRY_AFTER,
	WEBPUSH_ANSWER_RETRY,
	WEBPUSH_ANSWER_REJECTED,
};
enum webpush_answer_action
webpush_answer_classify(unsigned int status, bool address_refused);
/* The delay before attempt number attempts+1 (attempts >= 1 made):
   Retry-After when the answer had one (for 429), else
   retry_delay * 2^(attempts-1); capped at retry_max_delay. */
unsigned int webpush_retry_delay_msecs(const struct webpush_sender_settings *set,
				       unsigned int attempts,
				       bool have_retry_after,
				       unsigned int retry_after_secs);

#endif
