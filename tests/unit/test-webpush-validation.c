/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "test-common.h"
#include "webpush-validation.h"

#define USER "alice@example.com"
#define ID "sub-0123456789"
#define ENDPOINT "https://push.example.net/p/1"
#define NOW 1700000000
#define TIMEOUT 300

static unsigned char secret[WEBPUSH_VALIDATION_SECRET_SIZE];
static unsigned char secret2[WEBPUSH_VALIDATION_SECRET_SIZE];

static bool check(const char *token, time_t now)
{
	return webpush_validation_token_check(secret, sizeof(secret), USER, ID,
					      ENDPOINT, token, now, TIMEOUT);
}

static void test_derive(void)
{
	unsigned char again[WEBPUSH_VALIDATION_SECRET_SIZE];

	test_begin("secret derivation is deterministic and key-dependent");
	webpush_validation_derive_secret("key one", 7, secret);
	webpush_validation_derive_secret("key one", 7, again);
	webpush_validation_derive_secret("key two", 7, secret2);
	test_assert(memcmp(secret, again, sizeof(secret)) == 0);
	test_assert(memcmp(secret, secret2, sizeof(secret)) != 0);
	test_end();
}

static void test_roundtrip(void)
{
	const char *token;

	test_begin("a fresh token checks within the window");
	token = webpush_validation_token_create(secret, sizeof(secret), USER,
						ID, ENDPOINT, NOW);
	test_assert(strlen(token) == 54);
	test_assert(strlen(token) <= 1024);
	test_assert(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			   "qrstuvwxyz0123456789-_") == strlen(token));
	test_assert(check(token, NOW));
	test_assert(check(token, NOW + TIMEOUT));
	test_assert(check(token, NOW - WEBPUSH_VALIDATION_MAX_CLOCK_SKEW_SECS));
	/* deterministic: the same inputs give the same token */
	test_assert_strcmp(token, webpush_validation_token_create(
		secret, sizeof(secret), USER, ID, ENDPOINT, NOW));
	test_end();
}

static void test_rejects(void)
{
	const char *token;
	string_t *bad;

	test_begin("late, early, foreign and malformed tokens are refused");
	token = webpush_validation_token_create(secret, sizeof(secret), USER,
						ID, ENDPOINT, NOW);
	test_assert(!check(token, NOW + TIMEOUT + 1));
	test_assert(!check(token, NOW - WEBPUSH_VALIDATION_MAX_CLOCK_SKEW_SECS - 1));
	test_assert(!webpush_validation_token_check(secret, sizeof(secret),
		"bob@example.com", ID, ENDPOINT, token, NOW, TIMEOUT));
	test_assert(!webpush_validation_token_check(secret, sizeof(secret),
		USER, "sub-0123456780", ENDPOINT, token, NOW, TIMEOUT));
	test_assert(!webpush_validation_token_check(secret, sizeof(secret),
		USER, ID, ENDPOINT "x", token, NOW, TIMEOUT));
	test_assert(!webpush_validation_token_check(secret2, sizeof(secret2),
		USER, ID, ENDPOINT, token, NOW, TIMEOUT));
	/* field boundaries matter: user+id moved around does not match */
	test_assert(!webpush_validation_token_check(secret, sizeof(secret),
		USER "s", "ub-0123456789", ENDPOINT, token, NOW, TIMEOUT));

	/* a token with its time changed fails the MAC */
	bad = t_str_new(64);
	str_append(bad, token);
	str_c_modifiable(bad)[9] = str_c(bad)[9] == 'A' ? 'B' : 'A';
	test_assert(!check(str_c(bad), NOW));
	/* the last MAC character changed */
	str_truncate(bad, 0);
	str_append(bad, token);
	str_c_modifiable(bad)[53] = str_c(bad)[53] == 'A' ? 'Q' : 'A';
	test_assert(!check(str_c(bad), NOW));

	test_assert(!check("", NOW));
	test_assert(!check("x", NOW));
	test_assert(!check("not a token at all", NOW));
	test_assert(!check(t_strconcat(token, "AAAA", NULL), NOW));
	test_assert(!check(t_strndup(token, 50), NOW));
	test_assert(!check(t_strconcat(token, "==", NULL), NOW));
	str_truncate(bad, 0);
	for (unsigned int i = 0; i < 2000; i++)
		str_append_c(bad, 'A');
	test_assert(!check(str_c(bad), NOW));
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_derive,
		test_roundtrip,
		test_rejects,
		NULL
	};
	return test_run(test_functions);
}
