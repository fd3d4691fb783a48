/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "str.h"
#include "strescape.h"
#include "str-sanitize.h"
#include "strnum.h"
#include "connection.h"
#include "webpush-b64.h"
#include "webpush-job.h"

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

#define JOB_SETTINGS "SETTINGS"
#define JOB_PUSH "PUSH"
#define JOB_RESUME "RESUME"
#define JOB_OUTCOME "OUTCOME"
#define JOB_GONE "GONE"

/* PUSH: the fields after the type up to the payload; headers follow */
enum job_push_field {
	JOB_PUSH_ID = 1,
	JOB_PUSH_OWNER,
	JOB_PUSH_SUBSCRIPTION,
	JOB_PUSH_ENDPOINT,
	JOB_PUSH_P256DH,
	JOB_PUSH_AUTH,
	JOB_PUSH_CONTENT,
	JOB_PUSH_SPOOL_DIR,
	JOB_PUSH_PAYLOAD,
	JOB_PUSH_HEADERS,
};

static void job_append(string_t *str, const char *value)
{
	str_append_c(str, '\t');
	str_append_tabescaped(str, value);
}

/* base64url without padding: no character of it is escaped */
static void job_append_key(string_t *str, const unsigned char *key,
			   size_t size)
{
	str_append_c(str, '\t');
	webpush_b64url_append(str, key, size);
}

const char *webpush_job_settings_line(webpush_setting_lookup_t *lookup,
				      void *context)
{
	string_t *str = t_str_new(256);
	const char *const *name, *value;

	str_append(str, JOB_SETTINGS);
	for (name = webpush_job_setting_names; *name != NULL; name++) {
		value = lookup(*name, context);
		if (value != NULL) {
			job_append(str, *name);
			job_append(str, value);
		}
	}
	return str_c(str);
}

const char *webpush_job_push_line(const struct webpush_job_push *push)
{
	string_t *str = t_str_new(512 + strlen(push->payload));
	const char *const *h;

	str_append(str, JOB_PUSH);
	str_printfa(str, "\t%u", push->id);
	job_append(str, push->owner);
	job_append(str, push->subscription);
	job_append(str, push->endpoint);
	job_append_key(str, push->p256dh, sizeof(push->p256dh));
	job_append_key(str, push->auth, sizeof(push->auth));
	str_append(str, push->content ? "\t1" : "\t0");
	job_append(str, push->spool_dir == NULL ? "" : push->spool_dir);
	job_append(str, push->payload);
	if (push->headers != NULL) {
		for (h = push->headers; *h != NULL; h++)
			job_append(str, *h);
	}
	return str_c(str);
}

const char *webpush_job_resume_line(const char *spool_dir)
{
	string_t *str = t_str_new(128);

	str_append(str, JOB_RESUME);
	job_append(str, spool_dir);
	return str_c(str);
}

const char *webpush_job_outcome_line(unsigned int id,
				     const struct webpush_push_outcome *outcome)
{
	string_t *str = t_str_new(128);

	str_printfa(str, JOB_OUTCOME"\t%u", id);
	job_append(str, webpush_push_result_to_str(outcome->result));
	str_printfa(str, "\t%u\t%u", outcome->status, outcome->attempts);
	if (outcome->error != NULL)
		job_append(str, outcome->error);
	return str_c(str);
}

const char *webpush_job_gone_line(const char *owner, const char *subscription,
				  const char *endpoint, unsigned int status)
{
	string_t *str = t_str_new(256);

	str_append(str, JOB_GONE);
	job_append(str, owner);
	job_append(str, subscription);
	job_append(str, endpoint);
	str_printfa(str, "\t%u", status);
	return str_c(str);
}

/* --- parsing --- */

static int
job_get_uint(const char *value, const char *name, unsigned int *value_r,
	     const char **error_r)
{
	if (str_to_uint(value, value_r) < 0) {
		*error_r = t_strdup_printf("'%s' is not a number from 0 to %u",
					   name, UINT_MAX);
		return -1;
	}
	return 0;
}

static int
job_get_string(const char *value, const char *name, pool_t pool,
	       const char **value_r, const char **error_r)
{
	if (value[0] == '\0') {
		*error_r = t_strdup_printf("'%s' is empty", name);
		return -1;
	}
	*value_r = p_strdup(pool, value);
	return 0;
}

static int
job_get_key(const char *value, const char *name, unsigned char *dest,
	    size_t size, const char **error_r)
{
	const char *error;
	buffer_t *buf;

	buf = t_buffer_create(size + 3);
	if (webpush_b64_decode(value, buf, &error) < 0) {
		*error_r = t_strdup_printf("'%s': %s", name, error);
		return -1;
	}
	if (buf->used != size) {
		*error_r = t_strdup_printf("'%s' is %zu octets, not %zu",
					   name, buf->used, size);
		return -1;
	}
	memcpy(dest, buf->data, size);
	return 0;
}

static int
job_parse_settings(const char *const *args, pool_t pool,
		   struct webpush_job_line *line_r, const char **error_r)
{
	ARRAY_TYPE(const_string) settings;
	unsigned int i, j, count = str_array_length(args);
	const char *name, *value;

	if (count % 2 != 0) {
		*error_r = "a setting without a value";
		return -1;
	}
	p_array_init(&settings, pool, count + 1);
	for (i = 0; i < count; i += 2) {
		if (!str_array_find(webpush_job_setting_names, args[i])) {
			*error_r = t_strdup_printf("unknown setting '%s'",
						   str_sanitize(args[i], 64));
			return -1;
		}
		for (j = 0; j < i; j += 2) {
			if (strcmp(args[j], args[i]) == 0) {
				*error_r = t_strdup_printf(
					"setting '%s' given twice", args[i]);
				return -1;
			}
		}
		name = p_strdup(pool, args[i]);
		value = p_strdup(pool, args[i + 1]);
		array_push_back(&settings, &name);
		array_push_back(&settings, &value);
	}
	array_append_zero(&settings);
	line_r->settings = array_front(&settings);
	return 0;
}

static int
job_parse_push(const char *const *args, pool_t pool,
	       struct webpush_job_push *push_r, const char **error_r)
{
	ARRAY_TYPE(const_string) headers;
	const char *value;
	unsigned int i;

	if (str_array_length(args) < JOB_PUSH_HEADERS) {
		*error_r = t_strdup_printf("%u fields, not at least %u",
					   str_array_length(args),
					   (unsigned int)JOB_PUSH_HEADERS);
		return -1;
	}
	if (job_get_uint(args[JOB_PUSH_ID], "id", &push_r->id, error_r) < 0 ||
	    job_get_string(args[JOB_PUSH_OWNER], "owner", pool,
			   &push_r->owner, error_r) < 0 ||
	    job_get_string(args[JOB_PUSH_SUBSCRIPTION], "subscription", pool,
			   &push_r->subscription, error_r) < 0 ||
	    job_get_string(args[JOB_PUSH_ENDPOINT], "endpoint", pool,
			   &push_r->endpoint, error_r) < 0 ||
	    job_get_key(args[JOB_PUSH_P256DH], "p256dh", push_r->p256dh,
			sizeof(push_r->p256dh), error_r) < 0 ||
	    job_get_key(args[JOB_PUSH_AUTH], "auth", push_r->auth,
			sizeof(push_r->auth), error_r) < 0 ||
	    job_get_string(args[JOB_PUSH_PAYLOAD], "payload", pool,
			   &push_r->payload, error_r) < 0)
		return -1;

	value = args[JOB_PUSH_CONTENT];
	if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
		*error_r = "'content' is not 0 or 1";
		return -1;
	}
	push_r->content = value[0] == '1';
	value = args[JOB_PUSH_SPOOL_DIR];
	push_r->spool_dir = value[0] == '\0' ? NULL : p_strdup(pool, value);

	if (args[JOB_PUSH_HEADERS] == NULL) {
		push_r->headers = NULL;
		return 0;
	}
	p_array_init(&headers, pool, 4);
	for (i = JOB_PUSH_HEADERS; args[i] != NULL; i++) {
		/* a header of its own in the request otherwise */
		if (strpbrk(args[i], "\r\n") != NULL) {
			*error_r = "a header with a line break";
			return -1;
		}
		value = p_strdup(pool, args[i]);
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
job_parse_outcome(const char *const *args, pool_t pool,
		  struct webpush_job_line *line_r, const char **error_r)
{
	unsigned int count = str_array_length(args);

	if (count != 5 && count != 6) {
		*error_r = t_strdup_printf("%u fields, not 5 or 6", count);
		return -1;
	}
	if (job_get_uint(args[1], "id", &line_r->outcome_id, error_r) < 0 ||
	    job_get_uint(args[3], "status", &line_r->outcome.status,
			 error_r) < 0 ||
	    job_get_uint(args[4], "attempts", &line_r->outcome.attempts,
			 error_r) < 0)
		return -1;
	if (job_parse_result(args[2], &line_r->outcome.result) < 0) {
		*error_r = t_strdup_printf("unknown result '%s'",
					   str_sanitize(args[2], 64));
		return -1;
	}
	line_r->outcome.error = p_strdup(pool, args[5]);
	return 0;
}

static int
job_parse_gone(const char *const *args, pool_t pool,
	       struct webpush_job_line *line_r, const char **error_r)
{
	unsigned int count = str_array_length(args);

	if (count != 5) {
		*error_r = t_strdup_printf("%u fields, not 5", count);
		return -1;
	}
	if (job_get_string(args[1], "owner", pool, &line_r->gone_owner,
			   error_r) < 0 ||
	    job_get_string(args[2], "subscription", pool,
			   &line_r->gone_subscription, error_r) < 0 ||
	    job_get_string(args[3], "endpoint", pool, &line_r->gone_endpoint,
			   error_r) < 0 ||
	    job_get_uint(args[4], "status", &line_r->gone_status,
			 error_r) < 0)
		return -1;
	return 0;
}

int webpush_job_parse_line(const char *line, pool_t pool,
			   struct webpush_job_line *line_r,
			   const char **error_r)
{
	const char *const *args;
	int ret;

	i_zero(line_r);
	if (strlen(line) > WEBPUSH_JOB_LINE_MAX_SIZE) {
		*error_r = "line too long";
		return -1;
	}
	args = t_strsplit_tabescaped(line);
	if (args[0] == NULL) {
		*error_r = "empty line";
		return -1;
	}
	if (strcmp(args[0], JOB_SETTINGS) == 0) {
		line_r->type = WEBPUSH_JOB_LINE_SETTINGS;
		ret = job_parse_settings(args + 1, pool, line_r, error_r);
	} else if (strcmp(args[0], JOB_PUSH) == 0) {
		line_r->type = WEBPUSH_JOB_LINE_PUSH;
		ret = job_parse_push(args, pool, &line_r->push, error_r);
	} else if (strcmp(args[0], JOB_RESUME) == 0) {
		line_r->type = WEBPUSH_JOB_LINE_RESUME;
		if (str_array_length(args) != 2) {
			*error_r = t_strdup_printf("%u fields, not 2",
						   str_array_length(args));
			ret = -1;
		} else {
			ret = job_get_string(args[1], "spool_dir", pool,
					     &line_r->resume_dir, error_r);
		}
	} else if (strcmp(args[0], JOB_OUTCOME) == 0) {
		line_r->type = WEBPUSH_JOB_LINE_OUTCOME;
		ret = job_parse_outcome(args, pool, line_r, error_r);
	} else if (strcmp(args[0], JOB_GONE) == 0) {
		line_r->type = WEBPUSH_JOB_LINE_GONE;
		ret = job_parse_gone(args, pool, line_r, error_r);
	} else {
		*error_r = t_strdup_printf("unknown line type '%s'",
					   str_sanitize(args[0], 64));
		return -1;
	}
	if (ret < 0)
		*error_r = t_strdup_printf("%s: %s", args[0], *error_r);
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
