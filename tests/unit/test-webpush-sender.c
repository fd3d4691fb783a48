/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "webpush-sender.h"

struct setting {
	const char *name, *value;
};

static const char *lookup(const char *name, void *context)
{
	const struct setting *s;

	for (s = context; s->name != NULL; s++) {
		if (strcmp(s->name, name) == 0)
			return s->value;
	}
	return NULL;
}

static int
read_settings(const struct setting *list, const char *home,
	      struct webpush_sender_settings *set_r, const char **error_r)
{
	return webpush_sender_settings_read(lookup, (void *)list, home,
					    pool_datastack_create(),
					    set_r, error_r);
}

static void test_settings_defaults(void)
{
	static const struct setting none[] = { { NULL, NULL } };
	struct webpush_sender_settings set;
	const char *error;

	test_begin("webpush sender settings: defaults");
	test_assert(read_settings(none, "/home/u", &set, &error) == 0);
	test_assert(set.ttl_secs == 86400);
	test_assert(set.urgency == NULL && set.topic == NULL);
	test_assert(set.ca_file == NULL);
	test_assert(set.request_timeout_msecs == 10000);
	test_assert(set.max_retry_time_secs == 3600);
	test_assert(set.retry_delay_msecs == 1000);
	test_assert(set.retry_max_delay_secs == 600);
	test_assert(set.exit_wait_msecs == 5000);
	test_assert_strcmp(set.spool_dir, "/home/u/.webpush-spool");
	test_assert(set.spool_max == 100);
	/* no home: no default spool */
	test_assert(read_settings(none, NULL, &set, &error) == 0);
	test_assert(set.spool_dir == NULL);
	test_end();
}

static void test_settings_values(void)
{
	static const struct setting list[] = {
		{ "webpush_ttl", "120" },
		{ "webpush_urgency", "low" },
		{ "webpush_topic", "Abc-_09" },
		{ "webpush_ca_file", "/etc/ca.pem" },
		{ "webpush_request_timeout", "2500ms" },
		{ "webpush_max_retry_time", "2h" },
		{ "webpush_retry_delay", "5s" },
		{ "webpush_retry_max_delay", "1m" },
		{ "webpush_exit_wait", "1s" },
		{ "webpush_spool_dir", "~/spool" },
		{ "webpush_spool_max", "7" },
		{ NULL, NULL }
	};
	static const struct setting disabled[] = {
		{ "webpush_spool_dir", "" }, { "webpush_ttl", "0" },
		{ NULL, NULL }
	};
	struct webpush_sender_settings set;
	const char *error;

	test_begin("webpush sender settings: values");
	test_assert(read_settings(list, "/h", &set, &error) == 0);
	test_assert(set.ttl_secs == 120);
	test_assert_strcmp(set.urgency, "low");
	test_assert_strcmp(set.topic, "Abc-_09");
	test_assert_strcmp(set.ca_file, "/etc/ca.pem");
	test_assert(set.request_timeout_msecs == 2500);
	test_assert(set.max_retry_time_secs == 7200);
	test_assert(set.retry_delay_msecs == 5000);
	test_assert(set.retry_max_delay_secs == 60);
	test_assert(set.exit_wait_msecs == 1000);
	test_assert_strcmp(set.spool_dir, "/h/spool");
	test_assert(set.spool_max == 7);
	test_assert(read_settings(disabled, "/h", &set, &error) == 0);
	test_assert(set.spool_dir == NULL);
	test_assert(set.ttl_secs == 0);
	test_end();
}

static void test_settings_errors(void)
{
	static const struct {
		const char *name, *value, *home;
	} tests[] = {
		{ "webpush_ttl", "soon", "/h" },
		{ "webpush_ttl", "-1", "/h" },
		{ "webpush_urgency", "urgent", "/h" },
		{ "webpush_urgency", "HIGH", "/h" },
		{ "webpush_topic", "123456789012345678901234567890123", "/h" },
		{ "webpush_topic", "a b", "/h" },
		{ "webpush_topic", "a=", "/h" },
		{ "webpush_request_timeout", "0", "/h" },
		{ "webpush_request_timeout", "10", "/h" },
		{ "webpush_retry_delay", "0", "/h" },
		{ "webpush_max_retry_time", "x", "/h" },
		{ "webpush_exit_wait", "1y1", "/h" },
		{ "webpush_spool_dir", "relative/dir", "/h" },
		{ "webpush_spool_dir", "~/x", NULL },
		{ "webpush_spool_max", "many", "/h" },
	};
	struct webpush_sender_settings set;
	struct setting list[2];
	const char *error;
	unsigned int i;

	test_begin("webpush sender settings: errors name the setting");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		list[0].name = tests[i].name;
		list[0].value = tests[i].value;
		list[1].name = NULL;
		error = NULL;
		test_assert_idx(read_settings(list, tests[i].home, &set, &error) < 0, i);
		test_assert_idx(error != NULL && strstr(error, tests[i].name) != NULL, i);
	}
	test_end();
}

static void test_topic_urgency(void)
{
	test_begin("webpush topic and urgency validation");
	test_assert(webpush_topic_is_valid("a"));
	test_assert(webpush_topic_is_valid("12345678901234567890123456789012"));
	test_assert(!webpush_topic_is_valid("123456789012345678901234567890123"));
	test_assert(!webpush_topic_is_valid(""));
	test_assert(!webpush_topic_is_valid("a+b"));
	test_assert(!webpush_topic_is_valid("a/b"));
	test_assert(!webpush_topic_is_valid("\xc3\xa4"));
	test_assert(webpush_urgency_is_valid("very-low"));
	test_assert(webpush_urgency_is_valid("low"));
	test_assert(webpush_urgency_is_valid("normal"));
	test_assert(webpush_urgency_is_valid("high"));
	test_assert(!webpush_urgency_is_valid("High"));
	test_assert(!webpush_urgency_is_valid(""));
	test_end();
}

static void test_classify(void)
{
	static const struct {
		unsigned int status;
		bool refused;
		enum webpush_answer_action action;
	} tests[] = {
		{ 200, FALSE, WEBPUSH_ANSWER_DELIVERED },
		{ 201, FALSE, WEBPUSH_ANSWER_DELIVERED },
		{ 202, FALSE, WEBPUSH_ANSWER_DELIVERED },
		{ 299, FALSE, WEBPUSH_ANSWER_DELIVERED },
		{ 301, FALSE, WEBPUSH_ANSWER_REJECTED },
		{ 400, FALSE, WEBPUSH_ANSWER_REJECTED },
		{ 401, FALSE, WEBPUSH_ANSWER_REJECTED },
		{ 403, FALSE, WEBPUSH_ANSWER_REJECTED },
		{ 404, FALSE, WEBPUSH_ANSWER_GONE },
		{ 410, FALSE, WEBPUSH_ANSWER_GONE },
		{ 413, FALSE, WEBPUSH_ANSWER_SMALLER },
		{ 429, FALSE, WEBPUSH_ANSWER_RETRY_AFTER },
		{ 500, FALSE, WEBPUSH_ANSWER_RETRY },
		{ 503, FALSE, WEBPUSH_ANSWER_RETRY },
		{ 599, FALSE, WEBPUSH_ANSWER_RETRY },
		{ 600, FALSE, WEBPUSH_ANSWER_REJECTED },
		{ 0, FALSE, WEBPUSH_ANSWER_RETRY },
		{ 0, TRUE, WEBPUSH_ANSWER_REJECTED },
	};
	unsigned int i;

	test_begin("webpush answer classification (WP-19)");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(webpush_answer_classify(tests[i].status,
							tests[i].refused) ==
				tests[i].action, i);
	}
	test_end();
}

static void test_retry_delay(void)
{
	struct webpush_sender_settings set;

	i_zero(&set);
	set.retry_delay_msecs = 100;
	set.retry_max_delay_secs = 2;
	test_begin("webpush retry delay: backoff, Retry-After, cap");
	test_assert(webpush_retry_delay_msecs(&set, 1, FALSE, 0) == 100);
	test_assert(webpush_retry_delay_msecs(&set, 2, FALSE, 0) == 200);
	test_assert(webpush_retry_delay_msecs(&set, 3, FALSE, 0) == 400);
	test_assert(webpush_retry_delay_msecs(&set, 5, FALSE, 0) == 1600);
	test_assert(webpush_retry_delay_msecs(&set, 6, FALSE, 0) == 2000);
	test_assert(webpush_retry_delay_msecs(&set, 1000, FALSE, 0) == 2000);
	test_assert(webpush_retry_delay_msecs(&set, 1, TRUE, 1) == 1000);
	test_assert(webpush_retry_delay_msecs(&set, 1, TRUE, 0) == 0);
	test_assert(webpush_retry_delay_msecs(&set, 1, TRUE, 86400) == 2000);
	test_assert(webpush_retry_delay_msecs(&set, 1, TRUE, UINT_MAX) == 2000);
	test_end();
}

static void test_retry_after_parse(void)
{
	unsigned int secs;
	time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */

	test_begin("webpush Retry-After parsing");
	test_assert(webpush_http_parse_retry_after("120", now, &secs) && secs == 120);
	test_assert(webpush_http_parse_retry_after("0", now, &secs) && secs == 0);
	test_assert(webpush_http_parse_retry_after("Tue, 14 Nov 2023 22:15:20 GMT",
						   now, &secs) && secs == 120);
	test_assert(webpush_http_parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT",
						   now, &secs) && secs == 0);
	test_assert(!webpush_http_parse_retry_after("soon", now, &secs));
	test_assert(!webpush_http_parse_retry_after("-5", now, &secs));
	test_assert(!webpush_http_parse_retry_after("", now, &secs));
	test_end();
}

static void test_status_line_is_final(void)
{
	static const struct {
		const char *line;
		bool final;
	} tests[] = {
		{ "HTTP/1.1 201 Created\r\n", TRUE },
		{ "HTTP/2 201\r\n", TRUE },
		{ "HTTP/2 413 \r\n", TRUE },
		{ "HTTP/1.1 200\r\n", TRUE },
		{ "HTTP/1.1 999 x\r\n", TRUE },
		{ "HTTP/1.1 100 Continue\r\n", FALSE },
		{ "HTTP/2 103\r\n", FALSE },
		{ "HTTP/1.1 2010 x\r\n", FALSE },
		{ "HTTP/1.1 20 x\r\n", FALSE },
		{ "HTTP/1.1 20x\r\n", FALSE },
		{ "HTTP/1.1\r\n", FALSE },
		{ "HTTP/1.1 \r\n", FALSE },
		{ "", FALSE },
	};
	unsigned int i;

	test_begin("webpush status line of a final answer");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		test_assert_idx(webpush_http_status_line_is_final(
			tests[i].line, strlen(tests[i].line)) == tests[i].final, i);
	}
	/* only len octets count */
	test_assert(!webpush_http_status_line_is_final("HTTP/2 201", 8));
	test_assert(webpush_http_status_line_is_final("HTTP/2 2015", 10));
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_settings_defaults,
		test_settings_values,
		test_settings_errors,
		test_topic_urgency,
		test_classify,
		test_retry_delay,
		test_retry_after_parse,
		test_status_line_is_final,
		NULL
	};
	return test_run(test_functions);
}
