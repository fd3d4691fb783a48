/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "webpush-ossl.h"

#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/bn.h>

#define WEBPUSH_P256_GROUP SN_X9_62_prime256v1

const char *webpush_ossl_error(const char *what)
{
	unsigned long code = ERR_get_error();
	char buf[256];

	ERR_clear_error();
	if (code == 0)
		return t_strdup_printf("%s failed: unknown error", what);
	ERR_error_string_n(code, buf, sizeof(buf));
	return t_strdup_printf("%s failed: %s", what, buf);
}

/* Checks an imported key: point on the curve, not the point at infinity.
   The quick check leaves out the multiplication by the group order, which
   proves nothing more on P-256: its cofactor is 1, so every point on the
   curve but infinity has that order (the full check cost as much as the
   ECDH itself on every push). Takes pkey: on success it goes to *pkey_r,
   on failure it is freed. */
static int
webpush_ossl_check_public(EVP_PKEY *pkey, EVP_PKEY **pkey_r,
			  const char **error_r)
{
	EVP_PKEY_CTX *ctx;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_public_check_quick(ctx) <= 0) {
		ERR_clear_error();
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(pkey);
		*error_r = "not a valid point on the P-256 curve";
		return -1;
	}
	EVP_PKEY_CTX_free(ctx);
	*pkey_r = pkey;
	return 0;
}

static int
webpush_ossl_fromdata(OSSL_PARAM *params, int selection, EVP_PKEY **pkey_r,
		      const char **error_r)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	int ret = -1;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL)
		*error_r = webpush_ossl_error("EVP_PKEY_CTX_new_from_name(EC)");
	else if (EVP_PKEY_fromdata_init(ctx) <= 0)
		*error_r = webpush_ossl_error("EVP_PKEY_fromdata_init()");
	else if (EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0) {
		/* OpenSSL rejects points that are not on the curve here */
		ERR_clear_error();
		*error_r = "not a valid point on the P-256 curve";
	} else
		ret = 0;
	EVP_PKEY_CTX_free(ctx);
	if (ret < 0)
		return -1;

	return webpush_ossl_check_public(pkey, pkey_r, error_r);
}
/* The P-256 group as a parameters-only key, built once: every public key
   imported and every key generated copies its group instead of building
   it from the curve name (Montgomery contexts, inversions), which cost a
   fifth of each push. */
static EVP_PKEY *webpush_p256_params_template = NULL;

static int webpush_ossl_p256_params(EVP_PKEY **params_r, const char **error_r)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;

	if (webpush_p256_params_template == NULL) {
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME,
			(char *)WEBPUSH_P256_GROUP, 0);
		params[1] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
		    EVP_PKEY_fromdata(ctx, &webpush_p256_params_template,
				      EVP_PKEY_KEY_PARAMETERS, params) <= 0) {
			*error_r = webpush_ossl_error(
				"EVP_PKEY_fromdata(P-256 parameters)");
			EVP_PKEY_CTX_free(ctx);
			return -1;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	*params_r = webpush_p256_params_template;
	return 0;
}


static int
webpush_ossl_check_point(const unsigned char *point, size_t size,
			 const char **error_r)
{
	if (size != WEBPUSH_P256_PUBLIC_SIZE) {
		*error_r = t_strdup_printf(
			"public key must be a %u-octet uncompressed P-256 point, "
			"not %zu octets", WEBPUSH_P256_PUBLIC_SIZE, size);
		return -1;
	}
	if (point[0] != 0x04) {
		*error_r = t_strdup_printf(
			"public key must be an uncompressed point (first octet "
			"0x04, not 0x%02x)", point[0]);
		return -1;
	}
	return 0;
}

/* The last public keys imported, so that a subscription's key checked
   when its subscriptions are listed is not imported and checked again
   for the push a moment later (each import costs about a sixth of an
   ECDH). Only keys that passed the checks are kept. */
#define WEBPUSH_PUBLIC_CACHE_SIZE 32
struct webpush_public_cache_entry {
	unsigned char point[WEBPUSH_P256_PUBLIC_SIZE];
	EVP_PKEY *pkey;
};
static struct webpush_public_cache_entry
	webpush_public_cache[WEBPUSH_PUBLIC_CACHE_SIZE];
static unsigned int webpush_public_cache_next = 0;

static EVP_PKEY *webpush_public_cache_find(const unsigned char *point)
{
	unsigned int i;

	for (i = 0; i < WEBPUSH_PUBLIC_CACHE_SIZE; i++) {
		struct webpush_public_cache_entry *entry =
			&webpush_public_cache[i];

		if (entry->pkey != NULL &&
		    memcmp(entry->point, point, sizeof(entry->point)) == 0)
			return entry->pkey;
	}
	return NULL;
}

static void webpush_public_cache_add(const unsigned char *point,
				     EVP_PKEY *pkey)
{
	struct webpush_public_cache_entry *entry =
		&webpush_public_cache[webpush_public_cache_next];

	if (EVP_PKEY_up_ref(pkey) != 1)
		return;
	EVP_PKEY_free(entry->pkey);
	memcpy(entry->point, point, sizeof(entry->point));
	entry->pkey = pkey;
	webpush_public_cache_next = (webpush_public_cache_next + 1) %
		WEBPUSH_PUBLIC_CACHE_SIZE;
}

static void webpush_public_cache_clear(void)
{
	unsigned int i;

	for (i = 0; i < WEBPUSH_PUBLIC_CACHE_SIZE; i++) {
		EVP_PKEY_free(webpush_public_cache[i].pkey);
		webpush_public_cache[i].pkey = NULL;
	}
	webpush_public_cache_next = 0;
}

int webpush_ossl_p256_public_from_raw(const unsigned char *point,
				      size_t size, EVP_PKEY **pkey_r,
				      const char **error_r)
{
	EVP_PKEY *params, *pkey;

	if (webpush_ossl_check_point(point, size, error_r) < 0)
		return -1;
	pkey = webpush_public_cache_find(point);
	if (pkey != NULL && EVP_PKEY_up_ref(pkey) == 1) {
		*pkey_r = pkey;
		return 0;
	}
	if (webpush_ossl_p256_params(&params, error_r) < 0)
		return -1;

	pkey = EVP_PKEY_dup(params);
	if (pkey == NULL) {
		*error_r = webpush_ossl_error("EVP_PKEY_dup(P-256 parameters)");
		return -1;
	}
	if (EVP_PKEY_set1_encoded_public_key(pkey, point, size) <= 0) {
		/* OpenSSL rejects points that are not on the curve here */
		ERR_clear_error();
		EVP_PKEY_free(pkey);
		*error_r = "not a valid point on the P-256 curve";
		return -1;
	}
	if (webpush_ossl_check_public(pkey, pkey_r, error_r) < 0)
		return -1;
	webpush_public_cache_add(point, *pkey_r);
	return 0;
}

int webpush_ossl_p256_keypair_from_raw(const unsigned char *private_key,
				       size_t private_size,
				       const unsigned char *public_key,
				       size_t public_size, EVP_PKEY **pkey_r,
				       const char **error_r)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params = NULL;
	BIGNUM *priv;
	int ret;

	if (private_size != WEBPUSH_P256_PRIVATE_SIZE) {
		*error_r = t_strdup_printf(
			"private key must be %u octets, not %zu",
			WEBPUSH_P256_PRIVATE_SIZE, private_size);
		return -1;
	}
	if (webpush_ossl_check_point(public_key, public_size, error_r) < 0)
		return -1;

	priv = BN_bin2bn(private_key, private_size, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (priv == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    WEBPUSH_P256_GROUP, 0) == 0 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) == 0 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     public_key, public_size) == 0 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		*error_r = webpush_ossl_error("OSSL_PARAM_BLD");
		ret = -1;
	} else {
		ret = webpush_ossl_fromdata(params, EVP_PKEY_KEYPAIR,
					    pkey_r, error_r);
	}
	if (ret == 0) {
		/* the public point must belong to the private scalar */
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *pkey_r,
							       NULL);
		if (ctx == NULL || EVP_PKEY_pairwise_check(ctx) <= 0) {
			ERR_clear_error();
			*error_r = "public key does not match the private key";
			EVP_PKEY_free(*pkey_r);
			*pkey_r = NULL;
			ret = -1;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return ret;
}

/* One key generation context for the process: every push generates a
   key pair, and a context set up anew each time costs more than the
   generation itself saves by the template. */
static EVP_PKEY_CTX *webpush_p256_keygen_ctx = NULL;

int webpush_ossl_p256_generate(EVP_PKEY **pkey_r, const char **error_r)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *params, *pkey = NULL;

	if (webpush_p256_keygen_ctx == NULL) {
		if (webpush_ossl_p256_params(&params, error_r) < 0)
			return -1;
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0) {
			*error_r = webpush_ossl_error(
				"EVP_PKEY_keygen_init(P-256)");
			EVP_PKEY_CTX_free(ctx);
			return -1;
		}
		webpush_p256_keygen_ctx = ctx;
	}
	if (EVP_PKEY_keygen(webpush_p256_keygen_ctx, &pkey) <= 0) {
		*error_r = webpush_ossl_error("EVP_PKEY_keygen(P-256)");
		return -1;
	}
	*pkey_r = pkey;
	return 0;
}

/* HMAC with SHA-256 fetched once for the process: EVP_Q_mac() looks both
   up by name on every call, five times per push. */
static EVP_MAC_CTX *webpush_hmac_sha256_template = NULL;

int webpush_ossl_hmac_sha256(const void *key, size_t key_size,
			     const void *data, size_t data_size,
			     unsigned char out_r[WEBPUSH_SHA256_SIZE],
			     const char **error_r)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;
	size_t out_len = 0;
	int ret = -1;

	if (webpush_hmac_sha256_template == NULL) {
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		ctx = mac == NULL ? NULL : EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		if (ctx == NULL || EVP_MAC_CTX_set_params(ctx, params) <= 0) {
			*error_r = webpush_ossl_error("HMAC-SHA256");
			EVP_MAC_CTX_free(ctx);
			return -1;
		}
		webpush_hmac_sha256_template = ctx;
	}
	ctx = EVP_MAC_CTX_dup(webpush_hmac_sha256_template);
	if (ctx == NULL ||
	    EVP_MAC_init(ctx, key, key_size, NULL) <= 0 ||
	    EVP_MAC_update(ctx, data, data_size) <= 0 ||
	    EVP_MAC_final(ctx, out_r, &out_len, WEBPUSH_SHA256_SIZE) <= 0)
		*error_r = webpush_ossl_error("HMAC-SHA256");
	else if (out_len != WEBPUSH_SHA256_SIZE)
		*error_r = "HMAC-SHA256 has an unexpected size";
	else
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	return ret;
}

void webpush_ossl_deinit(void)
{
	webpush_public_cache_clear();
	EVP_PKEY_CTX_free(webpush_p256_keygen_ctx);
	webpush_p256_keygen_ctx = NULL;
	EVP_MAC_CTX_free(webpush_hmac_sha256_template);
	webpush_hmac_sha256_template = NULL;
	EVP_PKEY_free(webpush_p256_params_template);
	webpush_p256_params_template = NULL;
}

bool webpush_ossl_is_p256(EVP_PKEY *pkey)
{
	char group[64];
	size_t len;

	if (!EVP_PKEY_is_a(pkey, "EC"))
		return FALSE;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), &len) == 0) {
		ERR_clear_error();
		return FALSE;
	}
	return strcmp(group, WEBPUSH_P256_GROUP) == 0;
}

int webpush_ossl_p256_public_to_raw(EVP_PKEY *pkey,
				    unsigned char point_r[WEBPUSH_P256_PUBLIC_SIZE],
				    const char **error_r)
{
	size_t len;

	if (EVP_PKEY_get_octet_string_param(pkey,
			OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point_r,
			WEBPUSH_P256_PUBLIC_SIZE, &len) == 0) {
		*error_r = webpush_ossl_error("EVP_PKEY_get_octet_string_param(pub)");
		return -1;
	}
	if (len != WEBPUSH_P256_PUBLIC_SIZE || point_r[0] != 0x04) {
		*error_r = "public key is not an uncompressed P-256 point";
		return -1;
	}
	return 0;
}

int webpush_ossl_p256_private_to_raw(EVP_PKEY *pkey,
				     unsigned char key_r[WEBPUSH_P256_PRIVATE_SIZE],
				     const char **error_r)
{
	BIGNUM *priv = NULL;
	int ret = 0;

	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 0) {
		*error_r = webpush_ossl_error("EVP_PKEY_get_bn_param(priv)");
		return -1;
	}
	if (BN_bn2binpad(priv, key_r, WEBPUSH_P256_PRIVATE_SIZE) !=
	    WEBPUSH_P256_PRIVATE_SIZE) {
		*error_r = "private key is not a P-256 scalar";
		ret = -1;
	}
	BN_clear_free(priv);
	return ret;
}
