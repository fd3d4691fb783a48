/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "test-common.h"
#include "webpush-subscription.h"

/* RFC 8291 appendix A: the receiver's public key and auth secret. */
#define P256DH_URL "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define P256DH_STD_PADDED "BCVxsr7N/eNgVRqvHtD0zTZsEc6+VV+JvLexhqUzORcxaOzi6+AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4="
/* The same point with the last bit of Y flipped: not on the curve. */
#define P256DH_OFF_CURVE "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw8"
/* A compressed point (33 octets). */
#define P256DH_COMPRESSED "AiVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx"
#define AUTH_URL "BTBZMqHH6r4Tts7J_aSIgg"
#define AUTH_STD_PADDED "BTBZMqHH6r4Tts7J/aSIgg=="

#define ENDPOINT "https://push.example.net/push/abc"

static const char *
sub_json(const char *client, const char *device, const char *msgtype,
	 const char *endpoint, const char *p256dh, const char *auth)
{
	return t_strdup_printf(
		"{\"client\":%s,\"device\":%s,\"msgtype\":%s,"
		"\"resource\":{\"endpoint\":%s,\"keys\":{\"p256dh\":%s,"
		"\"auth\":%s}}}", client, device, msgtype, endpoint,
		p256dh, auth);
}

static const char *q(const char *s)
{
	return t_strdup_printf("\"%s\"", s);
}

static const char *valid_json(const char *msgtype)
{
	return sub_json(q("Delta Chat"), q("phone-1"), q(msgtype), q(ENDPOINT),
			q(P256DH_URL), q(AUTH_URL));
}

static int parse(const char *json, struct webpush_subscription *sub_r,
		 const char **error_r)
{
	return webpush_subscription_parse(pool_datastack_create(), json,
					  strlen(json), 1000000000, sub_r,
					  error_r);
}

static void test_expect_error(const char *json, const char *field)
{
	struct webpush_subscription sub;
	const char *error = NULL;

	test_assert(parse(json, &sub, &error) < 0);
	test_assert(error != NULL && strstr(error, field) != NULL);
	if (error != NULL && strstr(error, field) == NULL)
		i_info("error %s lacks %s", error, field);
}

static void test_subscription_id(void)
{
	test_begin("subscription id rule");
	test_assert(webpush_subscription_id_is_valid("0123456789"));
	test_assert(webpush_subscription_id_is_valid("abcDEF_-09"));
	test_assert(webpush_subscription_id_is_valid(
		"012345678901234567890123456789012345"));
	test_assert(!webpush_subscription_id_is_valid("012345678"));
	test_assert(!webpush_subscription_id_is_valid(
		"0123456789012345678901234567890123456"));
	test_assert(!webpush_subscription_id_is_valid(""));
	test_assert(!webpush_subscription_id_is_valid("0123456789."));
	test_assert(!webpush_subscription_id_is_valid("01234 56789"));
	test_assert(!webpush_subscription_id_is_valid("0123456789/x"));
	test_assert(!webpush_subscription_id_is_valid("0123456789\xc3\xa4"));
	test_assert_strcmp(webpush_subscription_id_normalize("AbCdEf_-12"),
			   "abcdef_-12");
	test_end();
}

static void test_msgtype(void)
{
	enum webpush_msgtype t;

	test_begin("msgtype values, legacy names and matching");
	test_assert(webpush_msgtype_parse("chat", &t) && t == WEBPUSH_MSGTYPE_CHAT);
	test_assert(webpush_msgtype_parse("mail", &t) && t == WEBPUSH_MSGTYPE_MAIL);
	test_assert(webpush_msgtype_parse("all", &t) && t == WEBPUSH_MSGTYPE_ALL);
	test_assert(webpush_msgtype_parse("email", &t) && t == WEBPUSH_MSGTYPE_MAIL);
	test_assert(webpush_msgtype_parse("any", &t) && t == WEBPUSH_MSGTYPE_ALL);
	test_assert(!webpush_msgtype_parse("Chat", &t));
	test_assert(!webpush_msgtype_parse("ALL", &t));
	test_assert(!webpush_msgtype_parse("", &t));
	test_assert(webpush_msgtype_matches(WEBPUSH_MSGTYPE_CHAT, TRUE));
	test_assert(!webpush_msgtype_matches(WEBPUSH_MSGTYPE_CHAT, FALSE));
	test_assert(!webpush_msgtype_matches(WEBPUSH_MSGTYPE_MAIL, TRUE));
	test_assert(webpush_msgtype_matches(WEBPUSH_MSGTYPE_MAIL, FALSE));
	test_assert(webpush_msgtype_matches(WEBPUSH_MSGTYPE_ALL, TRUE));
	test_assert(webpush_msgtype_matches(WEBPUSH_MSGTYPE_ALL, FALSE));
	test_end();
}

static void test_parse_keys(void)
{
	struct webpush_subscription sub, sub2;
	const char *error;

	test_begin("keys: base64 or base64url, padded or not; on the curve");
	test_assert(parse(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(AUTH_URL)), &sub, &error) == 0);
	test_assert(parse(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_STD_PADDED), q(AUTH_STD_PADDED)),
			  &sub2, &error) == 0);
	test_assert(memcmp(sub.p256dh, sub2.p256dh, sizeof(sub.p256dh)) == 0);
	test_assert(memcmp(sub.auth, sub2.auth, sizeof(sub.auth)) == 0);
	test_assert(parse(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL "="), q(AUTH_URL "==")),
			  &sub2, &error) == 0);
	test_assert(memcmp(sub.p256dh, sub2.p256dh, sizeof(sub.p256dh)) == 0);
	test_assert(sub.p256dh[0] == 0x04);
	test_assert(sub.auth[0] == 0x05 && sub.auth[15] == 0x82);

	/* not on the curve, compressed, wrong sizes, bad base64 */
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_OFF_CURVE), q(AUTH_URL)),
			  "resource.keys.p256dh");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_COMPRESSED), q(AUTH_URL)),
			  "resource.keys.p256dh");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(AUTH_URL), q(AUTH_URL)),
			  "resource.keys.p256dh");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(P256DH_URL)),
			  "resource.keys.auth");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q("BTBZMqHH6r4Tts7J_aSI+g")),
			  "resource.keys.auth");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(AUTH_URL "=")),
			  "resource.keys.auth");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q("")),
			  "resource.keys.auth");
	test_end();
}

static void test_parse_valid(void)
{
	struct webpush_subscription sub;
	const char *error, *json;

	test_begin("parse a valid subscription");
	test_assert(parse(valid_json("chat"), &sub, &error) == 0);
	test_assert_strcmp(sub.client, "Delta Chat");
	test_assert_strcmp(sub.device, "phone-1");
	test_assert(sub.msgtype == WEBPUSH_MSGTYPE_CHAT);
	test_assert_strcmp(sub.endpoint, ENDPOINT);
	test_assert(sub.p256dh[0] == 0x04 && sub.p256dh[64] == 0x0e);
	test_assert(sub.created == 1000000000);
	test_assert(!sub.validated);

	/* legacy msgtype values */
	test_assert(parse(valid_json("email"), &sub, &error) == 0);
	test_assert(sub.msgtype == WEBPUSH_MSGTYPE_MAIL);
	test_assert(parse(valid_json("any"), &sub, &error) == 0);
	test_assert(sub.msgtype == WEBPUSH_MSGTYPE_ALL);

	/* standard base64 with padding */
	json = sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
			q(P256DH_STD_PADDED), q(AUTH_STD_PADDED));
	test_assert(parse(json, &sub, &error) == 0);
	test_assert(sub.p256dh[0] == 0x04 && sub.p256dh[64] == 0x0e);
	test_end();
}

static void test_parse_canonical(void)
{
	struct webpush_subscription sub, sub2;
	const char *error, *json;

	test_begin("stored JSON is canonical: known members, created, validated");
	json = "{\"extra\":[1,2,{\"x\":1}],\"msgtype\":\"any\","
		"\"device\":\"d\",\"client\":\"c\",\"created\":\"x\","
		"\"validated\":true,\"resource\":{\"endpoint\":\"" ENDPOINT
		"\",\"more\":1,\"keys\":{\"auth\":\"" AUTH_STD_PADDED
		"\",\"p256dh\":\"" P256DH_STD_PADDED "\",\"k\":2}}}";
	test_assert(parse(json, &sub, &error) == 0);
	test_assert(!sub.validated);
	json = webpush_subscription_to_json(&sub);
	test_assert_strcmp(json,
		"{\"client\":\"c\",\"device\":\"d\",\"msgtype\":\"all\","
		"\"resource\":{\"endpoint\":\"" ENDPOINT "\",\"keys\":"
		"{\"p256dh\":\"" P256DH_URL "\",\"auth\":\"" AUTH_URL "\"}},"
		"\"created\":\"2001-09-09T01:46:40Z\",\"validated\":false}");

	/* the stored form reads back, and keeps validated */
	sub.validated = TRUE;
	json = webpush_subscription_to_json(&sub);
	test_assert(webpush_subscription_parse_stored(pool_datastack_create(),
						      json, &sub2, &error) == 0);
	test_assert(sub2.validated);
	test_assert(sub2.created == 1000000000);
	test_assert(sub2.msgtype == WEBPUSH_MSGTYPE_ALL);
	test_assert(memcmp(sub2.auth, sub.auth, sizeof(sub.auth)) == 0);
	test_assert_strcmp(webpush_subscription_to_json(&sub2), json);

	/* a request lacks created/validated: not a stored value */
	test_assert(webpush_subscription_parse_stored(pool_datastack_create(),
		valid_json("chat"), &sub2, &error) < 0);
	test_assert(strstr(error, "created") != NULL);

	/* non-ASCII client names survive */
	json = sub_json(q("D\xc3\xa9lta"), q("d"), q("all"), q(ENDPOINT),
			q(P256DH_URL), q(AUTH_URL));
	test_assert(parse(json, &sub, &error) == 0);
	test_assert(strstr(webpush_subscription_to_json(&sub),
			   "D\xc3\xa9lta") != NULL);
	test_end();
}

static void test_parse_invalid_fields(void)
{
	string_t *longstr = t_str_new(600);

	test_begin("invalid fields are named in the error");
	test_expect_error(sub_json("1", q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(AUTH_URL)), "client");
	test_expect_error("{\"device\":\"d\",\"msgtype\":\"all\",\"resource\":"
			  "{\"endpoint\":\"" ENDPOINT "\",\"keys\":{\"p256dh\":\""
			  P256DH_URL "\",\"auth\":\"" AUTH_URL "\"}}}", "client");
	test_expect_error(sub_json(q("c"), "null", q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(AUTH_URL)), "device");
	test_expect_error(valid_json("Chat"), "msgtype");
	test_expect_error(valid_json("ALL"), "msgtype");
	test_expect_error(valid_json("news"), "msgtype");
	test_expect_error(sub_json(q("c"), q("d"), "[]", q(ENDPOINT),
				   q(P256DH_URL), q(AUTH_URL)), "msgtype");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), "5",
				   q(P256DH_URL), q(AUTH_URL)), "resource.endpoint");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(""),
				   q(P256DH_URL), q(AUTH_URL)), "resource.endpoint");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_OFF_CURVE), q(AUTH_URL)),
			  "resource.keys.p256dh");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_COMPRESSED), q(AUTH_URL)),
			  "resource.keys.p256dh");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(P256DH_URL)),
			  "resource.keys.auth");
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q("!!")), "resource.keys.auth");
	test_expect_error("{\"client\":\"c\",\"device\":\"d\",\"msgtype\":"
			  "\"all\"}", "resource");
	test_expect_error("{\"client\":\"c\",\"device\":\"d\",\"msgtype\":"
			  "\"all\",\"resource\":\"x\"}", "resource");
	test_expect_error("{\"client\":\"c\",\"device\":\"d\",\"msgtype\":"
			  "\"all\",\"resource\":{\"endpoint\":\"" ENDPOINT
			  "\"}}", "resource.keys");

	/* length limits: 128 is fine, 129 is not */
	for (unsigned int i = 0; i < 128; i++)
		str_append_c(longstr, 'x');
	struct webpush_subscription sub;
	const char *error;
	test_assert(parse(sub_json(q(str_c(longstr)), q(str_c(longstr)),
				   q("all"), q(ENDPOINT), q(P256DH_URL),
				   q(AUTH_URL)), &sub, &error) == 0);
	str_append_c(longstr, 'x');
	test_expect_error(sub_json(q(str_c(longstr)), q("d"), q("all"),
				   q(ENDPOINT), q(P256DH_URL), q(AUTH_URL)),
			  "client");
	test_expect_error(sub_json(q("c"), q(str_c(longstr)), q("all"),
				   q(ENDPOINT), q(P256DH_URL), q(AUTH_URL)),
			  "device");
	str_truncate(longstr, 0);
	str_append(longstr, "https://push.example.net/");
	while (str_len(longstr) < 513)
		str_append_c(longstr, 'a');
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(str_c(longstr)),
				   q(P256DH_URL), q(AUTH_URL)),
			  "resource.endpoint");
	str_truncate(longstr, 512);
	test_assert(parse(sub_json(q("c"), q("d"), q("all"), q(str_c(longstr)),
				   q(P256DH_URL), q(AUTH_URL)), &sub, &error) == 0);
	/* p256dh longer than 256 octets (padding and all) */
	str_truncate(longstr, 0);
	str_append(longstr, P256DH_URL);
	while (str_len(longstr) < 257)
		str_append_c(longstr, 'A');
	test_expect_error(sub_json(q("c"), q("d"), q("all"), q(ENDPOINT),
				   q(str_c(longstr)), q(AUTH_URL)),
			  "resource.keys.p256dh");
	test_end();
}

static void test_parse_hostile(void)
{
	string_t *deep = t_str_new(8192);
	unsigned int i;

	test_begin("hostile input: bad JSON, nesting, size, UTF-8, duplicates");
	test_expect_error("", "invalid JSON");
	test_expect_error("{", "invalid JSON");
	test_expect_error("[]", "JSON object");
	test_expect_error("\"x\"", "JSON");
	test_expect_error("{} {}", "invalid JSON");
	/* duplicate keys */
	test_expect_error("{\"client\":\"a\",\"client\":\"b\"}", "duplicate");
	/* invalid UTF-8 */
	test_expect_error(sub_json(q("\xff\xfe"), q("d"), q("all"), q(ENDPOINT),
				   q(P256DH_URL), q(AUTH_URL)), "invalid JSON");
	/* NUL inside a string */
	test_expect_error(sub_json(q("a\\u0000b"), q("d"), q("all"),
				   q(ENDPOINT), q(P256DH_URL), q(AUTH_URL)),
			  "invalid JSON");
	/* deep nesting within the size limit, and beyond it */
	for (i = 0; i < 2000; i++)
		str_append_c(deep, '[');
	for (i = 0; i < 2000; i++)
		str_append_c(deep, ']');
	test_expect_error(str_c(deep), "JSON");
	str_truncate(deep, 0);
	str_append(deep, "{\"client\":");
	for (i = 0; i < 3000; i++)
		str_append(deep, "{\"a\":");
	test_expect_error(str_c(deep), "larger than");
	test_end();
}

static void
test_assert_same_sub(const struct webpush_subscription *a,
		     const struct webpush_subscription *b)
{
	test_assert_strcmp(a->client, b->client);
	test_assert_strcmp(a->device, b->device);
	test_assert_strcmp(a->endpoint, b->endpoint);
	test_assert(a->msgtype == b->msgtype);
	test_assert(a->created == b->created);
	test_assert(a->validated == b->validated);
	test_assert(memcmp(a->p256dh, b->p256dh, sizeof(a->p256dh)) == 0);
	test_assert(memcmp(a->auth, b->auth, sizeof(a->auth)) == 0);
}

/* the stored value of subscription i: client, endpoint, created and
   validated differ between them */
static const char *cached_stored_json(unsigned int i)
{
	struct webpush_subscription sub;
	const char *json, *error;

	json = sub_json(q(t_strdup_printf("client %u", i)), q("device"),
			q(i % 2 == 0 ? "chat" : "all"),
			q(t_strdup_printf(ENDPOINT "/%u", i)), q(P256DH_URL),
			q(AUTH_URL));
	if (parse(json, &sub, &error) < 0)
		i_unreached();
	sub.created = 1000000000 + i;
	sub.validated = i % 3 == 0;
	return webpush_subscription_to_json(&sub);
}

static void test_parse_stored_cached(void)
{
	struct webpush_subscription direct, cached, again;
	pool_t pool;
	const char *json, *changed, *error;
	unsigned int i, round;

	test_begin("stored values through the parse cache");
	pool = pool_alloconly_create("cached subscriptions", 1024);
	/* more values than the cache holds, twice: every answer is the one
	   the direct parse gives, whether it came from the cache or not */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < WEBPUSH_SUBSCRIPTION_CACHE_SIZE + 5; i++) {
			json = cached_stored_json(i);
			test_assert(webpush_subscription_parse_stored(
				pool_datastack_create(), json, &direct,
				&error) == 0);
			test_assert_idx(webpush_subscription_parse_stored_cached(
				pool, json, &cached, &error) == 0, i);
			test_assert_same_sub(&cached, &direct);
			/* asked again at once: from the cache */
			test_assert_idx(webpush_subscription_parse_stored_cached(
				pool, json, &again, &error) == 0, i);
			test_assert_same_sub(&again, &direct);
		}
	}
	/* the strings are the caller's: the cache may drop its entry */
	json = cached_stored_json(0);
	test_assert(webpush_subscription_parse_stored_cached(
		pool, json, &cached, &error) == 0);
	webpush_subscription_cache_clear();
	test_assert_strcmp(cached.endpoint, ENDPOINT "/0");
	test_assert_strcmp(cached.client, "client 0");

	/* validated changed: parsed anew, not the old entry */
	json = cached_stored_json(3);
	test_assert(webpush_subscription_parse_stored_cached(
		pool, json, &cached, &error) == 0);
	test_assert(cached.validated);
	changed = t_strdup_printf("%.*sfalse}", (int)(strlen(json) -
				  strlen("true}")), json);
	test_assert(webpush_subscription_parse_stored_cached(
		pool, changed, &cached, &error) == 0);
	test_assert(!cached.validated);

	/* a value that does not parse gives its error every time */
	for (i = 0; i < 2; i++) {
		error = NULL;
		test_assert(webpush_subscription_parse_stored_cached(pool,
			valid_json("chat"), &cached, &error) < 0);
		test_assert(error != NULL && strstr(error, "created") != NULL);
	}
	webpush_subscription_cache_clear();
	pool_unref(&pool);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_subscription_id,
		test_msgtype,
		test_parse_keys,
		test_parse_valid,
		test_parse_canonical,
		test_parse_invalid_fields,
		test_parse_hostile,
		test_parse_stored_cached,
		NULL
	};
	return test_run(test_functions);
}
