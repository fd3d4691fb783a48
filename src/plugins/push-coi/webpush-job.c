/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "str.h"
#include "strescape.h"
#include "connection.h"
#include "webpush-b64.h"
#include "webpush-json.h"
#include "webpush-job.h"

#include <jansson.h>

const char *const webpush_job_setting_names[] = {
	"webpush_allow_http",
	"webpush_allowed_networks",
	"webpush_ca_file",
	"webpush_exit_wait",
	"webpush_max_retry_time",
	"webpush_queue_max",
	"webpush_request_timeout",
	"webpush_retry_delay",
	"webpush_retry_max_delay",
	"webpush_spool_max",
	"webpush_topic",
	"webpush_ttl",
	"webpush_urgency",
	"webpush_vapid_expire",
	"webpush_vapid_key",
	"webpush_vapid_subject",
	NULL
};

/* Sorted keys: the same settings always give the same line. */
static const char *job_dump(json_t *obj)
{
	return webpush_json_dump(obj, JSON_SORT_KEYS);
}

/* json_string() of a string that is not valid UTF-8 is NULL: such a value
   cannot come from Dovecot's settings or a stored subscription, but is
   still refused by an assert rather than sent as null. */
static json_t *job_string(const char *str)
{
	json_t *value = json_string(str);

	i_assert(value != NULL);
	return value;
}

const char *webpush_job_settings_line(webpush_setting_lookup_t *lookup,
				      void *context)
{
	json_t *settings = json_object();
	const char *const *name, *value;

	for (name = webpush_job_setting_names; *name != NULL; name++) {
		value = lookup(*name, context);
		if (value != NULL)
			json_object_set_new(settings, *name, job_string(value));
	}
	return job_dump(json_pack("{s:o}", "settings", settings));
}

bool webpush_job_push_payload_valid(const char *payload)
{
	return strchr(payload, '\n') == NULL;
}

const char *webpush_job_push_line(const struct webpush_job_push *push)
{
	json_t *obj, *headers;
	const char *const *h;
	const char *line;

	/* the payloads are JSON texts without line breaks: they follow as
	   lines of their own rather than as escaped strings, which would
	   cost the delivering process more than the rest of the push */
	i_assert(webpush_job_push_payload_valid(push->payload));
	i_assert(push->small_payload == NULL ||
		 webpush_job_push_payload_valid(push->small_payload));
	obj = json_pack("{s:I,s:o,s:o,s:o,s:s,s:s,s:I}",
		"id", (json_int_t)push->id,
		"owner", job_string(push->owner),
		"subscription", job_string(push->subscription),
		"endpoint", job_string(push->endpoint),
		"p256dh", webpush_b64url_encode(push->p256dh,
						sizeof(push->p256dh)),
		"auth", webpush_b64url_encode(push->auth, sizeof(push->auth)),
		"payload_lines",
		(json_int_t)(push->small_payload == NULL ? 1 : 2));
	i_assert(obj != NULL);
	if (push->headers != NULL) {
		headers = json_array();
		for (h = push->headers; *h != NULL; h++)
			json_array_append_new(headers, job_string(*h));
		json_object_set_new(obj, "headers", headers);
	}
	if (push->spool_dir != NULL) {
		json_object_set_new(obj, "spool_dir",
				    job_string(push->spool_dir));
	}
	line = webpush_json_dump(json_pack("{s:o}", "push", obj), 0);
	return t_strconcat(line, "\n", push->payload,
			   push->small_payload == NULL ? NULL : "\n",
			   push->small_payload, NULL);
}


int webpush_job_push_add_line(struct webpush_job_line *line, pool_t pool,
			      const char *text)
{
	i_assert(line->type == WEBPUSH_JOB_LINE_PUSH);
	i_assert(line->push_lines_missing > 0);

	if (line->push.payload == NULL)
		line->push.payload = p_strdup(pool, text);
	else
		line->push.small_payload = p_strdup(pool, text);
	return --line->push_lines_missing == 0 ? 1 : 0;
}

const char *webpush_job_resume_line(const char *spool_dir)
{
	return job_dump(json_pack("{s:o}", "resume", job_string(spool_dir)));
}

const char *webpush_job_outcome_line(unsigned int id,
				     const struct webpush_push_outcome *outcome)
{
	json_t *obj, *error;

	obj = json_pack("{s:I,s:s,s:I,s:I}",
		"id", (json_int_t)id,
		"result", webpush_push_result_to_str(outcome->result),
		"status", (json_int_t)outcome->status,
		"attempts", (json_int_t)outcome->attempts);
	i_assert(obj != NULL);
	/* the error may quote a push service's answer: one that is not
	   valid UTF-8 is not sent as it is */
	error = outcome->error == NULL ? json_null() : json_string(outcome->error);
	if (error == NULL)
		error = json_string("(an error that is not valid UTF-8)");
	json_object_set_new(obj, "error", error);
	return job_dump(json_pack("{s:o}", "outcome", obj));
}

const char *webpush_job_gone_line(const char *owner, const char *subscription,
				  const char *endpoint, unsigned int status)
{
	return job_dump(json_pack("{s:{s:o,s:o,s:o,s:I}}", "gone",
		"owner", job_string(owner),
		"subscription", job_string(subscription),
		"endpoint", job_string(endpoint),
		"status", (json_int_t)status));
}

/* --- parsing --- */

static int
job_get_uint(json_t *obj, const char *key, unsigned int *value_r,
	     const char **error_r)
{
	json_t *value = json_object_get(obj, key);

	if (!json_is_integer(value) || json_integer_value(value) < 0 ||
	    json_integer_value(value) > UINT_MAX) {
		*error_r = t_strdup_printf("'%s' is not a number from 0 to %u",
					   key, UINT_MAX);
		return -1;
	}
	*value_r = (unsigned int)json_integer_value(value);
	return 0;
}

static int
job_get_key(json_t *obj, const char *key, unsigned char *dest, size_t size,
	    const char **error_r)
{
	const char *str, *error;
	buffer_t *buf;

	if (webpush_json_get_string(obj, key, TRUE, pool_datastack_create(),
				    &str, error_r) < 0)
		return -1;
	buf = t_buffer_create(size + 3);
	if (webpush_b64_decode(str, buf, &error) < 0) {
		*error_r = t_strdup_printf("'%s': %s", key, error);
		return -1;
	}
	if (buf->used != size) {
		*error_r = t_strdup_printf("'%s' is %zu octets, not %zu",
					   key, buf->used, size);
		return -1;
	}
	memcpy(dest, buf->data, size);
	return 0;
}

static int
job_parse_settings(json_t *obj, pool_t pool, struct webpush_job_line *line_r,
		   const char **error_r)
{
	ARRAY_TYPE(const_string) settings;
	const char *key, *name, *value;
	json_t *jvalue;

	if (!json_is_object(obj)) {
		*error_r = "'settings' is not an object";
		return -1;
	}
	p_array_init(&settings, pool, json_object_size(obj) * 2 + 1);
	json_object_foreach(obj, key, jvalue) {
		if (!str_array_find(webpush_job_setting_names, key)) {
			*error_r = t_strdup_printf("unknown setting '%s'", key);
			return -1;
		}
		if (webpush_json_get_string(obj, key, TRUE, pool, &value,
					    error_r) < 0)
			return -1;
		(void)jvalue;
		/* not key itself: json_object_foreach() iterates with it */
		name = p_strdup(pool, key);
		array_push_back(&settings, &name);
		array_push_back(&settings, &value);
	}
	array_append_zero(&settings);
	line_r->settings = array_front(&settings);
	return 0;
}

static int
job_parse_push(json_t *obj, pool_t pool, struct webpush_job_push *push_r,
	       unsigned int *lines_r, const char **error_r)
{
	ARRAY_TYPE(const_string) headers;
	json_t *jheaders, *jvalue;
	const char *value;
	size_t i;

	if (!json_is_object(obj)) {
		*error_r = "'push' is not an object";
		return -1;
	}
	if (job_get_uint(obj, "id", &push_r->id, error_r) < 0 ||
	    webpush_json_get_string(obj, "owner", TRUE, pool,
				    &push_r->owner, error_r) < 0 ||
	    webpush_json_get_string(obj, "subscription", TRUE, pool,
				    &push_r->subscription, error_r) < 0 ||
	    webpush_json_get_string(obj, "endpoint", TRUE, pool,
				    &push_r->endpoint, error_r) < 0 ||
	    job_get_key(obj, "p256dh", push_r->p256dh,
			sizeof(push_r->p256dh), error_r) < 0 ||
	    job_get_key(obj, "auth", push_r->auth, sizeof(push_r->auth),
			error_r) < 0 ||
	    job_get_uint(obj, "payload_lines", lines_r, error_r) < 0 ||
	    webpush_json_get_string(obj, "spool_dir", FALSE, pool,
				    &push_r->spool_dir, error_r) < 0)
		return -1;

	if (*lines_r < 1 || *lines_r > 2) {
		*error_r = "'payload_lines' is not 1 or 2";
		return -1;
	}
	push_r->payload = NULL;
	push_r->small_payload = NULL;

	jheaders = json_object_get(obj, "headers");
	if (jheaders == NULL || json_is_null(jheaders)) {
		push_r->headers = NULL;
		return 0;
	}
	if (!json_is_array(jheaders)) {
		*error_r = "'headers' is not an array";
		return -1;
	}
	p_array_init(&headers, pool, json_array_size(jheaders) + 1);
	json_array_foreach(jheaders, i, jvalue) {
		if (!json_is_string(jvalue) ||
		    strlen(json_string_value(jvalue)) !=
		    json_string_length(jvalue)) {
			*error_r = "'headers' has an element that is not a "
				"string";
			return -1;
		}
		value = json_string_value(jvalue);
		if (strpbrk(value, "\r\n") != NULL) {
			*error_r = "'headers' has a line break in a header";
			return -1;
		}
		value = p_strdup(pool, value);
		array_push_back(&headers, &value);
	}
	array_append_zero(&headers);
	push_r->headers = array_front(&headers);
	return 0;
}

static int
job_parse_result(const char *str, enum webpush_push_result *result_r)
{
	enum webpush_push_result r;

	for (r = WEBPUSH_PUSH_DELIVERED; r <= WEBPUSH_PUSH_DROPPED; r++) {
		if (strcmp(str, webpush_push_result_to_str(r)) == 0) {
			*result_r = r;
			return 0;
		}
	}
	return -1;
}

static int
job_parse_outcome(json_t *obj, pool_t pool, struct webpush_job_line *line_r,
		  const char **error_r)
{
	const char *result;

	if (!json_is_object(obj)) {
		*error_r = "'outcome' is not an object";
		return -1;
	}
	if (job_get_uint(obj, "id", &line_r->outcome_id, error_r) < 0 ||
	    webpush_json_get_string(obj, "result", TRUE, pool, &result,
				    error_r) < 0 ||
	    job_get_uint(obj, "status", &line_r->outcome.status,
			 error_r) < 0 ||
	    job_get_uint(obj, "attempts", &line_r->outcome.attempts,
			 error_r) < 0 ||
	    webpush_json_get_string(obj, "error", FALSE, pool,
				    &line_r->outcome.error, error_r) < 0)
		return -1;
	if (job_parse_result(result, &line_r->outcome.result) < 0) {
		*error_r = t_strdup_printf("unknown result '%s'", result);
		return -1;
	}
	return 0;
}

static int
job_parse_gone(json_t *obj, pool_t pool, struct webpush_job_line *line_r,
	       const char **error_r)
{
	if (!json_is_object(obj)) {
		*error_r = "'gone' is not an object";
		return -1;
	}
	if (webpush_json_get_string(obj, "owner", TRUE, pool,
				    &line_r->gone_owner, error_r) < 0 ||
	    webpush_json_get_string(obj, "subscription", TRUE, pool,
				    &line_r->gone_subscription, error_r) < 0 ||
	    webpush_json_get_string(obj, "endpoint", TRUE, pool,
				    &line_r->gone_endpoint, error_r) < 0 ||
	    job_get_uint(obj, "status", &line_r->gone_status, error_r) < 0)
		return -1;
	return 0;
}

int webpush_job_parse_line(const char *line, pool_t pool,
			   struct webpush_job_line *line_r,
			   const char **error_r)
{
	json_error_t jerror;
	json_t *root, *value;
	const char *key;
	int ret;

	i_zero(line_r);
	if (strlen(line) > WEBPUSH_JOB_LINE_MAX_SIZE) {
		*error_r = "line too long";
		return -1;
	}
	root = json_loads(line, JSON_REJECT_DUPLICATES, &jerror);
	if (root == NULL) {
		*error_r = t_strdup_printf("not JSON: %s", jerror.text);
		return -1;
	}
	if (!json_is_object(root) || json_object_size(root) != 1) {
		json_decref(root);
		*error_r = "not an object with one member";
		return -1;
	}
	key = json_object_iter_key(json_object_iter(root));
	value = json_object_iter_value(json_object_iter(root));
	if (strcmp(key, "settings") == 0) {
		line_r->type = WEBPUSH_JOB_LINE_SETTINGS;
		ret = job_parse_settings(value, pool, line_r, error_r);
	} else if (strcmp(key, "push") == 0) {
		line_r->type = WEBPUSH_JOB_LINE_PUSH;
		ret = job_parse_push(value, pool, &line_r->push,
				     &line_r->push_lines_missing, error_r);
	} else if (strcmp(key, "resume") == 0) {
		line_r->type = WEBPUSH_JOB_LINE_RESUME;
		ret = webpush_json_get_string(root, "resume", TRUE, pool,
					      &line_r->resume_dir, error_r);
	} else if (strcmp(key, "outcome") == 0) {
		line_r->type = WEBPUSH_JOB_LINE_OUTCOME;
		ret = job_parse_outcome(value, pool, line_r, error_r);
	} else if (strcmp(key, "gone") == 0) {
		line_r->type = WEBPUSH_JOB_LINE_GONE;
		ret = job_parse_gone(value, pool, line_r, error_r);
	} else {
		*error_r = t_strdup_printf("unknown line type '%s'", key);
		ret = -1;
	}
	json_decref(root);
	return ret;
}

const char *webpush_job_settings_lookup(const char *name, void *context)
{
	const char *const *settings = context;

	for (; settings[0] != NULL; settings += 2) {
		if (strcmp(settings[0], name) == 0)
			return settings[1];
	}
	return NULL;
}

int webpush_job_handshake_line(struct connection *conn, const char *line)
{
	const char *const *args = t_strsplit_tabescaped(line);
	unsigned int major, minor;

	if (str_array_length(args) < 4 || strcmp(args[0], "VERSION") != 0 ||
	    str_to_uint(args[2], &major) < 0 ||
	    str_to_uint(args[3], &minor) < 0) {
		e_error(conn->event, "Invalid handshake: %s", line);
		return -1;
	}
	if (connection_verify_version(conn, args[1], major, minor) < 0)
		return -1;
	return 1;
}
