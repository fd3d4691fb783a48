/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "str.h"
#include "base64.h"
#include "test-common.h"
#include "webpush-b64.h"

static bool decode_ok(const char *str, const void *expected, size_t size)
{
	buffer_t *buf = t_buffer_create(64);
	const char *error;

	if (webpush_b64_decode(str, buf, &error) < 0) {
		i_error("unexpected decode error for '%s': %s", str, error);
		return FALSE;
	}
	return buf->used == size && memcmp(buf->data, expected, size) == 0;
}

static bool decode_fails(const char *str)
{
	buffer_t *buf = t_buffer_create(64);
	const char *error = NULL;

	if (webpush_b64_decode(str, buf, &error) == 0)
		return FALSE;
	return error != NULL && *error != '\0';
}

/* What Dovecot's own decoder does, which webpush_b64_decode() builds on:
   each scheme knows only its own two extra characters, whitespace is
   skipped unless BASE64_DECODE_FLAG_NO_WHITESPACE, and the padding flags
   decide whether '=' is required, optional or refused. */
static void test_dovecot_base64_behaviour(void)
{
	buffer_t *buf = t_buffer_create(16);

	test_begin("dovecot base64: alphabets are not mixed");
	test_assert(base64_scheme_decode(&base64url_scheme, 0,
					 "ab+/", 4, buf) < 0);
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64_scheme, 0,
					 "ab-_", 4, buf) < 0);
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64_scheme, 0,
					 "ab+/", 4, buf) == 0);
	test_assert(buf->used == 3);
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme, 0,
					 "ab-_", 4, buf) == 0);
	test_assert(buf->used == 3);
	test_end();

	test_begin("dovecot base64: whitespace and padding flags");
	buffer_set_used_size(buf, 0);
	/* whitespace is skipped by default ... */
	test_assert(base64_scheme_decode(&base64url_scheme, 0,
					 "QU Jj", 5, buf) == 0);
	test_assert(buf->used == 3 && memcmp(buf->data, "ABc", 3) == 0);
	/* ... and refused with NO_WHITESPACE */
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme,
					 BASE64_DECODE_FLAG_NO_WHITESPACE,
					 "QU Jj", 5, buf) < 0);
	/* padding is required by default */
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme, 0,
					 "QUI", 3, buf) < 0);
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme, 0,
					 "QUI=", 4, buf) == 0);
	/* NO_PADDING refuses it */
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme,
					 BASE64_DECODE_FLAG_NO_PADDING,
					 "QUI=", 4, buf) < 0);
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme,
					 BASE64_DECODE_FLAG_NO_PADDING,
					 "QUI", 3, buf) == 0);
	test_assert(buf->used == 2 && memcmp(buf->data, "AB", 2) == 0);
	/* IGNORE_PADDING accepts both, but also incomplete padding and a
	   dangling 4n+1st character: why webpush_b64_decode() checks the
	   length and padding itself */
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme,
					 BASE64_DECODE_FLAG_IGNORE_PADDING,
					 "QQ=", 3, buf) == 0);
	buffer_set_used_size(buf, 0);
	test_assert(base64_scheme_decode(&base64url_scheme,
					 BASE64_DECODE_FLAG_IGNORE_PADDING,
					 "QUJjQ", 5, buf) == 0);
	test_end();
}

static void test_webpush_b64_decode_forms(void)
{
	/* RFC 8291 Appendix A auth secret in all four spellings */
	static const unsigned char auth[] = {
		0x05, 0x30, 0x59, 0x32, 0xa1, 0xc7, 0xea, 0xbe,
		0x13, 0xb6, 0xce, 0xc9, 0xfd, 0xa4, 0x88, 0x82
	};

	test_begin("webpush_b64_decode: base64 and base64url, padded or not");
	test_assert(decode_ok("BTBZMqHH6r4Tts7J_aSIgg", auth, sizeof(auth)));
	test_assert(decode_ok("BTBZMqHH6r4Tts7J_aSIgg==", auth, sizeof(auth)));
	test_assert(decode_ok("BTBZMqHH6r4Tts7J/aSIgg", auth, sizeof(auth)));
	test_assert(decode_ok("BTBZMqHH6r4Tts7J/aSIgg==", auth, sizeof(auth)));
	test_assert(decode_ok("", "", 0));
	test_assert(decode_ok("QUI", "AB", 2));
	test_assert(decode_ok("QUI=", "AB", 2));
	test_assert(decode_ok("QUJj", "ABc", 3));
	test_assert(decode_ok("-_-_", "\xfb\xff\xbf", 3));
	test_assert(decode_ok("+/+/", "\xfb\xff\xbf", 3));
	test_end();
}

static void test_webpush_b64_decode_invalid(void)
{
	test_begin("webpush_b64_decode: invalid input is refused");
	/* mixed alphabets */
	test_assert(decode_fails("BTBZMqHH6r4Tts7J_aSI/g"));
	test_assert(decode_fails("ab+_"));
	/* whitespace anywhere */
	test_assert(decode_fails("BTBZMqHH6r4Tts7J _aSIgg"));
	test_assert(decode_fails("BTBZMqHH6r4Tts7J_aSIgg\n"));
	test_assert(decode_fails(" QUJj"));
	/* characters outside both alphabets */
	test_assert(decode_fails("QU*j"));
	test_assert(decode_fails("QUJ\x80"));
	test_assert(decode_fails("QU.j"));
	/* wrong or incomplete padding */
	test_assert(decode_fails("QQ="));
	test_assert(decode_fails("QUI=="));
	test_assert(decode_fails("QQ==="));
	test_assert(decode_fails("Q==="));
	test_assert(decode_fails("===="));
	test_assert(decode_fails("="));
	test_assert(decode_fails("QQ==QUJj"));
	test_assert(decode_fails("QU=j"));
	/* impossible length */
	test_assert(decode_fails("Q"));
	test_assert(decode_fails("QUJjQ"));
	/* non-canonical: unused low bits set */
	test_assert(decode_fails("QR"));
	test_assert(decode_fails("QR=="));
	test_assert(decode_fails("QUJ"));
	test_end();
}

static void test_webpush_b64url_encode(void)
{
	static const char *const vectors[] = {
		"BTBZMqHH6r4Tts7J_aSIgg",
		"DGv6ra1nlYgDCS1FRnbzlw",
		"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
		"q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
		"4h_95klXJ5E_qnoN",
		"I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg",
	};
	string_t *str = t_str_new(64);

	test_begin("webpush_b64url_encode: no padding, round trip");
	test_assert_strcmp(webpush_b64url_encode("", 0), "");
	test_assert_strcmp(webpush_b64url_encode("A", 1), "QQ");
	test_assert_strcmp(webpush_b64url_encode("AB", 2), "QUI");
	test_assert_strcmp(webpush_b64url_encode("ABc", 3), "QUJj");
	test_assert_strcmp(webpush_b64url_encode("\xfb\xff\xbf", 3), "-_-_");
	for (unsigned int i = 0; i < N_ELEMENTS(vectors); i++) {
		buffer_t *buf = t_buffer_create(64);
		const char *error;

		test_assert_idx(webpush_b64_decode(vectors[i], buf,
						   &error) == 0, i);
		test_assert_strcmp_idx(webpush_b64url_encode(buf->data,
							     buf->used),
				       vectors[i], i);
	}
	str_append(str, "k=");
	webpush_b64url_append(str, "AB", 2);
	test_assert_strcmp(str_c(str), "k=QUI");
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_dovecot_base64_behaviour,
		test_webpush_b64_decode_forms,
		test_webpush_b64_decode_invalid,
		test_webpush_b64url_encode,
		NULL
	};
	return test_run(test_functions);
}
