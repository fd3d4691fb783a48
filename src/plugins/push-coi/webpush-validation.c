/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "base64.h"
#include "webpush-validation.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>

#define WEBPUSH_VALIDATION_MAC_SIZE 32
#define WEBPUSH_VALIDATION_TIME_SIZE 8
#define WEBPUSH_VALIDATION_TOKEN_SIZE \
	(WEBPUSH_VALIDATION_TIME_SIZE + WEBPUSH_VALIDATION_MAC_SIZE)
#define WEBPUSH_VALIDATION_DERIVE_LABEL "dovecot-coi webpush validation v1"

static void
webpush_hmac_sha256(const void *key, size_t key_size,
		    const void *data, size_t data_size,
		    unsigned char mac_r[WEBPUSH_VALIDATION_MAC_SIZE])
{
	size_t mac_len = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_size,
		      data, data_size, mac_r, WEBPUSH_VALIDATION_MAC_SIZE,
		      &mac_len) == NULL ||
	    mac_len != WEBPUSH_VALIDATION_MAC_SIZE)
		i_panic("webpush: HMAC-SHA256 failed in OpenSSL");
}

void webpush_validation_derive_secret(const void *material, size_t size,
		unsigned char secret_r[WEBPUSH_VALIDATION_SECRET_SIZE])
{
	const char *label = WEBPUSH_VALIDATION_DERIVE_LABEL;

	/* HMAC keyed by the material over a fixed label: a one-way
	   derivation, so the secret reveals nothing of the key. */
	webpush_hmac_sha256(material, size, label, strlen(label), secret_r);
}

static void
webpush_validation_mac(const unsigned char *secret, size_t secret_size,
		       const char *user, const char *id, const char *endpoint,
		       const unsigned char time_be[WEBPUSH_VALIDATION_TIME_SIZE],
		       unsigned char mac_r[WEBPUSH_VALIDATION_MAC_SIZE])
{
	buffer_t *data = t_buffer_create(256);

	/* None of the fields can hold a NUL: NUL separates them. */
	buffer_append(data, user, strlen(user) + 1);
	buffer_append(data, id, strlen(id) + 1);
	buffer_append(data, endpoint, strlen(endpoint) + 1);
	buffer_append(data, time_be, WEBPUSH_VALIDATION_TIME_SIZE);
	webpush_hmac_sha256(secret, secret_size, data->data, data->used,
			    mac_r);
}

static void time_to_be(uint64_t t, unsigned char be_r[WEBPUSH_VALIDATION_TIME_SIZE])
{
	unsigned int i;

	for (i = WEBPUSH_VALIDATION_TIME_SIZE; i > 0; i--) {
		be_r[i - 1] = t & 0xff;
		t >>= 8;
	}
}

static uint64_t be_to_time(const unsigned char be[WEBPUSH_VALIDATION_TIME_SIZE])
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < WEBPUSH_VALIDATION_TIME_SIZE; i++)
		t = (t << 8) | be[i];
	return t;
}

const char *
webpush_validation_token_create(const unsigned char *secret,
				size_t secret_size, const char *user,
				const char *id, const char *endpoint,
				time_t now)
{
	unsigned char token[WEBPUSH_VALIDATION_TOKEN_SIZE];

	i_assert(now >= 0);
	time_to_be((uint64_t)now, token);
	webpush_validation_mac(secret, secret_size, user, id, endpoint,
			       token, token + WEBPUSH_VALIDATION_TIME_SIZE);
	return str_c(t_base64url_encode(BASE64_ENCODE_FLAG_NO_PADDING, 0,
					token, sizeof(token)));
}

static bool
webpush_validation_token_check_t(const unsigned char *secret,
				 size_t secret_size, const char *user,
				 const char *id, const char *endpoint,
				 const char *token, time_t now,
				 unsigned int timeout_secs)
{
	unsigned char mac[WEBPUSH_VALIDATION_MAC_SIZE];
	buffer_t *raw;
	size_t len = strlen(token);
	uint64_t issued;

	if (len == 0 || len > WEBPUSH_VALIDATION_TOKEN_MAX_LEN)
		return FALSE;
	raw = t_buffer_create(MAX_BASE64_DECODED_SIZE(len) + 1);
	if (base64url_decode(BASE64_DECODE_FLAG_NO_PADDING |
			     BASE64_DECODE_FLAG_NO_WHITESPACE,
			     token, len, raw) < 0 ||
	    raw->used != WEBPUSH_VALIDATION_TOKEN_SIZE)
		return FALSE;

	issued = be_to_time(raw->data);
	if (now < 0 || issued > (uint64_t)now +
			WEBPUSH_VALIDATION_MAX_CLOCK_SKEW_SECS ||
	    (uint64_t)now > issued + timeout_secs)
		return FALSE;

	webpush_validation_mac(secret, secret_size, user, id, endpoint,
			       raw->data, mac);
	return CRYPTO_memcmp(mac, CONST_PTR_OFFSET(raw->data,
						   WEBPUSH_VALIDATION_TIME_SIZE),
			     sizeof(mac)) == 0;
}

bool webpush_validation_token_check(const unsigned char *secret,
				    size_t secret_size, const char *user,
				    const char *id, const char *endpoint,
				    const char *token, time_t now,
				    unsigned int timeout_secs)
{
	bool ret;

	T_BEGIN {
		ret = webpush_validation_token_check_t(secret, secret_size,
						       user, id, endpoint,
						       token, now,
						       timeout_secs);
	} T_END;
	return ret;
}
