/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "llist.h"
#include "str.h"
#include "str-sanitize.h"
#include "strnum.h"
#include "settings-parser.h"
#include "webpush-endpoint.h"
#include "webpush-spool.h"
#include "webpush-sender.h"
#include "push-coi-events.h"

#include <ctype.h>

#define WEBPUSH_DEFAULT_TTL_SECS (24 * 3600)
#define WEBPUSH_DEFAULT_REQUEST_TIMEOUT_MSECS 10000
#define WEBPUSH_DEFAULT_MAX_RETRY_TIME_SECS 3600
#define WEBPUSH_DEFAULT_RETRY_DELAY_MSECS 1000
#define WEBPUSH_DEFAULT_RETRY_MAX_DELAY_SECS 600
#define WEBPUSH_DEFAULT_EXIT_WAIT_MSECS 5000
#define WEBPUSH_DEFAULT_SPOOL_DIR_NAME ".webpush-spool"
#define WEBPUSH_DEFAULT_SPOOL_MAX 100
/* Each push kept costs its bodies and a libcurl handle (about 30 kB with
   the handle's buffers): 1000 stay far below lmtp's default vsz_limit. */
#define WEBPUSH_DEFAULT_QUEUE_MAX 1000
/* At most one "queue full" warning per this many seconds. */
#define WEBPUSH_QUEUE_FULL_LOG_INTERVAL_SECS 60
#define WEBPUSH_TOPIC_MAX_LEN 32

struct webpush_sender_push {
	struct webpush_sender_push *prev, *next;
	pool_t pool;
	struct webpush_sender *sender;
	struct event *event;

	/* everything about the push, as it would be spooled */
	struct webpush_spool_entry entry;
	/* the normalized URL requests go to */
	const char *url;
	/* the smaller payload not yet sealed into entry.small_body */
	const unsigned char *small_plain;
	size_t small_plain_size;
	const unsigned char *recipient;
	size_t recipient_size;
	/* NULL = no spool */
	const char *spool_dir;
	/* a spool file claimed by this process exists */
	bool spooled;
	struct ip_addr connect_ip;

	struct webpush_http_request *req;
	struct timeout *to_retry;
	/* set when an attempt could not even start */
	const char *start_error;
	/* dropped: the process already kept webpush_queue_max pushes */
	bool queue_full;

	unsigned int last_status;
	const char *last_error;

	webpush_push_callback_t *callback;
	void *context;
};

struct webpush_sender {
	pool_t pool;
	struct event *event;
	struct webpush_sender_settings set;
	struct webpush_sender_hooks hooks;
	struct webpush_http_client *http;
	struct webpush_sender_push *pushes;
	unsigned int pending;

	/* pushes dropped since the last "queue full" warning, and when that
	   was logged */
	unsigned int queue_full_dropped;
	time_t queue_full_logged;
};

static struct webpush_sender *webpush_sender_global = NULL;

static void webpush_sender_attempt(struct webpush_sender_push *push);

/* --- settings --------------------------------------------------------- */

bool webpush_urgency_is_valid(const char *urgency)
{
	return strcmp(urgency, "very-low") == 0 ||
		strcmp(urgency, "low") == 0 ||
		strcmp(urgency, "normal") == 0 ||
		strcmp(urgency, "high") == 0;
}

bool webpush_topic_is_valid(const char *topic)
{
	size_t len = strlen(topic), i;

	if (len == 0 || len > WEBPUSH_TOPIC_MAX_LEN)
		return FALSE;
	for (i = 0; i < len; i++) {
		if (!i_isalnum(topic[i]) && topic[i] != '-' && topic[i] != '_')
			return FALSE;
	}
	return TRUE;
}

static int
webpush_setting_time(webpush_setting_lookup_t *lookup, void *context,
		     const char *name, bool msecs, unsigned int *value,
		     const char **error_r)
{
	const char *str = lookup(name, context), *error;
	int ret;

	if (str == NULL || *str == '\0')
		return 0;
	if (strcmp(name, "webpush_ttl") == 0 && str_to_uint(str, value) == 0) {
		/* RFC 8030 counts TTL in seconds: a plain number is that */
		return 0;
	}
	ret = msecs ? settings_get_time_msecs(str, value, &error) :
		settings_get_time(str, value, &error);
	if (ret < 0) {
		*error_r = t_strdup_printf("%s: invalid value '%s': %s", name,
					   str_sanitize(str, 64), error);
		return -1;
	}
	return 0;
}

int webpush_sender_settings_read(webpush_setting_lookup_t *lookup,
				 void *context, const char *home, pool_t pool,
				 struct webpush_sender_settings *set_r,
				 const char **error_r)
{
	struct webpush_sender_settings set;
	const char *str;

	i_zero(&set);
	set.ttl_secs = WEBPUSH_DEFAULT_TTL_SECS;
	set.request_timeout_msecs = WEBPUSH_DEFAULT_REQUEST_TIMEOUT_MSECS;
	set.max_retry_time_secs = WEBPUSH_DEFAULT_MAX_RETRY_TIME_SECS;
	set.retry_delay_msecs = WEBPUSH_DEFAULT_RETRY_DELAY_MSECS;
	set.retry_max_delay_secs = WEBPUSH_DEFAULT_RETRY_MAX_DELAY_SECS;
	set.exit_wait_msecs = WEBPUSH_DEFAULT_EXIT_WAIT_MSECS;
	set.spool_max = WEBPUSH_DEFAULT_SPOOL_MAX;
	set.queue_max = WEBPUSH_DEFAULT_QUEUE_MAX;

	if (webpush_setting_time(lookup, context, "webpush_ttl", FALSE,
				 &set.ttl_secs, error_r) < 0 ||
	    webpush_setting_time(lookup, context, "webpush_request_timeout", TRUE,
				 &set.request_timeout_msecs, error_r) < 0 ||
	    webpush_setting_time(lookup, context, "webpush_max_retry_time", FALSE,
				 &set.max_retry_time_secs, error_r) < 0 ||
	    webpush_setting_time(lookup, context, "webpush_retry_delay", TRUE,
				 &set.retry_delay_msecs, error_r) < 0 ||
	    webpush_setting_time(lookup, context, "webpush_retry_max_delay", FALSE,
				 &set.retry_max_delay_secs, error_r) < 0 ||
	    webpush_setting_time(lookup, context, "webpush_exit_wait", TRUE,
				 &set.exit_wait_msecs, error_r) < 0)
		return -1;
	if (set.request_timeout_msecs == 0) {
		*error_r = "webpush_request_timeout: must not be 0";
		return -1;
	}
	if (set.retry_delay_msecs == 0) {
		*error_r = "webpush_retry_delay: must not be 0";
		return -1;
	}

	str = lookup("webpush_urgency", context);
	if (str != NULL && *str != '\0') {
		if (!webpush_urgency_is_valid(str)) {
			*error_r = t_strdup_printf(
				"webpush_urgency: invalid value '%s' "
				"(very-low, low, normal or high)",
				str_sanitize(str, 64));
			return -1;
		}
		set.urgency = p_strdup(pool, str);
	}
	str = lookup("webpush_topic", context);
	if (str != NULL && *str != '\0') {
		if (!webpush_topic_is_valid(str)) {
			*error_r = t_strdup_printf(
				"webpush_topic: invalid value '%s' (at most 32 "
				"characters of A-Z a-z 0-9 - _)",
				str_sanitize(str, 64));
			return -1;
		}
		set.topic = p_strdup(pool, str);
	}
	str = lookup("webpush_ca_file", context);
	set.ca_file = p_strdup_empty(pool, str);

	str = lookup("webpush_spool_dir", context);
	if (str == NULL) {
		if (home != NULL && *home != '\0') {
			set.spool_dir = p_strconcat(pool, home, "/",
				WEBPUSH_DEFAULT_SPOOL_DIR_NAME, NULL);
		}
	} else if (*str == '\0') {
		set.spool_dir = NULL;
	} else if (str_begins(str, "~/")) {
		if (home == NULL || *home == '\0') {
			*error_r = "webpush_spool_dir: ~/ used, but the user has no home";
			return -1;
		}
		set.spool_dir = p_strconcat(pool, home, str + 1, NULL);
	} else if (str[0] != '/') {
		*error_r = t_strdup_printf(
			"webpush_spool_dir: '%s' is not an absolute path",
			str_sanitize(str, 128));
		return -1;
	} else {
		set.spool_dir = p_strdup(pool, str);
	}
	str = lookup("webpush_spool_max", context);
	if (str != NULL && *str != '\0' && str_to_uint(str, &set.spool_max) < 0) {
		*error_r = t_strdup_printf(
			"webpush_spool_max: invalid number '%s'",
			str_sanitize(str, 64));
		return -1;
	}
	str = lookup("webpush_queue_max", context);
	if (str != NULL && *str != '\0' && str_to_uint(str, &set.queue_max) < 0) {
		*error_r = t_strdup_printf(
			"webpush_queue_max: invalid number '%s'",
			str_sanitize(str, 64));
		return -1;
	}
	*set_r = set;
	return 0;
}

/* --- policy ----------------------------------------------------------- */

enum webpush_answer_action
webpush_answer_classify(unsigned int status, bool address_refused)
{
	if (status == 0)
		return address_refused ? WEBPUSH_ANSWER_REJECTED :
			WEBPUSH_ANSWER_RETRY;
	if (status >= 200 && status < 300)
		return WEBPUSH_ANSWER_DELIVERED;
	switch (status) {
	case 404:
	case 410:
		return WEBPUSH_ANSWER_GONE;
	case 413:
		return WEBPUSH_ANSWER_SMALLER;
	case 429:
		return WEBPUSH_ANSWER_RETRY_AFTER;
	default:
		break;
	}
	if (status >= 500 && status < 600)
		return WEBPUSH_ANSWER_RETRY;
	return WEBPUSH_ANSWER_REJECTED;
}

unsigned int webpush_retry_delay_msecs(const struct webpush_sender_settings *set,
				       unsigned int attempts,
				       bool have_retry_after,
				       unsigned int retry_after_secs)
{
	uint64_t max = (uint64_t)set->retry_max_delay_secs * 1000;
	uint64_t delay;

	if (have_retry_after)
		delay = (uint64_t)retry_after_secs * 1000;
	else {
		delay = set->retry_delay_msecs;
		if (attempts > 1)
			delay <<= I_MIN(attempts - 1, 30);
	}
	return (unsigned int)I_MIN(delay, max);
}

/* --- pushes ----------------------------------------------------------- */

static void webpush_sender_push_free(struct webpush_sender_push *push)
{
	struct webpush_sender *sender = push->sender;

	webpush_http_request_abort(&push->req);
	timeout_remove(&push->to_retry);
	DLLIST_REMOVE(&sender->pushes, push);
	i_assert(sender->pending > 0);
	sender->pending--;
	event_unref(&push->event);
	pool_unref(&push->pool);
}

/* Seals the smaller body when the push has one that is still plaintext:
   it is needed now (a 413, or the push goes into the spool). */
static void webpush_sender_seal_small(struct webpush_sender_push *push)
{
	struct webpush_sender *sender = push->sender;
	buffer_t *body;
	const char *error;

	if (push->small_plain == NULL)
		return;
	T_BEGIN {
		body = t_buffer_create(push->small_plain_size + 256);
		if (sender->hooks.seal(push->recipient, push->recipient_size,
				       push->small_plain,
				       push->small_plain_size, body,
				       sender->hooks.seal_context,
				       &error) < 0) {
			e_warning(push->event, "No smaller body: %s", error);
		} else {
			push->entry.small_body =
				p_memdup(push->pool, body->data, body->used);
			push->entry.small_body_size = body->used;
		}
	} T_END;
	push->small_plain = NULL;
	push->small_plain_size = 0;
}

static void
webpush_sender_finish(struct webpush_sender_push *push,
		      enum webpush_push_result result, const char *error)
{
	struct webpush_push_outcome outcome;
	struct event_passthrough *e;

	if (push->spooled &&
	    result != WEBPUSH_PUSH_SPOOLED && result != WEBPUSH_PUSH_DROPPED) {
		webpush_spool_remove(push->spool_dir, push->entry.id,
				     push->event);
		push->spooled = FALSE;
	}
	i_zero(&outcome);
	outcome.result = result;
	outcome.status = push->last_status;
	outcome.attempts = push->entry.attempts;
	outcome.error = error;

	e = event_create_passthrough(push->event)->
		add_str("result", webpush_push_result_to_str(result))->
		add_int("status_code", push->last_status)->
		add_int("retries", push->entry.attempts > 0 ?
			push->entry.attempts - 1 : 0)->
		add_str("error", error);
	if (result == WEBPUSH_PUSH_DELIVERED)
		e->set_name(WEBPUSH_EVENT_SENT);
	else if (result != WEBPUSH_PUSH_SPOOLED)
		e->set_name(WEBPUSH_EVENT_FAILED);
	e_debug(e->event(), "Finished: %s after %u attempt(s)",
		webpush_push_result_to_str(result), push->entry.attempts);
	if (push->callback != NULL)
		push->callback(&outcome, push->context);
	webpush_sender_push_free(push);
}

static void webpush_sender_failed_to_start(struct webpush_sender_push *push)
{
	timeout_remove(&push->to_retry);
	if (push->queue_full) {
		/* logged (rate-limited) by webpush_sender_send() */
		webpush_sender_finish(push, WEBPUSH_PUSH_DROPPED,
				      push->start_error);
		return;
	}
	e_error(push->event, "Cannot send the push: %s", push->start_error);
	webpush_sender_finish(push, WEBPUSH_PUSH_REJECTED, push->start_error);
}

/* A push service that accepts connections and never answers keeps every
   push to it for webpush_request_timeout and its retries: without a
   limit a delivering process would keep them until it runs out of
   memory. Returns TRUE (and warns at most once a minute) when the
   process keeps webpush_queue_max pushes already. */
static bool webpush_sender_queue_is_full(struct webpush_sender *sender)
{
	if (sender->set.queue_max == 0 ||
	    sender->pending < sender->set.queue_max)
		return FALSE;
	sender->queue_full_dropped++;
	if (ioloop_time - sender->queue_full_logged >=
	    WEBPUSH_QUEUE_FULL_LOG_INTERVAL_SECS) {
		e_warning(sender->event, "Dropping new pushes: this process "
			  "already keeps %u (webpush_queue_max), a push service "
			  "is slow or does not answer; %u dropped since the "
			  "last warning", sender->pending,
			  sender->queue_full_dropped);
		sender->queue_full_logged = ioloop_time;
		sender->queue_full_dropped = 0;
	}
	return TRUE;
}

static void
webpush_sender_retry(struct webpush_sender_push *push, bool have_retry_after,
		     unsigned int retry_after_secs, const char *error)
{
	struct webpush_sender *sender = push->sender;
	unsigned int delay;
	const char *spool_error;
	time_t now = time(NULL), next;

	delay = webpush_retry_delay_msecs(&sender->set, push->entry.attempts,
					  have_retry_after, retry_after_secs);
	next = now + (delay + 999) / 1000;
	if (next > push->entry.first_attempt +
	    (time_t)sender->set.max_retry_time_secs) {
		e_warning(push->event, "Giving up after %u attempt(s) in %ld s "
			  "(webpush_max_retry_time): %s", push->entry.attempts,
			  (long)(now - push->entry.first_attempt), error);
		webpush_sender_finish(push, WEBPUSH_PUSH_EXPIRED, error);
		return;
	}
	push->entry.next_attempt = next;
	e_info(push->event, "Attempt %u failed (%s); retrying in %u ms",
	       push->entry.attempts, error, delay);
	if (push->spool_dir != NULL && !webpush_spool_writable()) {
		e_debug(push->event, "The retry is kept in memory only: "
			"the process does not run as the user now");
	} else if (push->spool_dir != NULL) {
		webpush_sender_seal_small(push);
		if (webpush_spool_save(push->spool_dir, &push->entry, TRUE,
				       sender->set.spool_max, &spool_error) < 0) {
			e_warning(push->event, "The retry is not kept on disk: %s",
				  spool_error);
		} else {
			push->spooled = TRUE;
		}
	}
	push->to_retry = timeout_add_to(io_loop_get_root(), delay,
					webpush_sender_attempt, push);
}

static void
webpush_sender_response(const struct webpush_http_response *resp,
			void *context)
{
	struct webpush_sender_push *push = context;
	struct webpush_sender *sender = push->sender;
	const char *error;

	push->req = NULL;
	push->last_status = resp->status;
	if (resp->status == 0)
		error = resp->error;
	else if (resp->body_excerpt[0] == '\0')
		error = t_strdup_printf("HTTP %u", resp->status);
	else {
		error = t_strdup_printf("HTTP %u: %s", resp->status,
					resp->body_excerpt);
	}
	push->last_error = p_strdup(push->pool, error);

	switch (webpush_answer_classify(resp->status, resp->address_refused)) {
	case WEBPUSH_ANSWER_DELIVERED:
		e_debug(push->event, "Delivered (HTTP %u)", resp->status);
		webpush_sender_finish(push, WEBPUSH_PUSH_DELIVERED, NULL);
		return;
	case WEBPUSH_ANSWER_GONE:
		e_info(push->event, "The push service answered %s: "
		       "the subscription is gone", error);
		if (push->spool_dir != NULL && webpush_spool_writable()) {
			struct webpush_gone_record record;
			const char *spool_error;

			i_zero(&record);
			record.owner = push->entry.owner;
			record.subscription = push->entry.subscription;
			record.endpoint = push->entry.endpoint;
			record.status = resp->status;
			record.time = time(NULL);
			if (webpush_spool_save_gone(push->spool_dir, &record,
						    &spool_error) < 0) {
				e_warning(push->event, "Cannot record the gone "
					  "subscription: %s", spool_error);
			}
		}
		if (sender->hooks.gone != NULL) {
			sender->hooks.gone(push->entry.owner,
					   push->entry.subscription,
					   push->entry.endpoint, resp->status,
					   sender->hooks.gone_context);
		}
		webpush_sender_finish(push, WEBPUSH_PUSH_GONE, error);
		return;
	case WEBPUSH_ANSWER_SMALLER:
		webpush_sender_seal_small(push);
		if (push->entry.small_body != NULL && !push->entry.small_only) {
			e_info(push->event, "The push service answered %s: "
			       "sending it once more without content", error);
			push->entry.small_only = TRUE;
			webpush_sender_attempt(push);
			return;
		}
		e_error(push->event, "The push service refused the push as too "
			"large (%s)", error);
		webpush_sender_finish(push, WEBPUSH_PUSH_REJECTED, error);
		return;
	case WEBPUSH_ANSWER_RETRY_AFTER:
	case WEBPUSH_ANSWER_RETRY:
		webpush_sender_retry(push, resp->have_retry_after,
				     resp->retry_after_secs, error);
		return;
	case WEBPUSH_ANSWER_REJECTED:
		if (resp->address_refused) {
			e_error(push->event, "Not sending the push: %s", error);
		} else {
			e_error(push->event, "The push service rejected the "
				"push: %s", error);
		}
		webpush_sender_finish(push, WEBPUSH_PUSH_REJECTED, error);
		return;
	}
	i_unreached();
}

static bool webpush_sender_header_is_ours(const char *header, bool authorize)
{
	static const char *const ours[] = {
		"TTL", "Content-Encoding", "Content-Type", "Content-Length",
		"Urgency", "Topic", "Host", "Expect", "Transfer-Encoding",
	};
	const char *colon = strchr(header, ':');
	size_t len = colon == NULL ? strlen(header) : (size_t)(colon - header);
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(ours); i++) {
		if (strlen(ours[i]) == len && strncasecmp(header, ours[i], len) == 0)
			return TRUE;
	}
	return authorize && len == 13 && strncasecmp(header, "Authorization", 13) == 0;
}

static void webpush_sender_attempt(struct webpush_sender_push *push)
{
	struct webpush_sender *sender = push->sender;
	struct webpush_http_request_settings hset;
	ARRAY_TYPE(const_string) headers;
	const struct webpush_spool_entry *e = &push->entry;
	const char *const *h, *value, *error;
	bool authorize = sender->hooks.authorize != NULL;

	timeout_remove(&push->to_retry);
	push->entry.attempts++;
	T_BEGIN {
		t_array_init(&headers, 12);
		value = t_strdup_printf("TTL: %u", sender->set.ttl_secs);
		array_push_back(&headers, &value);
		value = "Content-Encoding: aes128gcm";
		array_push_back(&headers, &value);
		value = "Content-Type: application/octet-stream";
		array_push_back(&headers, &value);
		if (e->urgency != NULL) {
			value = t_strconcat("Urgency: ", e->urgency, NULL);
			array_push_back(&headers, &value);
		}
		if (e->topic != NULL) {
			value = t_strconcat("Topic: ", e->topic, NULL);
			array_push_back(&headers, &value);
		}
		if (authorize) {
			value = sender->hooks.authorize(e->owner, e->endpoint,
				sender->hooks.authorize_context, &error);
			if (value == NULL) {
				push->start_error = p_strdup_printf(push->pool,
					"no VAPID authorization: %s", error);
			} else {
				value = t_strconcat("Authorization: ", value, NULL);
				array_push_back(&headers, &value);
			}
		}
		for (h = e->headers; *h != NULL; h++) {
			if (!webpush_sender_header_is_ours(*h, authorize))
				array_push_back(&headers, h);
		}
		array_append_zero(&headers);

		i_zero(&hset);
		hset.url = push->url;
		hset.connect_ip = push->connect_ip.family == 0 ? NULL :
			&push->connect_ip;
		hset.headers = array_front(&headers);
		if (e->small_only) {
			hset.body = e->small_body;
			hset.body_size = e->small_body_size;
		} else {
			hset.body = e->body;
			hset.body_size = e->body_size;
		}
		if (push->start_error == NULL) {
			e_debug(push->event, "Attempt %u (%zu octets)",
				e->attempts, hset.body_size);
			push->req = webpush_http_client_submit(sender->http,
				&hset, webpush_sender_response, push);
		}
	} T_END;
	if (push->start_error != NULL) {
		/* reported from the ioloop, never from inside send */
		push->to_retry = timeout_add_short_to(io_loop_get_root(), 0,
			webpush_sender_failed_to_start, push);
	}
}

static struct webpush_sender_push *
webpush_sender_push_new(struct webpush_sender *sender,
			const struct webpush_spool_entry *entry,
			const struct webpush_push *plain,
			const char *spool_dir)
{
	struct webpush_sender_push *push;
	struct webpush_spool_entry *e;
	ARRAY_TYPE(const_string) headers;
	const char *const *h, *str, *origin = NULL;
	pool_t pool;

	pool = pool_alloconly_create("webpush push", 1024 + entry->body_size +
				     entry->small_body_size +
				     (plain == NULL ? 0 : plain->small_plain_size +
				      plain->recipient_size));
	push = p_new(pool, struct webpush_sender_push, 1);
	push->pool = pool;
	push->sender = sender;
	e = &push->entry;
	e->id = p_strdup(pool, entry->id);
	e->owner = p_strdup(pool, entry->owner);
	e->subscription = p_strdup(pool, entry->subscription);
	e->endpoint = p_strdup(pool, entry->endpoint);
	e->connect_ip = p_strdup(pool, entry->connect_ip);
	p_array_init(&headers, pool, 8);
	for (h = entry->headers; h != NULL && *h != NULL; h++) {
		str = p_strdup(pool, *h);
		array_push_back(&headers, &str);
	}
	array_append_zero(&headers);
	e->headers = array_front(&headers);
	e->body = p_memdup(pool, entry->body, entry->body_size);
	e->body_size = entry->body_size;
	if (entry->small_body != NULL) {
		e->small_body = p_memdup(pool, entry->small_body,
					 entry->small_body_size);
		e->small_body_size = entry->small_body_size;
	}
	if (entry->small_body == NULL && plain != NULL &&
	    plain->small_plain != NULL && sender->hooks.seal != NULL) {
		push->small_plain = p_memdup(pool, plain->small_plain,
					     plain->small_plain_size);
		push->small_plain_size = plain->small_plain_size;
		push->recipient = p_memdup(pool, plain->recipient,
					   plain->recipient_size);
		push->recipient_size = plain->recipient_size;
	}
	e->small_only = entry->small_only;
	e->urgency = p_strdup(pool, entry->urgency);
	e->topic = p_strdup(pool, entry->topic);
	e->first_attempt = entry->first_attempt;
	e->next_attempt = entry->next_attempt;
	e->attempts = entry->attempts;
	push->spool_dir = p_strdup(pool, spool_dir);

	T_BEGIN {
		struct webpush_endpoint *endpoint;
		const char *error;

		if (webpush_endpoint_parse(e->endpoint,
					   sender->hooks.endpoint_set,
					   pool_datastack_create(),
					   &endpoint, &error) < 0) {
			push->start_error = p_strdup_printf(pool,
				"invalid endpoint: %s", error);
		} else {
			push->url = p_strdup(pool, endpoint->url);
			origin = p_strdup(pool, endpoint->origin);
		}
	} T_END;
	if (e->connect_ip != NULL &&
	    net_addr2ip(e->connect_ip, &push->connect_ip) < 0) {
		push->start_error = p_strdup_printf(pool,
			"invalid address to connect to: %s", e->connect_ip);
	}
	if (e->urgency != NULL && !webpush_urgency_is_valid(e->urgency)) {
		push->start_error = p_strdup_printf(pool, "invalid Urgency: %s",
			str_sanitize(e->urgency, 64));
	}
	if (e->topic != NULL && !webpush_topic_is_valid(e->topic)) {
		push->start_error = p_strdup_printf(pool, "invalid Topic: %s "
			"(at most 32 characters of A-Z a-z 0-9 - _)",
			str_sanitize(e->topic, 64));
	}

	push->event = event_create(sender->event);
	event_add_str(push->event, "push_id", e->id);
	if (e->owner != NULL)
		event_add_str(push->event, "user", e->owner);
	/* only the origin: the rest of the URL identifies the subscriber */
	event_add_str(push->event, "endpoint_origin", origin);
	event_set_append_log_prefix(push->event, t_strdup_printf(
		"push %s%s%s: ", e->owner == NULL ? "" : e->owner,
		e->subscription == NULL ? "" : "/",
		e->subscription == NULL ? "" : e->subscription));
	DLLIST_PREPEND(&sender->pushes, push);
	sender->pending++;
	return push;
}

void webpush_sender_send(struct webpush_sender *sender,
			 const struct webpush_push *push,
			 webpush_push_callback_t *callback, void *context)
{
	struct webpush_sender_push *p;
	struct webpush_spool_entry entry;
	const char *urgency, *topic;
	bool queue_full;

	urgency = push->urgency != NULL ? push->urgency : sender->set.urgency;
	topic = push->topic != NULL ? push->topic : sender->set.topic;

	i_zero(&entry);
	entry.id = webpush_spool_new_id();
	entry.owner = push->owner;
	entry.subscription = push->subscription;
	entry.endpoint = push->endpoint;
	entry.connect_ip = push->connect_ip == NULL ? NULL :
		net_ip2addr(push->connect_ip);
	entry.headers = push->headers;
	entry.body = push->body;
	entry.body_size = push->body_size;
	entry.small_body = push->small_body;
	entry.small_body_size = push->small_body_size;
	entry.urgency = urgency == NULL || *urgency == '\0' ? NULL : urgency;
	entry.topic = topic == NULL || *topic == '\0' ? NULL : topic;
	entry.first_attempt = time(NULL);
	entry.next_attempt = entry.first_attempt;

	queue_full = webpush_sender_queue_is_full(sender);
	p = webpush_sender_push_new(sender, &entry, push,
				    push->spool_dir != NULL ?
				    push->spool_dir : sender->set.spool_dir);
	p->callback = callback;
	p->context = context;
	if (queue_full) {
		p->queue_full = TRUE;
		p->start_error = "webpush_queue_max reached";
	}
	if (p->start_error != NULL) {
		p->to_retry = timeout_add_short_to(io_loop_get_root(), 0,
			webpush_sender_failed_to_start, p);
		return;
	}
	/* Started at once, so that a process that never runs its ioloop
	   again (dovecot-lda) still sends it while it waits at the end. */
	webpush_sender_attempt(p);
}

void webpush_sender_forget_context(struct webpush_sender *sender,
				   void *context)
{
	struct webpush_sender_push *push;

	for (push = sender->pushes; push != NULL; push = push->next) {
		if (push->context == context) {
			push->callback = NULL;
			push->context = NULL;
		}
	}
}

void webpush_sender_resume_spool(struct webpush_sender *sender,
				 const char *spool_dir)
{
	ARRAY_TYPE(webpush_spool_entry) entries;
	struct webpush_spool_entry *entry;
	struct webpush_sender_push *push;
	time_t now = time(NULL);
	pool_t pool;

	pool = pool_alloconly_create("webpush spool resume", 4096);
	p_array_init(&entries, pool, 8);
	webpush_spool_claim_all(spool_dir, pool, sender->event, &entries);
	array_foreach_elem(&entries, entry) {
		if (now > entry->first_attempt +
		    (time_t)sender->set.max_retry_time_secs) {
			e_warning(sender->event, "Dropping spooled push %s "
				  "(user %s): older than webpush_max_retry_time",
				  entry->id, entry->owner == NULL ? "-" :
				  entry->owner);
			webpush_spool_remove(spool_dir, entry->id,
					     sender->event);
			continue;
		}
		push = webpush_sender_push_new(sender, entry, NULL, spool_dir);
		push->spooled = TRUE;
		e_debug(push->event, "Resumed from the spool");
		if (push->start_error != NULL) {
			push->to_retry = timeout_add_short_to(
				io_loop_get_root(), 0,
				webpush_sender_failed_to_start, push);
		} else if (entry->next_attempt <= now) {
			webpush_sender_attempt(push);
		} else {
			push->to_retry = timeout_add_to(io_loop_get_root(),
				(unsigned int)I_MIN((entry->next_attempt - now) * 1000,
						    (time_t)INT_MAX),
				webpush_sender_attempt, push);
		}
	}
	pool_unref(&pool);
}

unsigned int webpush_sender_pending(struct webpush_sender *sender)
{
	return sender->pending;
}

unsigned int webpush_sender_in_flight(struct webpush_sender *sender)
{
	return webpush_http_client_pending(sender->http);
}

/* --- the sender ------------------------------------------------------- */

static bool
webpush_sender_address_check(const struct ip_addr *ip, void *context,
			     const char **reason_r)
{
	struct webpush_sender *sender = context;

	*reason_r = webpush_address_check(ip, sender->hooks.endpoint_set);
	return *reason_r == NULL;
}

int webpush_sender_init(const struct webpush_sender_settings *set,
			const struct webpush_sender_hooks *hooks,
			struct event *event_parent,
			struct webpush_sender **sender_r, const char **error_r)
{
	struct webpush_sender *sender;
	struct webpush_http_settings hset;
	pool_t pool;

	pool = pool_alloconly_create("webpush sender", 1024);
	sender = p_new(pool, struct webpush_sender, 1);
	sender->pool = pool;
	sender->set = *set;
	sender->set.urgency = p_strdup(pool, set->urgency);
	sender->set.topic = p_strdup(pool, set->topic);
	sender->set.ca_file = p_strdup(pool, set->ca_file);
	sender->set.spool_dir = p_strdup(pool, set->spool_dir);
	if (hooks != NULL)
		sender->hooks = *hooks;
	sender->event = event_create(event_parent);

	i_zero(&hset);
	hset.ca_file = sender->set.ca_file;
	hset.request_timeout_msecs = set->request_timeout_msecs;
	hset.allow_http = sender->hooks.endpoint_set != NULL &&
		sender->hooks.endpoint_set->allow_http;
	hset.address_check = webpush_sender_address_check;
	hset.address_check_context = sender;
	if (webpush_http_client_init(&hset, sender->event, &sender->http,
				     error_r) < 0) {
		event_unref(&sender->event);
		pool_unref(&pool);
		return -1;
	}
	*sender_r = sender;
	return 0;
}

void webpush_sender_deinit(struct webpush_sender **_sender)
{
	struct webpush_sender *sender = *_sender;
	struct webpush_sender_push *push;
	const char *error;
	time_t now;

	if (sender == NULL)
		return;
	*_sender = NULL;

	if (webpush_http_client_pending(sender->http) > 0) {
		if (!webpush_http_client_wait(sender->http,
					      sender->set.exit_wait_msecs)) {
			e_info(sender->event, "%u push request(s) still running "
			       "after webpush_exit_wait",
			       webpush_http_client_pending(sender->http));
		}
	}
	now = time(NULL);
	while ((push = sender->pushes) != NULL) {
		webpush_http_request_abort(&push->req);
		timeout_remove(&push->to_retry);
		if (push->entry.next_attempt < now)
			push->entry.next_attempt = now;
		if (push->spool_dir != NULL)
			webpush_sender_seal_small(push);
		if (push->spool_dir == NULL) {
			e_warning(push->event, "Dropping the push: the process "
				  "ends and there is no webpush_spool_dir");
			webpush_sender_finish(push, WEBPUSH_PUSH_DROPPED,
					      "process ended");
		} else if (webpush_spool_save(push->spool_dir, &push->entry,
					      FALSE, push->spooled ? 0 :
					      sender->set.spool_max,
					      &error) < 0) {
			e_warning(push->event, "Dropping the push: the process "
				  "ends and it cannot be spooled: %s", error);
			if (push->spooled) {
				webpush_spool_remove(push->spool_dir,
						     push->entry.id, push->event);
				push->spooled = FALSE;
			}
			webpush_sender_finish(push, WEBPUSH_PUSH_DROPPED, error);
		} else {
			e_info(push->event, "The process ends: the push waits "
			       "in %s", push->spool_dir);
			push->spooled = FALSE;
			webpush_sender_finish(push, WEBPUSH_PUSH_SPOOLED,
					      "process ended");
		}
	}
	webpush_http_client_deinit(&sender->http);
	event_unref(&sender->event);
	pool_unref(&sender->pool);
}

int webpush_sender_global_get(const struct webpush_sender_settings *set,
			      const struct webpush_sender_hooks *hooks,
			      struct event *event_parent,
			      struct webpush_sender **sender_r,
			      const char **error_r)
{
	if (webpush_sender_global == NULL &&
	    webpush_sender_init(set, hooks, event_parent,
				&webpush_sender_global, error_r) < 0)
		return -1;
	*sender_r = webpush_sender_global;
	return 0;
}

void webpush_sender_global_deinit(void)
{
	webpush_sender_deinit(&webpush_sender_global);
}
