/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

/* webpush-send: drives the real Web Push transport (webpush-sender.c,
   webpush-http.c, webpush-spool.c) on Dovecot's ioloop, for
   tests/integration/test_webpush_http.py, which runs it against the test
   push receiver.

   Usage: webpush-send JOBFILE [setting=value...]

   The settings are the plugin's webpush_* settings, read by the plugin's
   own reader. JOBFILE is JSON:

     { "mode": "run" | "exit",
       "resume": ["/spool/dir", ...],  (spool dirs to resume first)
       "take_gone": ["/spool/dir", ...], (print and remove the gone
                                        records of these dirs first)
       "allowed_networks": "127.0.0.0/8",  (webpush_allowed_networks
                                        of the endpoint policy)
       "authorization": "vapid ...",   (when set: given per attempt by
                                        the authorize hook)
       "pushes": [ { "id": "a", "endpoint": "https://...",
                     "connect_ip": "127.0.0.1" | null,
                     "headers": ["Name: value", ...],
                     "body": "<base64url>", "small_body": "<base64url>",
                     "urgency": "...", "topic": "...",
                     "after": "<id>" (start once that push finished) } ] }

   mode "run" runs the ioloop until every push has its outcome, then
   ends (webpush_sender_deinit). mode "exit" ends at once after starting
   the pushes, like dovecot-lda after a delivery: the sender waits at most
   webpush_exit_wait and spools the rest.

   Every outcome and every "gone" callback is printed to stdout as one
   JSON line, in the order they happen. With WEBPUSH_EVENTS=<filter> in
   the environment (a Dovecot event filter such as "event=webpush_sent"),
   each event that matches it is printed too, as Dovecot's stats would
   receive it: {"event": "named", "name": ..., "fields": {...}} with the
   event's fields and its parents', and "duration_usecs". */

#include "lib.h"
#include "array.h"
#include "base64.h"
#include "ioloop.h"
#include "str.h"
#include "event-filter.h"
#include "lib-event-private.h"
#include "webpush-endpoint.h"
#include "webpush-sender.h"
#include "webpush-spool.h"

#include <stdio.h>
#include <jansson.h>

struct send_push {
	const char *id;
	const char *after;
	struct webpush_push push;
	struct ip_addr connect_ip;
	bool started, finished;
};

static ARRAY(struct send_push *) pushes;
static ARRAY_TYPE(const_string) settings;
static struct webpush_sender *sender;
/* stays set while webpush_sender_deinit() runs */
static struct webpush_sender *sender_ref;
static const char *authorization;
static unsigned int unfinished;
static bool running;

static const char *setting_lookup(const char *name, void *context ATTR_UNUSED)
{
	const char *line;
	size_t len = strlen(name);

	array_foreach_elem(&settings, line) {
		if (strncmp(line, name, len) == 0 && line[len] == '=')
			return line + len + 1;
	}
	return NULL;
}

static void print_json(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(obj);
}

static bool
named_event_callback(struct event *event, enum event_callback_type type,
		     struct failure_context *ctx ATTR_UNUSED,
		     const char *fmt ATTR_UNUSED, va_list args ATTR_UNUSED)
{
	const struct event_field *fields;
	struct event *e;
	unsigned int i, count;
	uintmax_t duration;
	json_t *obj;

	if (type != EVENT_CALLBACK_TYPE_SEND || event->sending_name == NULL)
		return TRUE;
	obj = json_object();
	for (e = event; e != NULL; e = event_get_parent(e)) {
		fields = event_get_fields(e, &count);
		for (i = 0; i < count; i++) {
			if (json_object_get(obj, fields[i].key) != NULL)
				continue;
			if (fields[i].value_type == EVENT_FIELD_VALUE_TYPE_STR) {
				json_object_set_new(obj, fields[i].key,
					json_string(fields[i].value.str));
			} else if (fields[i].value_type ==
				   EVENT_FIELD_VALUE_TYPE_INTMAX) {
				json_object_set_new(obj, fields[i].key,
					json_integer(fields[i].value.intmax));
			}
		}
	}
	event_get_last_duration(event, &duration);
	print_json(json_pack("{s:s, s:s, s:o, s:I}", "event", "named",
			     "name", event->sending_name, "fields", obj,
			     "duration_usecs", (json_int_t)duration));
	return TRUE;
}

static void named_events_init(const char *filter_str)
{
	struct event_filter *filter = event_filter_create();
	const char *error;

	if (event_filter_parse(filter_str, filter, &error) < 0)
		i_fatal("WEBPUSH_EVENTS: %s", error);
	event_set_global_debug_send_filter(filter);
	event_filter_unref(&filter);
	event_register_callback(named_event_callback);
}

static const char *
authorize(const char *owner ATTR_UNUSED, const char *endpoint ATTR_UNUSED,
	  void *context ATTR_UNUSED, const char **error_r)
{
	*error_r = "no authorization";
	return authorization;
}

static void
gone(const char *owner, const char *subscription, const char *endpoint,
     unsigned int status, void *context ATTR_UNUSED)
{
	print_json(json_pack("{s:s, s:s?, s:s?, s:s, s:i}", "event", "gone",
			     "owner", owner, "subscription", subscription,
			     "endpoint", endpoint, "status", status));
}

static const char *const result_names[] = {
	"delivered", "gone", "rejected", "expired", "spooled", "dropped",
};

static void start_ready(void);

static void outcome(const struct webpush_push_outcome *o, void *context)
{
	struct send_push *p = context;

	print_json(json_pack("{s:s, s:s, s:s, s:i, s:i, s:s?, s:i}",
			     "event", "outcome", "id", p->id,
			     "result", result_names[o->result],
			     "status", o->status, "attempts", o->attempts,
			     "error", o->error,
			     "pending", webpush_sender_pending(sender_ref)));
	p->finished = TRUE;
	i_assert(unfinished > 0);
	if (--unfinished == 0 && running)
		io_loop_stop(current_ioloop);
	else if (running)
		start_ready();
}

static bool push_is_finished(const char *id)
{
	struct send_push *p;

	array_foreach_elem(&pushes, p) {
		if (strcmp(p->id, id) == 0)
			return p->finished;
	}
	return TRUE;
}

static void start_ready(void)
{
	struct send_push *p;

	array_foreach_elem(&pushes, p) {
		if (p->started || (p->after != NULL && !push_is_finished(p->after)))
			continue;
		p->started = TRUE;
		webpush_sender_send(sender, &p->push, outcome, p);
	}
}

static const char *json_str(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return json_is_string(v) ? t_strdup(json_string_value(v)) : NULL;
}

static const unsigned char *
json_b64(json_t *obj, const char *name, size_t *size_r)
{
	const char *str = json_str(obj, name);
	buffer_t *buf;

	*size_r = 0;
	if (str == NULL)
		return NULL;
	buf = t_base64url_decode_str(BASE64_DECODE_FLAG_IGNORE_PADDING, str);
	*size_r = buf->used;
	return buf->data;
}

static void read_job(const char *path, json_t **job_r)
{
	json_error_t jerr;
	json_t *job, *list, *item, *h;
	struct send_push *p;
	ARRAY_TYPE(const_string) headers;
	const char *str;
	size_t i, j;

	job = json_load_file(path, 0, &jerr);
	if (job == NULL)
		i_fatal("%s: %s", path, jerr.text);
	authorization = json_str(job, "authorization");
	list = json_object_get(job, "pushes");
	json_array_foreach(list, i, item) {
		p = t_new(struct send_push, 1);
		p->id = json_str(item, "id");
		p->after = json_str(item, "after");
		p->push.owner = json_str(item, "owner");
		p->push.subscription = json_str(item, "subscription");
		p->push.endpoint = json_str(item, "endpoint");
		str = json_str(item, "connect_ip");
		if (str != NULL) {
			if (net_addr2ip(str, &p->connect_ip) < 0)
				i_fatal("invalid connect_ip %s", str);
			p->push.connect_ip = &p->connect_ip;
		}
		t_array_init(&headers, 4);
		json_array_foreach(json_object_get(item, "headers"), j, h) {
			str = t_strdup(json_string_value(h));
			array_push_back(&headers, &str);
		}
		array_append_zero(&headers);
		p->push.headers = array_front(&headers);
		p->push.body = json_b64(item, "body", &p->push.body_size);
		p->push.small_body = json_b64(item, "small_body",
					      &p->push.small_body_size);
		p->push.urgency = json_str(item, "urgency");
		p->push.topic = json_str(item, "topic");
		p->push.spool_dir = json_str(item, "spool_dir");
		if (p->id == NULL || p->push.endpoint == NULL || p->push.body == NULL)
			i_fatal("push %zu lacks id, endpoint or body", i);
		array_push_back(&pushes, &p);
	}
	*job_r = job;
}

int main(int argc, char *argv[])
{
	struct webpush_sender_settings set;
	struct webpush_sender_hooks hooks;
	struct webpush_endpoint_settings *endpoint_set;
	struct ioloop *ioloop;
	struct event *event;
	json_t *job, *item;
	const char *error, *mode, *arg;
	size_t i;
	int ret = 0;

	lib_init();
	if (argc < 2)
		i_fatal("Usage: webpush-send JOBFILE [setting=value...]");
	ioloop = io_loop_create();
	i_array_init(&pushes, 16);
	i_array_init(&settings, 16);
	for (i = 2; i < (size_t)argc; i++) {
		arg = argv[i];
		array_push_back(&settings, &arg);
	}
	event = event_create(NULL);
	if (getenv("WEBPUSH_DEBUG") != NULL)
		event_set_forced_debug(event, TRUE);
	if (getenv("WEBPUSH_EVENTS") != NULL)
		named_events_init(getenv("WEBPUSH_EVENTS"));

	T_BEGIN {
		if (webpush_sender_settings_read(setting_lookup, NULL,
						 getenv("HOME"),
						 pool_datastack_create(),
						 &set, &error) < 0)
			i_fatal("%s", error);
		read_job(argv[1], &job);
		if (webpush_endpoint_settings_parse(NULL,
				json_str(job, "allowed_networks"),
				pool_datastack_create(), &endpoint_set,
				&error) < 0)
			i_fatal("%s", error);
		i_zero(&hooks);
		hooks.endpoint_set = endpoint_set;
		hooks.gone = gone;
		if (authorization != NULL)
			hooks.authorize = authorize;
		if (webpush_sender_init(&set, &hooks, event, &sender, &error) < 0)
			i_fatal("%s", error);
		sender_ref = sender;
		json_array_foreach(json_object_get(job, "take_gone"), i, item) {
			ARRAY_TYPE(webpush_gone_record) gone_records;
			const struct webpush_gone_record *rec;

			t_array_init(&gone_records, 4);
			webpush_spool_take_gone(json_string_value(item),
						pool_datastack_create(), event,
						&gone_records);
			array_foreach(&gone_records, rec) {
				print_json(json_pack("{s:s, s:s?, s:s?, s:s, s:i}",
					"event", "gone_record", "owner", rec->owner,
					"subscription", rec->subscription,
					"endpoint", rec->endpoint,
					"status", rec->status));
			}
		}
		json_array_foreach(json_object_get(job, "resume"), i, item)
			webpush_sender_resume_spool(sender, json_string_value(item));
		unfinished = array_count(&pushes);
		mode = json_str(job, "mode");
		running = mode == NULL || strcmp(mode, "run") == 0;
		start_ready();
		if (running) {
			/* resumed pushes have no outcome callback: run until
			   the sender has nothing left */
			while (unfinished > 0 || webpush_sender_pending(sender) > 0) {
				if (unfinished == 0 && webpush_sender_pending(sender) > 0) {
					struct timeout *to = timeout_add_short(
						20, io_loop_stop, ioloop);
					io_loop_run(ioloop);
					timeout_remove(&to);
				} else {
					io_loop_run(ioloop);
				}
			}
		}
		running = FALSE;
		webpush_sender_deinit(&sender);
		print_json(json_pack("{s:s}", "event", "end"));
		json_decref(job);
	} T_END;

	if (getenv("WEBPUSH_EVENTS") != NULL) {
		event_unregister_callback(named_event_callback);
		event_unset_global_debug_send_filter();
	}
	event_unref(&event);
	array_free(&settings);
	array_free(&pushes);
	io_loop_destroy(&ioloop);
	lib_deinit();
	return ret;
}
