#ifndef WEBPUSH_OSSL_H
#define WEBPUSH_OSSL_H

/* Small OpenSSL 3 (EVP) helpers shared by the Web Push crypto modules
   (webpush-ece, webpush-vapid): P-256 keys in the raw forms the Web Push
   RFCs use, and OpenSSL error texts. Only EVP_PKEY / OSSL_PARAM APIs. */

#include <openssl/evp.h>

/* Size of an uncompressed P-256 point: 0x04 || X (32) || Y (32). */
#define WEBPUSH_P256_PUBLIC_SIZE 65
/* Size of a raw P-256 private key (big-endian scalar). */
#define WEBPUSH_P256_PRIVATE_SIZE 32

/* Returns "<what> failed: <reason>" with the oldest reason in OpenSSL's
   error queue (or "unknown error"), allocated from the data stack, and
   clears the queue. */
const char *webpush_ossl_error(const char *what);

/* Creates a P-256 public key from a 65-octet uncompressed point. Fails
   with a clear error_r when the size or the 0x04 prefix is wrong or the
   point is not on the curve. The caller frees *pkey_r with
   EVP_PKEY_free(). */
int webpush_ossl_p256_public_from_raw(const unsigned char *point,
				      size_t size, EVP_PKEY **pkey_r,
				      const char **error_r);

/* Creates a P-256 key pair from the raw private scalar (32 octets) and its
   uncompressed public point (65 octets). Used for fixed test keys. */
int webpush_ossl_p256_keypair_from_raw(const unsigned char *private_key,
				       size_t private_size,
				       const unsigned char *public_key,
				       size_t public_size, EVP_PKEY **pkey_r,
				       const char **error_r);

/* Generates a fresh P-256 key pair. */
int webpush_ossl_p256_generate(EVP_PKEY **pkey_r, const char **error_r);

/* Returns TRUE when pkey is an EC key on P-256. */
bool webpush_ossl_is_p256(EVP_PKEY *pkey);

/* Writes the uncompressed public point of a P-256 key. */
int webpush_ossl_p256_public_to_raw(EVP_PKEY *pkey,
				    unsigned char point_r[WEBPUSH_P256_PUBLIC_SIZE],
				    const char **error_r);

#define WEBPUSH_SHA256_SIZE 32

/* HMAC-SHA256 of data with key into out_r. Returns 0, or -1 with
   error_r. */
int webpush_ossl_hmac_sha256(const void *key, size_t key_size,
			     const void *data, size_t data_size,
			     unsigned char out_r[WEBPUSH_SHA256_SIZE],
			     const char **error_r);

/* Frees what this module keeps for the process (the P-256 key template
   and key generation context of webpush_ossl_p256_generate(), the last
   imported public keys, the HMAC context). Call from the plugin's
   deinit. */
void webpush_ossl_deinit(void);

/* Writes the private scalar of a P-256 key (32 octets, big-endian). The
   caller wipes it (safe_memset) after use. */
int webpush_ossl_p256_private_to_raw(EVP_PKEY *pkey,
				     unsigned char key_r[WEBPUSH_P256_PRIVATE_SIZE],
				     const char **error_r);

#endif
