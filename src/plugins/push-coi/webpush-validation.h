#ifndef WEBPUSH_VALIDATION_H
#define WEBPUSH_VALIDATION_H

/* Pure, stateless validation tokens of IMAP WebPush (WP-08, WP-09). A
   token is base64url (no padding) of the 8-octet big-endian time it was
   issued, followed by HMAC-SHA256 over the user name, the subscription ID,
   the endpoint and that time, keyed by a server secret. Any server of a
   cluster sharing the secret can check it, and nothing is stored. */

#define WEBPUSH_VALIDATION_SECRET_SIZE 32
/* Tokens are much shorter (54 characters); anything longer is refused
   before it is decoded. WP-08 allows at most 1 kB. */
#define WEBPUSH_VALIDATION_TOKEN_MAX_LEN 128
/* A token issued this much in the future (clock skew between servers of
   a cluster) is still accepted. */
#define WEBPUSH_VALIDATION_MAX_CLOCK_SKEW_SECS 60

/* Derives the server secret from key material (for example the VAPID
   private key) with HMAC-SHA256 and a fixed label, so that the secret is
   never the key itself. */
void webpush_validation_derive_secret(const void *material, size_t size,
		unsigned char secret_r[WEBPUSH_VALIDATION_SECRET_SIZE]);

/* Returns a token for user, subscription ID (in its normalized, lower
   case form) and endpoint, issued at now. Allocated from the data
   stack. */
const char *
webpush_validation_token_create(const unsigned char *secret,
				size_t secret_size, const char *user,
				const char *id, const char *endpoint,
				time_t now);

/* Returns TRUE when token was created with the same secret, user, ID and
   endpoint, at most timeout_secs before now (and not more than the clock
   skew after it). The MAC is compared in constant time. */
bool webpush_validation_token_check(const unsigned char *secret,
				    size_t secret_size, const char *user,
				    const char *id, const char *endpoint,
				    const char *token, time_t now,
				    unsigned int timeout_secs);

#endif
