/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "strescape.h"
#include "test-common.h"
#include "webpush-job.h"

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
	/* a payload with every character that is escaped */
	push->payload = "{\"subject\":\"tab\tline\nbreak\r\x01\",\"n\":1}";
	push->content = TRUE;
	push->headers = headers;
	push->spool_dir = "/home/alice/.webpush-spool";
}

static void test_webpush_job_settings(void)
{
	struct webpush_job_line line;
	const char *text, *error;
	void *ctx = (void *)test_settings;

	test_begin("webpush job settings line");
	text = webpush_job_settings_line(test_lookup, ctx);
	/* in the order of the names, only the ones that are sent */
	test_assert_strcmp(text, "SETTINGS"
		"\twebpush_allowed_networks\t127.0.0.1 ::1"
		"\twebpush_ttl\t60"
		"\twebpush_vapid_key\t/etc/dovecot/vapid.pem");
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
	/* one line */
	test_assert(strpbrk(text, "\r\n") == NULL);
	test_assert(str_begins(text, "PUSH\t4000000000\talice@example.com\t"));
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert(line.type == WEBPUSH_JOB_LINE_PUSH);
	test_assert(line.push.id == push.id);
	test_assert_strcmp(line.push.owner, push.owner);
	test_assert_strcmp(line.push.subscription, push.subscription);
	test_assert_strcmp(line.push.endpoint, push.endpoint);
	test_assert(memcmp(line.push.p256dh, push.p256dh,
			   sizeof(push.p256dh)) == 0);
	test_assert(memcmp(line.push.auth, push.auth, sizeof(push.auth)) == 0);
	test_assert_strcmp(line.push.payload, push.payload);
	test_assert(line.push.content);
	test_assert(str_array_length(line.push.headers) == 2);
	test_assert_strcmp(line.push.headers[1], push.headers[1]);
	test_assert_strcmp(line.push.spool_dir, push.spool_dir);

	/* the optional fields absent */
	push.id = 0;
	push.content = FALSE;
	push.headers = NULL;
	push.spool_dir = NULL;
	text = webpush_job_push_line(&push);
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert_strcmp(line.push.payload, push.payload);
	test_assert(line.push.id == 0);
	test_assert(!line.push.content);
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

	/* an error quoting a push service, with octets of any kind */
	outcome.error = "bad \xff\xfe answer\twith\ttabs\r\n";
	text = webpush_job_outcome_line(2, &outcome);
	test_assert(webpush_job_parse_line(text, pool_datastack_create(),
					   &line, &error) == 0);
	test_assert_strcmp(line.outcome.error, outcome.error);

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

/* A valid push line with field (a field of the PUSH line, 1 = id)
   replaced by value (raw, not escaped), or cut off there when value is
   NULL. */
static const char *push_with(unsigned int field, const char *value)
{
	struct webpush_job_push push;
	const char **args;
	string_t *str;
	unsigned int i;

	fill_push(&push);
	args = (const char **)t_strsplit_tabescaped(
		webpush_job_push_line(&push));
	i_assert(field < str_array_length(args));
	str = t_str_new(256);
	for (i = 0; args[i] != NULL; i++) {
		if (i == field && value == NULL)
			break;
		if (i > 0)
			str_append_c(str, '\t');
		if (i == field)
			str_append(str, value);
		else
			str_append_tabescaped(str, args[i]);
	}
	return str_c(str);
}

static void test_webpush_job_hostile(void)
{
	static const struct {
		const char *line;
		const char *error;
	} tests[] = {
		{ "", "empty line" },
		{ "\t", "unknown line type ''" },
		{ "VERSION\twebpush-client\t1\t0", "unknown line type 'VERSION'" },
		{ "{\"push\":{}}", "unknown line type '{\"push\":{}}'" },
		{ "push\t1", "unknown line type 'push'" },
		{ "SHUTDOWN", "unknown line type 'SHUTDOWN'" },
		{ "SETTINGS\twebpush_ttl", "SETTINGS: a setting without a value" },
		{ "SETTINGS\tmail_location\t/tmp", "SETTINGS: unknown setting 'mail_location'" },
		{ "SETTINGS\twebpush_ttl\t1\twebpush_ttl\t2", "SETTINGS: setting 'webpush_ttl' given twice" },
		{ "PUSH", "PUSH: 1 fields, not at least 10" },
		{ "RESUME", "RESUME: 1 fields, not 2" },
		{ "RESUME\t", "RESUME: 'spool_dir' is empty" },
		{ "RESUME\t/a\t/b", "RESUME: 3 fields, not 2" },
		{ "OUTCOME\t1\twon\t0\t0", "OUTCOME: unknown result 'won'" },
		{ "OUTCOME\t1\tdelivered\t0", "OUTCOME: 4 fields, not 5 or 6" },
		{ "OUTCOME\tx\tdelivered\t0\t0", "OUTCOME: 'id' is not a number" },
		{ "GONE\ta\tb\tc", "GONE: 4 fields, not 5" },
		{ "GONE\ta\tb\tc\t-1", "GONE: 'status' is not a number" },
		{ "GONE\t\tb\tc\t410", "GONE: 'owner' is empty" },
	};
	struct webpush_job_line line;
	const char *error;
	unsigned int i;

	test_begin("webpush job hostile lines");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		test_assert_idx(webpush_job_parse_line(tests[i].line,
			pool_datastack_create(), &line, &error) < 0, i);
		if (error == NULL || !str_begins(error, tests[i].error))
			i_error("%u: %s", i, error);
		test_assert_idx(error != NULL &&
				str_begins(error, tests[i].error), i);
	}
	test_end();
}

static void test_webpush_job_hostile_push(void)
{
	static const struct {
		unsigned int field;
		const char *value, *error;
	} tests[] = {
		{ 9, NULL, "PUSH: 9 fields, not at least 10" },
		{ 2, "", "PUSH: 'owner' is empty" },
		{ 3, "", "PUSH: 'subscription' is empty" },
		{ 4, "", "PUSH: 'endpoint' is empty" },
		{ 9, "", "PUSH: 'payload' is empty" },
		{ 7, "2", "PUSH: 'content' is not 0 or 1" },
		{ 7, "", "PUSH: 'content' is not 0 or 1" },
		{ 7, "yes", "PUSH: 'content' is not 0 or 1" },
		{ 1, "-1", "PUSH: 'id' is not a number" },
		{ 1, "4294967296", "PUSH: 'id' is not a number" },
		{ 1, "", "PUSH: 'id' is not a number" },
		{ 1, "7x", "PUSH: 'id' is not a number" },
		{ 5, "AAAA", "PUSH: 'p256dh' is 3 octets, not 65" },
		{ 5, "*not base64*", "PUSH: 'p256dh': " },
		{ 6, "", "PUSH: 'auth' is 0 octets, not 16" },
		{ 10, "X: y\001r\001nEvil: 1", "PUSH: a header with a line break" },
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

	/* the unchanged line parses, and an empty spool_dir is none */
	test_assert(webpush_job_parse_line(push_with(1, "1"),
		pool_datastack_create(), &line, &error) == 0);
	test_assert(webpush_job_parse_line(push_with(8, ""),
		pool_datastack_create(), &line, &error) == 0);
	test_assert(line.push.spool_dir == NULL);

	/* too long: refused before it is parsed */
	string_t *str = t_str_new(WEBPUSH_JOB_LINE_MAX_SIZE + 32);
	str_append(str, "RESUME\t");
	while (str_len(str) <= WEBPUSH_JOB_LINE_MAX_SIZE)
		str_append(str, "xxxxxxxxxxxxxxxx");
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
