/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "test-common.h"
#include "webpush-job.h"

#include <jansson.h>

static const char *const test_settings[] = {
	"webpush_ttl", "60",
	"webpush_vapid_key", "/etc/dovecot/vapid.pem",
	"webpush_allowed_networks", "127.0.0.1 ::1",
	/* not one of the names that are sent */
	"webpush_subscription_limit", "5",
	NULL
};

static const char *test_lookup(const char *name, void *context)
{
	const char *const *settings = context;

	for (; settings[0] != NULL; settings += 2) {
		if (strcmp(settings[0], name) == 0)
			return settings[1];
	}
	return NULL;
}

static void fill_push(struct webpush_job_push *push)
{
	static const char *const headers[] = {
		"WebPush-Validation;", "X-Other: \"quoted\" value", NULL
	};
	unsigned int i;

	i_zero(push);
	push->id = 4000000000U;
	push->owner = "alice@example.com";
	push->subscription = "phone-subscription";
	push->endpoint = "https://push.example.net/p/\xc3\xa9?x=1";
	for (i = 0; i < sizeof(push->p256dh); i++)
		push->p256dh[i] = i * 7;
	for (i = 0; i < sizeof(push->auth); i++)
		push->auth[i] = 255 - i;
	push->payload = "{\"subject\":\"line\\nbreak\",\"n\":1}";
	push->small_payload = "{\"n\":1}";
	push->headers = headers;
	push->spool_dir = "/home/alice/.webpush-spool";
}

/* Parses the text of webpush_job_push_line(): the push line, then the
   lines of its payloads. Returns 0 or -1 as webpush_job_parse_line(). */
static int parse_push_text(const char *text, struct webpush_job_line *line_r,
			   const char **error_r)
{
	const char *const *lines = t_strsplit(text, "\n");
	unsigned int i;

	if (webpush_job_parse_line(lines[0], pool_datastack_create(), line_r,
				   error_r) < 0)
		return -1;
	if (line_r->type != WEBPUSH_JOB_LINE_PUSH)
		return 0;
	for (i = 1; lines[i] != NULL; i++) {
		i_assert(line_r->push_lines_missing > 0);
		if (webpush_job_push_add_line(line_r, pool_datastack_create(),
					      lines[i]) > 0)
			i_assert(lines[i + 1] == NULL);
	}
	i_assert(line_r->push_lines_missing == 0);
	return 0;
}

static void test_webpush_job_settings(void)
{
	struct webpush_job_line line;
	const char *text, *error;
	void *ctx = (void *)test_settings;

	test_begin("webpush job settings line");
	text = webpush_job_settings_line(test_lookup, ctx);
	/* sorted names, only the ones that are sent */
	test_assert_strcmp(text, "{\"settings\":{"
		"\"webpush_allowed_networks\":\"127.0.0.1 ::1\","
		"\"webpush_ttl\":\"60\","
		"\"webpush_vapid_key\":\"/etc/dovecot/vapid.pem\"}}");
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(line.type == WEBPUSH_JOB_LINE_SETTINGS);
	test_assert_strcmp(webpush_job_settings_lookup("webpush_ttl",
		(void *)line.settings), "60");
	test_assert_strcmp(webpush_job_settings_lookup(
		"webpush_allowed_networks", (void *)line.settings),
		"127.0.0.1 ::1");
	test_assert(webpush_job_settings_lookup("webpush_topic",
		(void *)line.settings) == NULL);
	test_assert(webpush_job_settings_lookup("webpush_subscription_limit",
		(void *)line.settings) == NULL);
	test_end();
}

static void test_webpush_job_push(void)
{
	struct webpush_job_push push;
	struct webpush_job_line line;
	const char *text, *error;

	test_begin("webpush job push line round trip");
	fill_push(&push);
	text = webpush_job_push_line(&push);
	/* the push line and its two payload lines */
	test_assert(str_array_length(t_strsplit(text, "\n")) == 3);
	test_assert(parse_push_text(text, &line, &error) == 0);
	test_assert(line.type == WEBPUSH_JOB_LINE_PUSH);
	test_assert(line.push.id == push.id);
	test_assert_strcmp(line.push.owner, push.owner);
	test_assert_strcmp(line.push.subscription, push.subscription);
	test_assert_strcmp(line.push.endpoint, push.endpoint);
	test_assert(memcmp(line.push.p256dh, push.p256dh,
			   sizeof(push.p256dh)) == 0);
	test_assert(memcmp(line.push.auth, push.auth, sizeof(push.auth)) == 0);
	test_assert_strcmp(line.push.payload, push.payload);
	test_assert_strcmp(line.push.small_payload, push.small_payload);
	test_assert(str_array_length(line.push.headers) == 2);
	test_assert_strcmp(line.push.headers[1], push.headers[1]);
	test_assert_strcmp(line.push.spool_dir, push.spool_dir);

	/* the optional fields absent */
	push.id = 0;
	push.small_payload = NULL;
	push.headers = NULL;
	push.spool_dir = NULL;
	text = webpush_job_push_line(&push);
	test_assert(str_array_length(t_strsplit(text, "\n")) == 2);
	test_assert(parse_push_text(text, &line, &error) == 0);
	test_assert_strcmp(line.push.payload, push.payload);
	test_assert(line.push.id == 0);
	test_assert(line.push.small_payload == NULL);
	test_assert(line.push.headers == NULL);
	test_assert(line.push.spool_dir == NULL);
	test_end();
}

static void test_webpush_job_answers(void)
{
	struct webpush_push_outcome outcome;
	struct webpush_job_line line;
	const char *text, *error;

	test_begin("webpush job outcome, gone and resume lines");
	i_zero(&outcome);
	outcome.result = WEBPUSH_PUSH_EXPIRED;
	outcome.status = 503;
	outcome.attempts = 4;
	outcome.error = "HTTP 503 \"busy\"";
	text = webpush_job_outcome_line(17, &outcome);
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(line.type == WEBPUSH_JOB_LINE_OUTCOME);
	test_assert(line.outcome_id == 17);
	test_assert(line.outcome.result == WEBPUSH_PUSH_EXPIRED);
	test_assert(line.outcome.status == 503);
	test_assert(line.outcome.attempts == 4);
	test_assert_strcmp(line.outcome.error, outcome.error);

	outcome.result = WEBPUSH_PUSH_DELIVERED;
	outcome.error = NULL;
	text = webpush_job_outcome_line(1, &outcome);
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(line.outcome.result == WEBPUSH_PUSH_DELIVERED);
	test_assert(line.outcome.error == NULL);

	/* an error quoting a push service that is not UTF-8 */
	outcome.error = "bad \xff\xfe answer";
	text = webpush_job_outcome_line(2, &outcome);
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(strstr(line.outcome.error, "not valid UTF-8") != NULL);

	text = webpush_job_gone_line("bob", "tablet-subscription",
				     "https://push.example.net/t", 410);
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(line.type == WEBPUSH_JOB_LINE_GONE);
	test_assert_strcmp(line.gone_owner, "bob");
	test_assert_strcmp(line.gone_subscription, "tablet-subscription");
	test_assert_strcmp(line.gone_endpoint, "https://push.example.net/t");
	test_assert(line.gone_status == 410);

	text = webpush_job_resume_line("/var/spool/webpush/bob");
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(line.type == WEBPUSH_JOB_LINE_RESUME);
	test_assert_strcmp(line.resume_dir, "/var/spool/webpush/bob");
	test_end();
}

/* A valid push line with field replaced by value (a JSON text), or
   removed when value is NULL. */
static const char *push_with(const char *field, const char *value)
{
	struct webpush_job_push push;
	json_t *root, *obj;
	const char *ret;
	char *text;

	fill_push(&push);
	root = json_loads(t_strcut(webpush_job_push_line(&push), '\n'), 0,
			  NULL);
	i_assert(root != NULL);
	obj = json_object_get(root, "push");
	if (value == NULL)
		json_object_del(obj, field);
	else {
		json_object_set_new(obj, field,
				    json_loads(value, JSON_DECODE_ANY |
					       JSON_ALLOW_NUL, NULL));
	}
	text = json_dumps(root, JSON_COMPACT);
	ret = t_strdup(text);
	free(text);
	json_decref(root);
	return ret;
}

static void test_webpush_job_hostile(void)
{
	static const struct {
		const char *line;
		const char *error;
	} tests[] = {
		{ "", "not JSON" },
		{ "VERSION\twebpush-client\t1\t0", "not JSON" },
		{ "[1,2]", "not an object with one member" },
		{ "{}", "not an object with one member" },
		{ "{\"push\":{},\"resume\":\"/x\"}", "not an object with one member" },
		{ "{\"shutdown\":true}", "unknown line type 'shutdown'" },
		{ "{\"settings\":[]}", "'settings' is not an object" },
		{ "{\"settings\":{\"webpush_ttl\":60}}", "'webpush_ttl' is not a string" },
		{ "{\"settings\":{\"mail_location\":\"/tmp\"}}", "unknown setting 'mail_location'" },
		{ "{\"settings\":{\"webpush_ttl\":\"1\",\"webpush_ttl\":\"2\"}}", "not JSON" },
		{ "{\"push\":\"x\"}", "'push' is not an object" },
		{ "{\"resume\":7}", "'resume' is not a string" },
		/* jansson refuses NUL in strings */
		{ "{\"resume\":\"a\\u0000b\"}", "not JSON" },
		{ "{\"outcome\":{\"id\":1,\"result\":\"won\",\"status\":0,\"attempts\":0}}", "unknown result 'won'" },
		{ "{\"gone\":{\"owner\":\"a\",\"subscription\":\"b\",\"endpoint\":\"c\"}}", "'status' is not a number" },
	};
	struct webpush_job_line line;
	const char *error;
	unsigned int i;

	test_begin("webpush job hostile lines");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		test_assert_idx(webpush_job_parse_line(tests[i].line,
			pool_datastack_create(), &line, &error) < 0, i);
		test_assert_idx(error != NULL &&
				str_begins(error, tests[i].error), i);
	}
	test_end();
}

static void test_webpush_job_hostile_push(void)
{
	static const struct {
		const char *field, *value, *error;
	} tests[] = {
		{ "owner", NULL, "'owner' is missing" },
		{ "endpoint", "null", "'endpoint' is not a string" },
		{ "payload_lines", "0", "'payload_lines' is not 1 or 2" },
		{ "payload_lines", "3", "'payload_lines' is not 1 or 2" },
		{ "payload_lines", "\"1\"", "'payload_lines' is not a number" },
		{ "id", "-1", "'id' is not a number" },
		{ "id", "4294967296", "'id' is not a number" },
		{ "id", "\"7\"", "'id' is not a number" },
		{ "p256dh", "\"AAAA\"", "'p256dh' is 3 octets, not 65" },
		{ "p256dh", "\"*not base64*\"", "'p256dh': " },
		{ "auth", NULL, "'auth' is missing" },
		{ "headers", "\"X: y\"", "'headers' is not an array" },
		{ "headers", "[1]", "'headers' has an element that is not a string" },
		{ "headers", "[\"X: y\\r\\nEvil: 1\"]", "'headers' has a line break" },
		{ "subscription", "\"a\\u0000b\"", "not JSON" },
	};
	struct webpush_job_line line;
	const char *text, *error;
	unsigned int i;

	test_begin("webpush job hostile push lines");
	for (i = 0; i < N_ELEMENTS(tests); i++) T_BEGIN {
		text = push_with(tests[i].field, tests[i].value);
		error = NULL;
		test_assert_idx(webpush_job_parse_line(text,
			pool_datastack_create(), &line, &error) < 0, i);
		if (error == NULL || !str_begins(error, tests[i].error))
			i_error("%u: %s: %s", i, text, error);
		test_assert_idx(error != NULL &&
				str_begins(error, tests[i].error), i);
	} T_END;

	/* too long: refused before it is parsed */
	string_t *str = t_str_new(WEBPUSH_JOB_LINE_MAX_SIZE + 32);
	str_append(str, "{\"resume\":\"");
	while (str_len(str) <= WEBPUSH_JOB_LINE_MAX_SIZE)
		str_append(str, "xxxxxxxxxxxxxxxx");
	str_append(str, "\"}");
	test_assert(webpush_job_parse_line(str_c(str), pool_datastack_create(),
					   &line, &error) < 0);
	test_assert_strcmp(error, "line too long");
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_webpush_job_settings,
		test_webpush_job_push,
		test_webpush_job_answers,
		test_webpush_job_hostile,
		test_webpush_job_hostile_push,
		NULL
	};
	return test_run(test_functions);
}
