#ifndef WEBPUSH_ECE_H
#define WEBPUSH_ECE_H

/* Web Push message encryption: RFC 8291 on the "aes128gcm" content coding
   of RFC 8188 (WP-16).

   The body is a single record: header (salt 16 || rs 4 || idlen 1 ||
   keyid 65) followed by AES-128-GCM(plaintext || 0x02) and its 16-octet
   tag. rs is 4096 and keyid is the sender's (our) ephemeral public key as
   a 65-octet uncompressed P-256 point. The whole body is at most 4096
   octets, so the plaintext is at most WEBPUSH_ECE_MAX_PLAINTEXT_SIZE
   (3993) octets.

   Keys are raw octets: decode the subscription's p256dh and auth with
   webpush_b64_decode() first. All functions append to caller buffers and
   report failures with an English error_r allocated from the data stack. */

#include "webpush-ossl.h"

/* Receiver key (p256dh): uncompressed P-256 point. */
#define WEBPUSH_ECE_KEY_SIZE WEBPUSH_P256_PUBLIC_SIZE
/* Authentication secret (auth). */
#define WEBPUSH_ECE_AUTH_SIZE 16
#define WEBPUSH_ECE_SALT_SIZE 16
/* Record size written into the header. */
#define WEBPUSH_ECE_RECORD_SIZE 4096
/* salt 16 + rs 4 + idlen 1 + keyid 65 */
#define WEBPUSH_ECE_HEADER_SIZE (WEBPUSH_ECE_SALT_SIZE + 4 + 1 + \
				 WEBPUSH_ECE_KEY_SIZE)
#define WEBPUSH_ECE_TAG_SIZE 16
/* Largest body a push service must accept (RFC 8030 section 7.2). */
#define WEBPUSH_ECE_MAX_BODY_SIZE 4096
/* Largest plaintext: body minus header, delimiter octet and tag (3993). */
#define WEBPUSH_ECE_MAX_PLAINTEXT_SIZE \
	(WEBPUSH_ECE_MAX_BODY_SIZE - WEBPUSH_ECE_HEADER_SIZE - 1 - \
	 WEBPUSH_ECE_TAG_SIZE)

/* Returns the size of the encrypted body for a plaintext of the given size
   (no padding is added). The payload builder uses this to decide whether
   optional content still fits in WEBPUSH_ECE_MAX_BODY_SIZE. */
static inline size_t webpush_ece_body_size(size_t plaintext_size)
{
	return WEBPUSH_ECE_HEADER_SIZE + plaintext_size + 1 +
		WEBPUSH_ECE_TAG_SIZE;
}

/* Checks a receiver public key (decoded p256dh): 65 octets, first octet
   0x04, point on P-256. Returns 0 if valid, -1 with error_r otherwise. */
int webpush_ece_check_receiver_key(const unsigned char *key, size_t size,
				   const char **error_r);
/* Checks an authentication secret (decoded auth): exactly 16 octets. */
int webpush_ece_check_auth_secret(size_t size, const char **error_r);

/* Encrypts plaintext for the receiver (ua_public = decoded p256dh,
   auth = decoded auth secret) and appends the whole aes128gcm body to
   body. A fresh P-256 key pair and a random 16-octet salt are made for
   each call; the key pair is freed before returning. Fails (nothing
   appended) when a key is invalid or the plaintext is longer than
   WEBPUSH_ECE_MAX_PLAINTEXT_SIZE. */
int webpush_ece_encrypt(const unsigned char *ua_public, size_t ua_public_size,
			const unsigned char *auth, size_t auth_size,
			const void *plaintext, size_t plaintext_size,
			buffer_t *body, const char **error_r);

/* Intermediate values of an RFC 8291 encryption (see
   webpush_ece_encrypt_fixed()). */
struct webpush_ece_trace {
	unsigned char ecdh_secret[32];
	unsigned char prk_key[32];
	unsigned char ikm[32];
	unsigned char prk[32];
	unsigned char cek[16];
	unsigned char nonce[12];
};

/* Like webpush_ece_encrypt(), but with a fixed sender key pair (raw
   32-octet private scalar and its 65-octet public point) and salt instead
   of fresh random ones. For known-answer tests only (RFC 8291 Appendix A):
   never reuse a key pair and salt for real pushes. When trace_r is not
   NULL it receives the intermediate values. */
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
			      const char **error_r);

/* RFC 8188 decryption of a whole aes128gcm body (any number of records,
   any keyid) with the given input keying material; appends the plaintext
   without padding and delimiters. Used by tests only. */
int webpush_ece_decrypt_ikm(const void *body, size_t body_size,
			    const unsigned char *ikm, size_t ikm_size,
			    buffer_t *plaintext, const char **error_r);

/* RFC 8291 decryption as the receiver (user agent) does it: ECDH between
   the receiver's key pair (raw private scalar and public point) and the
   sender's public key taken from the keyid, then RFC 8188 decryption.
   Used by tests only. */
int webpush_ece_decrypt(const void *body, size_t body_size,
			const unsigned char *ua_private, size_t ua_private_size,
			const unsigned char *ua_public, size_t ua_public_size,
			const unsigned char *auth, size_t auth_size,
			buffer_t *plaintext, const char **error_r);

#endif
