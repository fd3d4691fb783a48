/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "test-common.h"
#include "webpush-b64.h"
#include "test-webpush-common.h"
#include "webpush-ece.h"

/* RFC 8291 Appendix A, as listed in shared/spec/test-vectors.md */
#define RFC8291_PLAINTEXT "When I grow up, I want to be a watermelon"
#define RFC8291_AUTH "BTBZMqHH6r4Tts7J_aSIgg"
#define RFC8291_SALT "DGv6ra1nlYgDCS1FRnbzlw"
#define RFC8291_UA_PUBLIC "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define RFC8291_UA_PRIVATE "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
#define RFC8291_AS_PUBLIC "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
#define RFC8291_AS_PRIVATE "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define RFC8291_ECDH_SECRET "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"
#define RFC8291_PRK_KEY "Snr3JMxaHVDXHWJn5wdC52WjpCtd2EIEGBykDcZW32k"
#define RFC8291_IKM "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg"
#define RFC8291_PRK "09_eUZGrsvxChDCGRCdkLiDXrReGOEVeSCdCcPBSJSc"
#define RFC8291_CEK "oIhVW04MRdy2XN9CiKLxTg"
#define RFC8291_NONCE "4h_95klXJ5E_qnoN"
#define RFC8291_BODY "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"

/* RFC 8188 section 3.1 */
#define RFC8188_IKM "yqdlZ-tYemfogSmv7Ws5PQ"
#define RFC8188_BODY "I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg"

/* Two records (rs = 25, keyid "a1", padding in the first record), made
   with python3-cryptography's AESGCM and hmac by an independent RFC 8188
   encoder, to cover multi-record decryption. */
#define MULTI_IKM "AAECAwQFBgcICQoLDA0ODw"
#define MULTI_BODY "ZGVmZ2hpamtsbW5vcHFycwAAABkCYTGt2YYSf7IYXlIvhsLcdwQIvvrdg-kYg5w0Xuq4tvmMmx0vyiArNNfgoBXlMLE0eQmWQg"

static const char *enc(const void *data, size_t size)
{
	return webpush_b64url_encode(data, size);
}

static int
encrypt_rfc8291(const buffer_t *ua_public, const buffer_t *auth,
		const void *plaintext, size_t plaintext_size,
		buffer_t *body, struct webpush_ece_trace *trace_r,
		const char **error_r)
{
	buffer_t *as_private = dec(RFC8291_AS_PRIVATE);
	buffer_t *as_public = dec(RFC8291_AS_PUBLIC);
	buffer_t *salt = dec(RFC8291_SALT);

	return webpush_ece_encrypt_fixed(ua_public->data, ua_public->used,
					 auth->data, auth->used,
					 as_private->data, as_private->used,
					 as_public->data, as_public->used,
					 salt->data, salt->used,
					 plaintext, plaintext_size,
					 body, trace_r, error_r);
}

/* Decrypts body as the receiver of RFC 8291 Appendix A. */
static int
decrypt_as_receiver(const void *body, size_t body_size, const buffer_t *auth,
		    buffer_t *plaintext, const char **error_r)
{
	buffer_t *ua_private = dec(RFC8291_UA_PRIVATE);
	buffer_t *ua_public = dec(RFC8291_UA_PUBLIC);

	return webpush_ece_decrypt(body, body_size,
				   ua_private->data, ua_private->used,
				   ua_public->data, ua_public->used,
				   auth->data, auth->used, plaintext, error_r);
}

static void test_ece_rfc8291_vector(void)
{
	struct webpush_ece_trace trace;
	buffer_t *body = t_buffer_create(256);
	const char *error = NULL;

	test_begin("ece: RFC 8291 Appendix A body byte for byte");
	test_assert(encrypt_rfc8291(dec(RFC8291_UA_PUBLIC), dec(RFC8291_AUTH),
				    RFC8291_PLAINTEXT,
				    strlen(RFC8291_PLAINTEXT), body, &trace,
				    &error) == 0);
	test_assert(body->used == 144);
	test_assert(webpush_ece_body_size(strlen(RFC8291_PLAINTEXT)) == 144);
	test_assert_strcmp(enc(body->data, body->used), RFC8291_BODY);
	test_end();

	test_begin("ece: RFC 8291 Appendix A intermediate values");
	test_assert_strcmp(enc(trace.ecdh_secret, sizeof(trace.ecdh_secret)),
			   RFC8291_ECDH_SECRET);
	test_assert_strcmp(enc(trace.prk_key, sizeof(trace.prk_key)),
			   RFC8291_PRK_KEY);
	test_assert_strcmp(enc(trace.ikm, sizeof(trace.ikm)), RFC8291_IKM);
	test_assert_strcmp(enc(trace.prk, sizeof(trace.prk)), RFC8291_PRK);
	test_assert_strcmp(enc(trace.cek, sizeof(trace.cek)), RFC8291_CEK);
	test_assert_strcmp(enc(trace.nonce, sizeof(trace.nonce)),
			   RFC8291_NONCE);
	test_end();

	test_begin("ece: body is appended after existing data");
	buffer_set_used_size(body, 0);
	buffer_append(body, "xy", 2);
	test_assert(encrypt_rfc8291(dec(RFC8291_UA_PUBLIC), dec(RFC8291_AUTH),
				    RFC8291_PLAINTEXT,
				    strlen(RFC8291_PLAINTEXT), body, NULL,
				    &error) == 0);
	test_assert(body->used == 146);
	test_assert(memcmp(body->data, "xy", 2) == 0);
	test_assert_strcmp(enc(CONST_PTR_OFFSET(body->data, 2), 144),
			   RFC8291_BODY);
	test_end();
}

static void test_ece_rfc8291_decrypt(void)
{
	buffer_t *body = dec(RFC8291_BODY);
	buffer_t *auth = dec(RFC8291_AUTH);
	buffer_t *plaintext = t_buffer_create(64);
	buffer_t *wrong_auth;
	unsigned char *p;
	const char *error = NULL;

	test_begin("ece: RFC 8291 vector decrypts with the receiver key");
	test_assert(decrypt_as_receiver(body->data, body->used,
					auth, plaintext, &error) == 0);
	test_assert(plaintext->used == strlen(RFC8291_PLAINTEXT) &&
		    memcmp(plaintext->data, RFC8291_PLAINTEXT,
			   plaintext->used) == 0);
	test_end();

	test_begin("ece: tampered body or wrong auth secret fails");
	p = buffer_get_modifiable_data(body, NULL);
	p[100] ^= 0x01;
	buffer_set_used_size(plaintext, 0);
	error = NULL;
	test_assert(decrypt_as_receiver(body->data, body->used,
					auth, plaintext, &error) < 0);
	test_assert(error != NULL && strstr(error, "tag") != NULL);
	test_assert(plaintext->used == 0);
	p[100] ^= 0x01;

	wrong_auth = dec(RFC8291_AUTH);
	p = buffer_get_modifiable_data(wrong_auth, NULL);
	p[0] ^= 0x80;
	test_assert(decrypt_as_receiver(body->data, body->used,
					wrong_auth, plaintext, &error) < 0);
	/* truncated body */
	test_assert(decrypt_as_receiver(body->data, 100,
					auth, plaintext, &error) < 0);
	test_assert(decrypt_as_receiver(body->data, 10,
					auth, plaintext, &error) < 0);
	test_assert(plaintext->used == 0);
	test_end();
}

static void test_ece_rfc8188_vectors(void)
{
	buffer_t *body = dec(RFC8188_BODY);
	buffer_t *ikm = dec(RFC8188_IKM);
	buffer_t *plaintext = t_buffer_create(64);
	const char *error = NULL;

	test_begin("ece: RFC 8188 section 3.1 decrypts to 'I am the walrus'");
	test_assert(body->used == 53);
	test_assert(webpush_ece_decrypt_ikm(body->data, body->used,
					    ikm->data, ikm->used,
					    plaintext, &error) == 0);
	test_assert(plaintext->used == 15 &&
		    memcmp(plaintext->data, "I am the walrus", 15) == 0);
	test_end();

	test_begin("ece: multi-record body with padding decrypts");
	body = dec(MULTI_BODY);
	ikm = dec(MULTI_IKM);
	buffer_set_used_size(plaintext, 0);
	test_assert(webpush_ece_decrypt_ikm(body->data, body->used,
					    ikm->data, ikm->used,
					    plaintext, &error) == 0);
	test_assert(plaintext->used == 15 &&
		    memcmp(plaintext->data, "I am the walrus", 15) == 0);
	/* dropping the last record leaves a body without its last record */
	buffer_set_used_size(plaintext, 0);
	test_assert(webpush_ece_decrypt_ikm(body->data, body->used - 25,
					    ikm->data, ikm->used,
					    plaintext, &error) < 0);
	test_assert(error != NULL && strstr(error, "truncated") != NULL);
	test_assert(plaintext->used == 0);
	test_end();
}

static void
check_receiver_key_fails(const buffer_t *key, const char *expect_in_error,
			 unsigned int idx)
{
	buffer_t *auth = dec(RFC8291_AUTH);
	buffer_t *body = t_buffer_create(256);
	const char *error = NULL;

	test_assert_idx(webpush_ece_check_receiver_key(key->data, key->used,
						       &error) < 0, idx);
	test_assert_idx(error != NULL &&
			strstr(error, expect_in_error) != NULL, idx);
	error = NULL;
	test_assert_idx(webpush_ece_encrypt(key->data, key->used,
					    auth->data, auth->used,
					    "x", 1, body, &error) < 0, idx);
	test_assert_idx(error != NULL && strstr(error, "p256dh") != NULL, idx);
	test_assert_idx(body->used == 0, idx);
}

static void test_ece_bad_receiver_keys(void)
{
	buffer_t *key;
	unsigned char *p;
	const char *error = NULL;

	test_begin("ece: receiver key checks");
	key = dec(RFC8291_UA_PUBLIC);
	test_assert(webpush_ece_check_receiver_key(key->data, key->used,
						   &error) == 0);

	/* wrong length: 64, 66 and 33 octets (compressed form) */
	key = dec(RFC8291_UA_PUBLIC);
	buffer_set_used_size(key, 64);
	check_receiver_key_fails(key, "65-octet", 0);
	key = dec(RFC8291_UA_PUBLIC);
	buffer_append_c(key, 0);
	check_receiver_key_fails(key, "65-octet", 1);
	key = dec(RFC8291_UA_PUBLIC);
	p = buffer_get_modifiable_data(key, NULL);
	p[0] = 0x02;
	buffer_set_used_size(key, 33);
	check_receiver_key_fails(key, "65-octet", 2);
	key = t_buffer_create(1);
	check_receiver_key_fails(key, "65-octet", 3);

	/* wrong prefix on 65 octets */
	key = dec(RFC8291_UA_PUBLIC);
	p = buffer_get_modifiable_data(key, NULL);
	p[0] = 0x02;
	check_receiver_key_fails(key, "uncompressed", 4);
	p[0] = 0x06;
	check_receiver_key_fails(key, "uncompressed", 5);

	/* not on the curve */
	key = dec(RFC8291_UA_PUBLIC);
	p = buffer_get_modifiable_data(key, NULL);
	p[64] ^= 0x01;
	check_receiver_key_fails(key, "curve", 6);
	key = t_buffer_create(65);
	buffer_append_c(key, 0x04);
	buffer_append_zero(key, 64);
	check_receiver_key_fails(key, "curve", 7);
	/* X and Y beyond the field prime */
	key = t_buffer_create(65);
	buffer_append_c(key, 0x04);
	p = buffer_append_space_unsafe(key, 64);
	memset(p, 0xff, 64);
	check_receiver_key_fails(key, "curve", 8);
	test_end();
}

static void test_ece_bad_auth(void)
{
	static const size_t sizes[] = { 0, 15, 17, 32 };
	buffer_t *ua_public = dec(RFC8291_UA_PUBLIC);
	buffer_t *auth = t_buffer_create(32);
	buffer_t *body = t_buffer_create(256);
	const char *error = NULL;

	test_begin("ece: auth secret must be 16 octets");
	test_assert(webpush_ece_check_auth_secret(16, &error) == 0);
	buffer_append_zero(auth, 32);
	for (unsigned int i = 0; i < N_ELEMENTS(sizes); i++) {
		error = NULL;
		test_assert_idx(webpush_ece_check_auth_secret(sizes[i],
							      &error) < 0, i);
		test_assert_idx(error != NULL &&
				strstr(error, "16 octets") != NULL, i);
		error = NULL;
		test_assert_idx(webpush_ece_encrypt(ua_public->data,
						    ua_public->used,
						    auth->data, sizes[i],
						    "x", 1, body, &error) < 0, i);
		test_assert_idx(error != NULL && strstr(error, "auth") != NULL, i);
		test_assert_idx(body->used == 0, i);
	}
	test_end();
}

static void test_ece_size_limit(void)
{
	buffer_t *ua_public = dec(RFC8291_UA_PUBLIC);
	buffer_t *auth = dec(RFC8291_AUTH);
	buffer_t *body = t_buffer_create(4200);
	buffer_t *plaintext = t_buffer_create(4000);
	buffer_t *out = t_buffer_create(4000);
	unsigned char *p;
	const char *error = NULL;

	test_begin("ece: 3993 octets of plaintext make a 4096-octet body");
	test_assert(WEBPUSH_ECE_MAX_PLAINTEXT_SIZE == 3993);
	test_assert(WEBPUSH_ECE_HEADER_SIZE == 86);
	test_assert(webpush_ece_body_size(3993) == 4096);
	p = buffer_append_space_unsafe(plaintext, 3994);
	for (unsigned int i = 0; i < 3994; i++)
		p[i] = 'a' + i % 26;
	test_assert(webpush_ece_encrypt(ua_public->data, ua_public->used,
					auth->data, auth->used,
					plaintext->data, 3993,
					body, &error) == 0);
	test_assert(body->used == 4096);
	test_assert(decrypt_as_receiver(body->data, body->used,
					auth, out, &error) == 0);
	test_assert(out->used == 3993 &&
		    memcmp(out->data, plaintext->data, 3993) == 0);
	test_end();

	test_begin("ece: 3994 octets of plaintext are refused");
	buffer_set_used_size(body, 0);
	error = NULL;
	test_assert(webpush_ece_encrypt(ua_public->data, ua_public->used,
					auth->data, auth->used,
					plaintext->data, 3994,
					body, &error) < 0);
	test_assert(error != NULL && strstr(error, "too long") != NULL &&
		    strstr(error, "4096") != NULL);
	test_assert(body->used == 0);
	test_end();

	test_begin("ece: empty plaintext");
	test_assert(webpush_ece_encrypt(ua_public->data, ua_public->used,
					auth->data, auth->used,
					"", 0, body, &error) == 0);
	test_assert(body->used == 86 + 1 + 16);
	buffer_set_used_size(out, 0);
	test_assert(decrypt_as_receiver(body->data, body->used,
					auth, out, &error) == 0);
	test_assert(out->used == 0);
	test_end();
}

static void test_ece_fresh_keys(void)
{
	buffer_t *ua_public = dec(RFC8291_UA_PUBLIC);
	buffer_t *auth = dec(RFC8291_AUTH);
	buffer_t *body1 = t_buffer_create(256), *body2 = t_buffer_create(256);
	buffer_t *out = t_buffer_create(64);
	const unsigned char *b1, *b2;
	const char *error = NULL;

	test_begin("ece: fresh salt and sender key per push, header layout");
	test_assert(webpush_ece_encrypt(ua_public->data, ua_public->used,
					auth->data, auth->used,
					RFC8291_PLAINTEXT,
					strlen(RFC8291_PLAINTEXT),
					body1, &error) == 0);
	test_assert(webpush_ece_encrypt(ua_public->data, ua_public->used,
					auth->data, auth->used,
					RFC8291_PLAINTEXT,
					strlen(RFC8291_PLAINTEXT),
					body2, &error) == 0);
	test_assert(body1->used == 144 && body2->used == 144);
	b1 = body1->data;
	b2 = body2->data;
	/* rs = 4096, idlen = 65, keyid = uncompressed point */
	test_assert(memcmp(b1 + 16, "\x00\x00\x10\x00\x41\x04", 6) == 0);
	test_assert(memcmp(b2 + 16, "\x00\x00\x10\x00\x41\x04", 6) == 0);
	/* different salts and different sender keys */
	test_assert(memcmp(b1, b2, 16) != 0);
	test_assert(memcmp(b1 + 21, b2 + 21, 65) != 0);
	/* the sender key is a valid point and not the receiver's */
	test_assert(webpush_ece_check_receiver_key(b1 + 21, 65, &error) == 0);
	test_assert(memcmp(b1 + 21, ua_public->data, 65) != 0);

	test_assert(decrypt_as_receiver(b1, body1->used,
					auth, out, &error) == 0);
	test_assert(out->used == strlen(RFC8291_PLAINTEXT) &&
		    memcmp(out->data, RFC8291_PLAINTEXT, out->used) == 0);
	buffer_set_used_size(out, 0);
	test_assert(decrypt_as_receiver(b2, body2->used,
					auth, out, &error) == 0);
	test_assert(out->used == strlen(RFC8291_PLAINTEXT) &&
		    memcmp(out->data, RFC8291_PLAINTEXT, out->used) == 0);
	test_end();
}

static void test_ece_fixed_key_errors(void)
{
	buffer_t *ua_public = dec(RFC8291_UA_PUBLIC);
	buffer_t *auth = dec(RFC8291_AUTH);
	buffer_t *as_private = dec(RFC8291_AS_PRIVATE);
	buffer_t *as_public = dec(RFC8291_AS_PUBLIC);
	buffer_t *salt = dec(RFC8291_SALT);
	buffer_t *body = t_buffer_create(256);
	const char *error = NULL;

	test_begin("ece: fixed key variant checks its inputs");
	test_assert(webpush_ece_encrypt_fixed(ua_public->data, ua_public->used,
					      auth->data, auth->used,
					      as_private->data, 31,
					      as_public->data, as_public->used,
					      salt->data, salt->used,
					      "x", 1, body, NULL, &error) < 0);
	test_assert(webpush_ece_encrypt_fixed(ua_public->data, ua_public->used,
					      auth->data, auth->used,
					      as_private->data, as_private->used,
					      as_public->data, as_public->used,
					      salt->data, 15,
					      "x", 1, body, NULL, &error) < 0);
	test_assert(error != NULL && strstr(error, "salt") != NULL);
	/* a public key that is not the private key's */
	error = NULL;
	test_assert(webpush_ece_encrypt_fixed(ua_public->data, ua_public->used,
					      auth->data, auth->used,
					      as_private->data, as_private->used,
					      ua_public->data, ua_public->used,
					      salt->data, salt->used,
					      "x", 1, body, NULL, &error) < 0);
	test_assert(error != NULL && strstr(error, "does not match") != NULL);
	test_assert(body->used == 0);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_ece_rfc8291_vector,
		test_ece_rfc8291_decrypt,
		test_ece_rfc8188_vectors,
		test_ece_bad_receiver_keys,
		test_ece_bad_auth,
		test_ece_size_limit,
		test_ece_fresh_keys,
		test_ece_fixed_key_errors,
		NULL
	};
	return test_run(test_functions);
}
