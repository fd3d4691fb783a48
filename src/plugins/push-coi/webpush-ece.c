/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "webpush-ece.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#define SHA256_SIZE 32
#define ECE_NONCE_SIZE 12
#define ECE_CEK_SIZE 16
/* RFC 8188: a record holds at least the delimiter and the tag. */
#define ECE_MIN_RECORD_SIZE (1 + WEBPUSH_ECE_TAG_SIZE + 1)

#define ECE_DELIM_LAST 0x02
#define ECE_DELIM_MORE 0x01

static const char webpush_info[] = "WebPush: info";
static const char cek_info[] = "Content-Encoding: aes128gcm";
static const char nonce_info[] = "Content-Encoding: nonce";

struct ece_keys {
	unsigned char prk[SHA256_SIZE];
	unsigned char cek[ECE_CEK_SIZE];
	unsigned char nonce[ECE_NONCE_SIZE];
};

static int
hmac_sha256(const unsigned char *key, size_t key_size,
	    const void *data, size_t data_size,
	    unsigned char out_r[SHA256_SIZE], const char **error_r)
{
	return webpush_ossl_hmac_sha256(key, key_size, data, data_size,
					out_r, error_r);
}

/* HKDF-Expand (RFC 5869) for at most one hash block:
   T(1) = HMAC(prk, info || 0x00 || 0x01), where the info strings of
   RFC 8188 end with a NUL octet. */
static int
hkdf_expand_info(const unsigned char prk[SHA256_SIZE], const char *info,
		 unsigned char *out_r, size_t out_size, const char **error_r)
{
	unsigned char block[SHA256_SIZE];
	buffer_t *data;
	int ret;

	i_assert(out_size <= SHA256_SIZE);
	data = t_buffer_create(strlen(info) + 2);
	buffer_append(data, info, strlen(info) + 1);
	buffer_append_c(data, 0x01);
	ret = hmac_sha256(prk, SHA256_SIZE, data->data, data->used,
			  block, error_r);
	if (ret == 0)
		memcpy(out_r, block, out_size);
	OPENSSL_cleanse(block, sizeof(block));
	return ret;
}

/* RFC 8188 section 2.2 and 2.3: PRK, CEK and NONCE from salt and IKM. */
static int
ece_derive_keys(const unsigned char *salt, const unsigned char *ikm,
		size_t ikm_size, struct ece_keys *keys_r, const char **error_r)
{
	if (hmac_sha256(salt, WEBPUSH_ECE_SALT_SIZE, ikm, ikm_size,
			keys_r->prk, error_r) < 0 ||
	    hkdf_expand_info(keys_r->prk, cek_info, keys_r->cek,
			     sizeof(keys_r->cek), error_r) < 0 ||
	    hkdf_expand_info(keys_r->prk, nonce_info, keys_r->nonce,
			     sizeof(keys_r->nonce), error_r) < 0)
		return -1;
	return 0;
}

static int
ecdh_derive(EVP_PKEY *private_key, EVP_PKEY *peer,
	    unsigned char secret_r[SHA256_SIZE], const char **error_r)
{
	EVP_PKEY_CTX *ctx;
	size_t len = SHA256_SIZE;
	int ret = -1;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, private_key, NULL);
	if (ctx == NULL)
		*error_r = webpush_ossl_error("EVP_PKEY_CTX_new_from_pkey()");
	else if (EVP_PKEY_derive_init(ctx) <= 0)
		*error_r = webpush_ossl_error("EVP_PKEY_derive_init()");
	/* The peer key was checked when it was imported
	   (webpush_ossl_p256_public_from_raw()): no second full check. */
	else if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) <= 0)
		*error_r = webpush_ossl_error("EVP_PKEY_derive_set_peer_ex()");
	else if (EVP_PKEY_derive(ctx, secret_r, &len) <= 0)
		*error_r = webpush_ossl_error("EVP_PKEY_derive()");
	else if (len != SHA256_SIZE)
		*error_r = "ECDH secret has an unexpected size";
	else
		ret = 0;
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* RFC 8291 section 3.3 and 3.4: IKM from the ECDH secret, the
   authentication secret and both public keys. */
static int
webpush_derive_ikm(const unsigned char ecdh_secret[SHA256_SIZE],
		   const unsigned char *auth,
		   const unsigned char *ua_public,
		   const unsigned char *as_public,
		   unsigned char prk_key_r[SHA256_SIZE],
		   unsigned char ikm_r[SHA256_SIZE], const char **error_r)
{
	buffer_t *key_info;

	if (hmac_sha256(auth, WEBPUSH_ECE_AUTH_SIZE, ecdh_secret, SHA256_SIZE,
			prk_key_r, error_r) < 0)
		return -1;

	key_info = t_buffer_create(sizeof(webpush_info) +
				   2 * WEBPUSH_ECE_KEY_SIZE + 1);
	buffer_append(key_info, webpush_info, sizeof(webpush_info));
	buffer_append(key_info, ua_public, WEBPUSH_ECE_KEY_SIZE);
	buffer_append(key_info, as_public, WEBPUSH_ECE_KEY_SIZE);
	buffer_append_c(key_info, 0x01);
	return hmac_sha256(prk_key_r, SHA256_SIZE, key_info->data,
			   key_info->used, ikm_r, error_r);
}

int webpush_ece_check_receiver_key(const unsigned char *key, size_t size,
				   const char **error_r)
{
	EVP_PKEY *pkey;
	const char *error;

	if (webpush_ossl_p256_public_from_raw(key, size, &pkey, &error) < 0) {
		*error_r = t_strconcat("invalid receiver key (p256dh): ",
				       error, NULL);
		return -1;
	}
	EVP_PKEY_free(pkey);
	return 0;
}

int webpush_ece_check_auth_secret(size_t size, const char **error_r)
{
	if (size != WEBPUSH_ECE_AUTH_SIZE) {
		*error_r = t_strdup_printf(
			"invalid authentication secret (auth): must be %u "
			"octets, not %zu", WEBPUSH_ECE_AUTH_SIZE, size);
		return -1;
	}
	return 0;
}

static int
aes128gcm_record(bool encrypt, const struct ece_keys *keys, uint64_t seq,
		 const unsigned char *in, size_t in_size,
		 const unsigned char *tag, buffer_t *out, const char **error_r)
{
	unsigned char nonce[ECE_NONCE_SIZE];
	unsigned char *dest;
	size_t start_used = out->used;
	EVP_CIPHER_CTX *ctx;
	int len, final_len, ret = -1;

	i_assert(in_size <= INT_MAX);

	/* RFC 8188 section 2.3: nonce XOR the record sequence number as a
	   96-bit big-endian integer */
	memcpy(nonce, keys->nonce, sizeof(nonce));
	for (unsigned int i = 0; i < 8; i++)
		nonce[ECE_NONCE_SIZE - 1 - i] ^= (seq >> (8 * i)) & 0xff;

	dest = buffer_append_space_unsafe(out, in_size + WEBPUSH_ECE_TAG_SIZE);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		*error_r = webpush_ossl_error("EVP_CIPHER_CTX_new()");
	else if (EVP_CipherInit_ex2(ctx, EVP_aes_128_gcm(), keys->cek, nonce,
				    encrypt ? 1 : 0, NULL) <= 0)
		*error_r = webpush_ossl_error("EVP_CipherInit_ex2(aes-128-gcm)");
	else if (EVP_CipherUpdate(ctx, dest, &len, in, (int)in_size) <= 0)
		*error_r = webpush_ossl_error("EVP_CipherUpdate()");
	else if (!encrypt &&
		 EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
				     WEBPUSH_ECE_TAG_SIZE, (void *)tag) <= 0)
		*error_r = webpush_ossl_error("EVP_CTRL_GCM_SET_TAG");
	else if (EVP_CipherFinal_ex(ctx, dest + len, &final_len) <= 0) {
		if (encrypt)
			*error_r = webpush_ossl_error("EVP_CipherFinal_ex()");
		else {
			ERR_clear_error();
			*error_r = "decryption failed (authentication tag mismatch)";
		}
	} else if (encrypt &&
		   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
				       WEBPUSH_ECE_TAG_SIZE,
				       dest + len + final_len) <= 0)
		*error_r = webpush_ossl_error("EVP_CTRL_GCM_GET_TAG");
	else {
		i_assert((size_t)(len + final_len) == in_size);
		ret = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	/* keep only what was produced: the data, plus the tag when
	   encrypting */
	if (ret < 0)
		buffer_set_used_size(out, start_used);
	else if (!encrypt)
		buffer_set_used_size(out, start_used + in_size);
	return ret;
}

static void
ece_append_header(buffer_t *body, const unsigned char *salt,
		  const unsigned char *keyid, size_t keyid_size)
{
	uint32_t rs = WEBPUSH_ECE_RECORD_SIZE;
	unsigned char rs_be[4] = {
		(rs >> 24) & 0xff, (rs >> 16) & 0xff,
		(rs >> 8) & 0xff, rs & 0xff
	};
	unsigned char idlen = keyid_size;

	i_assert(keyid_size <= 255);
	buffer_append(body, salt, WEBPUSH_ECE_SALT_SIZE);
	buffer_append(body, rs_be, sizeof(rs_be));
	buffer_append_c(body, idlen);
	buffer_append(body, keyid, keyid_size);
}

static int
webpush_ece_encrypt_key(const unsigned char *ua_public, size_t ua_public_size,
			const unsigned char *auth, size_t auth_size,
			EVP_PKEY *as_key, const unsigned char *salt,
			const void *plaintext, size_t plaintext_size,
			buffer_t *body, struct webpush_ece_trace *trace_r,
			const char **error_r)
{
	struct webpush_ece_trace trace;
	struct ece_keys keys;
	unsigned char as_public[WEBPUSH_ECE_KEY_SIZE];
	EVP_PKEY *ua_key;
	buffer_t *record;
	const char *error;
	size_t start_used = body->used;
	int ret;

	if (webpush_ece_check_auth_secret(auth_size, error_r) < 0)
		return -1;
	if (plaintext_size > WEBPUSH_ECE_MAX_PLAINTEXT_SIZE) {
		*error_r = t_strdup_printf(
			"plaintext of %zu octets is too long: the encrypted "
			"body would be %zu octets, over the limit of %u "
			"(at most %u octets of plaintext)", plaintext_size,
			webpush_ece_body_size(plaintext_size),
			WEBPUSH_ECE_MAX_BODY_SIZE,
			WEBPUSH_ECE_MAX_PLAINTEXT_SIZE);
		return -1;
	}
	if (webpush_ossl_p256_public_from_raw(ua_public, ua_public_size,
					      &ua_key, &error) < 0) {
		*error_r = t_strconcat("invalid receiver key (p256dh): ",
				       error, NULL);
		return -1;
	}

	i_zero(&trace);
	ret = webpush_ossl_p256_public_to_raw(as_key, as_public, error_r);
	if (ret == 0)
		ret = ecdh_derive(as_key, ua_key, trace.ecdh_secret, error_r);
	EVP_PKEY_free(ua_key);
	if (ret == 0) {
		ret = webpush_derive_ikm(trace.ecdh_secret, auth, ua_public,
					 as_public, trace.prk_key, trace.ikm,
					 error_r);
	}
	if (ret == 0) {
		ret = ece_derive_keys(salt, trace.ikm, sizeof(trace.ikm),
				      &keys, error_r);
	}
	if (ret == 0) {
		memcpy(trace.prk, keys.prk, sizeof(trace.prk));
		memcpy(trace.cek, keys.cek, sizeof(trace.cek));
		memcpy(trace.nonce, keys.nonce, sizeof(trace.nonce));

		/* one record: plaintext || 0x02, no padding */
		record = t_buffer_create(plaintext_size + 1);
		buffer_append(record, plaintext, plaintext_size);
		buffer_append_c(record, ECE_DELIM_LAST);

		ece_append_header(body, salt, as_public, sizeof(as_public));
		ret = aes128gcm_record(TRUE, &keys, 0, record->data,
				       record->used, NULL, body, error_r);
		OPENSSL_cleanse(buffer_get_modifiable_data(record, NULL),
				record->used);
	}
	if (ret < 0)
		buffer_set_used_size(body, start_used);
	else {
		i_assert(body->used - start_used ==
			 webpush_ece_body_size(plaintext_size));
	}
	if (ret == 0 && trace_r != NULL)
		*trace_r = trace;
	OPENSSL_cleanse(&trace, sizeof(trace));
	OPENSSL_cleanse(&keys, sizeof(keys));
	return ret;
}

int webpush_ece_encrypt(const unsigned char *ua_public, size_t ua_public_size,
			const unsigned char *auth, size_t auth_size,
			const void *plaintext, size_t plaintext_size,
			buffer_t *body, const char **error_r)
{
	unsigned char salt[WEBPUSH_ECE_SALT_SIZE];
	EVP_PKEY *as_key;
	int ret;

	if (RAND_bytes(salt, sizeof(salt)) <= 0) {
		*error_r = webpush_ossl_error("RAND_bytes()");
		return -1;
	}
	if (webpush_ossl_p256_generate(&as_key, error_r) < 0)
		return -1;
	ret = webpush_ece_encrypt_key(ua_public, ua_public_size,
				      auth, auth_size, as_key, salt,
				      plaintext, plaintext_size, body,
				      NULL, error_r);
	EVP_PKEY_free(as_key);
	return ret;
}

int webpush_ece_encrypt_fixed(const unsigned char *ua_public,
			      size_t ua_public_size,
			      const unsigned char *auth, size_t auth_size,
			      const unsigned char *as_private,
			      size_t as_private_size,
			      const unsigned char *as_public,
			      size_t as_public_size,
			      const unsigned char *salt, size_t salt_size,
			      const void *plaintext, size_t plaintext_size,
			      buffer_t *body, struct webpush_ece_trace *trace_r,
			      const char **error_r)
{
	EVP_PKEY *as_key;
	const char *error;
	int ret;

	if (salt_size != WEBPUSH_ECE_SALT_SIZE) {
		*error_r = t_strdup_printf("salt must be %u octets, not %zu",
					   WEBPUSH_ECE_SALT_SIZE, salt_size);
		return -1;
	}
	if (webpush_ossl_p256_keypair_from_raw(as_private, as_private_size,
					       as_public, as_public_size,
					       &as_key, &error) < 0) {
		*error_r = t_strconcat("invalid sender key: ", error, NULL);
		return -1;
	}
	ret = webpush_ece_encrypt_key(ua_public, ua_public_size,
				      auth, auth_size, as_key, salt,
				      plaintext, plaintext_size, body,
				      trace_r, error_r);
	EVP_PKEY_free(as_key);
	return ret;
}

static int
ece_parse_header(const unsigned char *body, size_t body_size,
		 uint32_t *rs_r, const unsigned char **keyid_r,
		 size_t *keyid_size_r, size_t *header_size_r,
		 const char **error_r)
{
	size_t idlen;

	if (body_size < WEBPUSH_ECE_SALT_SIZE + 4 + 1) {
		*error_r = "body is shorter than the aes128gcm header";
		return -1;
	}
	*rs_r = ((uint32_t)body[16] << 24) | ((uint32_t)body[17] << 16) |
		((uint32_t)body[18] << 8) | body[19];
	idlen = body[20];
	if (body_size < WEBPUSH_ECE_SALT_SIZE + 4 + 1 + idlen) {
		*error_r = "body is shorter than the aes128gcm header's keyid";
		return -1;
	}
	if (*rs_r < ECE_MIN_RECORD_SIZE) {
		*error_r = t_strdup_printf("record size %u is too small",
					   *rs_r);
		return -1;
	}
	*keyid_r = body + 21;
	*keyid_size_r = idlen;
	*header_size_r = 21 + idlen;
	return 0;
}

int webpush_ece_decrypt_ikm(const void *body, size_t body_size,
			    const unsigned char *ikm, size_t ikm_size,
			    buffer_t *plaintext, const char **error_r)
{
	const unsigned char *data = body, *keyid;
	struct ece_keys keys;
	size_t keyid_size, pos, record_size, start_used = plaintext->used;
	uint32_t rs;
	uint64_t seq;
	bool last = FALSE;
	int ret = 0;

	if (ece_parse_header(data, body_size, &rs, &keyid, &keyid_size,
			     &pos, error_r) < 0)
		return -1;
	if (ece_derive_keys(data, ikm, ikm_size, &keys, error_r) < 0)
		return -1;

	if (pos == body_size) {
		*error_r = "body has no record";
		ret = -1;
	}
	for (seq = 0; ret == 0 && pos < body_size && !last; seq++) {
		size_t record_start = plaintext->used;
		const unsigned char *p;

		record_size = I_MIN(rs, body_size - pos);
		if (record_size < WEBPUSH_ECE_TAG_SIZE + 1) {
			*error_r = "record is too short";
			ret = -1;
			break;
		}
		ret = aes128gcm_record(FALSE, &keys, seq, data + pos,
				       record_size - WEBPUSH_ECE_TAG_SIZE,
				       data + pos + record_size -
				       WEBPUSH_ECE_TAG_SIZE,
				       plaintext, error_r);
		if (ret < 0)
			break;
		pos += record_size;

		/* strip the padding, then check the delimiter */
		p = plaintext->data;
		while (plaintext->used > record_start &&
		       p[plaintext->used - 1] == 0x00)
			buffer_set_used_size(plaintext, plaintext->used - 1);
		if (plaintext->used == record_start) {
			*error_r = "record has no delimiter";
			ret = -1;
			break;
		}
		if (p[plaintext->used - 1] == ECE_DELIM_LAST)
			last = TRUE;
		else if (p[plaintext->used - 1] != ECE_DELIM_MORE) {
			*error_r = "record has an invalid delimiter";
			ret = -1;
			break;
		}
		buffer_set_used_size(plaintext, plaintext->used - 1);
	}
	if (ret == 0 && !last) {
		*error_r = "body is truncated (no last record)";
		ret = -1;
	} else if (ret == 0 && pos != body_size) {
		*error_r = "data after the last record";
		ret = -1;
	}
	if (ret < 0)
		buffer_set_used_size(plaintext, start_used);
	OPENSSL_cleanse(&keys, sizeof(keys));
	return ret;
}

int webpush_ece_decrypt(const void *body, size_t body_size,
			const unsigned char *ua_private, size_t ua_private_size,
			const unsigned char *ua_public, size_t ua_public_size,
			const unsigned char *auth, size_t auth_size,
			buffer_t *plaintext, const char **error_r)
{
	unsigned char ecdh_secret[SHA256_SIZE];
	unsigned char prk_key[SHA256_SIZE], ikm[SHA256_SIZE];
	const unsigned char *keyid;
	size_t keyid_size, header_size;
	EVP_PKEY *ua_key, *as_key;
	const char *error;
	uint32_t rs;
	int ret;

	if (webpush_ece_check_auth_secret(auth_size, error_r) < 0)
		return -1;
	if (ece_parse_header(body, body_size, &rs, &keyid, &keyid_size,
			     &header_size, error_r) < 0)
		return -1;
	if (webpush_ossl_p256_public_from_raw(keyid, keyid_size,
					      &as_key, &error) < 0) {
		*error_r = t_strconcat("invalid sender key in keyid: ",
				       error, NULL);
		return -1;
	}
	if (webpush_ossl_p256_keypair_from_raw(ua_private, ua_private_size,
					       ua_public, ua_public_size,
					       &ua_key, &error) < 0) {
		*error_r = t_strconcat("invalid receiver key: ", error, NULL);
		EVP_PKEY_free(as_key);
		return -1;
	}
	ret = ecdh_derive(ua_key, as_key, ecdh_secret, error_r);
	EVP_PKEY_free(ua_key);
	EVP_PKEY_free(as_key);
	if (ret == 0) {
		ret = webpush_derive_ikm(ecdh_secret, auth, ua_public, keyid,
					 prk_key, ikm, error_r);
	}
	if (ret == 0) {
		ret = webpush_ece_decrypt_ikm(body, body_size, ikm,
					      sizeof(ikm), plaintext, error_r);
	}
	OPENSSL_cleanse(ecdh_secret, sizeof(ecdh_secret));
	OPENSSL_cleanse(prk_key, sizeof(prk_key));
	OPENSSL_cleanse(ikm, sizeof(ikm));
	return ret;
}
