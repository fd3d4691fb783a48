#ifndef WEBPUSH_VAPID_H
#define WEBPUSH_VAPID_H

/* VAPID (RFC 8292): the server identifies itself to push services with an
   ES256-signed JWT (WP-17).

   Every push carries
     Authorization: vapid t=<JWT>, k=<public key, base64url>
   where the JWT header is {"typ":"JWT","alg":"ES256"}, the claims are
   {"aud":<origin of the endpoint>,"exp":<now + lifetime>,"sub":<contact>}
   and the signature is the 64-octet R || S form. The signing key is a
   P-256 private key in a PEM file; it is distinct from the per-push ECDH
   keys of webpush-ece. A signed JWT is cached per audience and reused until
   less than a quarter of its lifetime remains, so pushes do not each pay
   for a signature.

   Settings (read by the plugin with mail_user_plugin_getenv() and passed
   to webpush_vapid_init() or webpush_vapid_get_shared() as strings):
     webpush_vapid_key      path to a PEM EC P-256 private key (required)
     webpush_vapid_subject  mailto: or https: contact of the admin (required)
     webpush_vapid_expire   JWT lifetime, a Dovecot time interval such as
                            "12h" (default), at most 24 hours */

#include <time.h>

#define WEBPUSH_VAPID_SETTING_KEY "webpush_vapid_key"
#define WEBPUSH_VAPID_SETTING_SUBJECT "webpush_vapid_subject"
#define WEBPUSH_VAPID_SETTING_EXPIRE "webpush_vapid_expire"

#define WEBPUSH_VAPID_DEFAULT_LIFETIME_SECS (12 * 60 * 60)
#define WEBPUSH_VAPID_MAX_LIFETIME_SECS (24 * 60 * 60)
#define WEBPUSH_VAPID_MIN_LIFETIME_SECS 60
/* Largest accepted webpush_vapid_subject. */
#define WEBPUSH_VAPID_MAX_SUBJECT_LEN 512

struct webpush_vapid;

/* Claims of a verified JWT (webpush_vapid_verify_jwt()). */
struct webpush_vapid_claims {
	const char *aud;
	long long exp;
	/* NULL when the JWT has no "sub" */
	const char *sub;
};

/* Creates a VAPID context from the setting values (NULL or "" when unset):
   loads the private key from key_path, checks the subject and parses the
   lifetime (NULL or "" means 12 hours). On error returns -1 with an error_r
   that names the setting at fault, e.g. "webpush_vapid_key: /etc/x.pem is
   an EC key on secp384r1, not on P-256 (prime256v1)". The key file is read
   once, here. */
int webpush_vapid_init(const char *key_path, const char *subject,
		       const char *expire, struct webpush_vapid **vapid_r,
		       const char **error_r);
void webpush_vapid_ref(struct webpush_vapid *vapid);
/* Drops a reference; the last one frees the context. Sets *vapid to NULL. */
void webpush_vapid_unref(struct webpush_vapid **vapid);

/* Like webpush_vapid_init(), but returns a context shared by the whole
   process for the same three setting values, so that its JWT cache serves
   every user and delivery of the process. The key file is loaded again
   when its inode, size or modification time changed (key rotation).
   Returns a new reference: release it with webpush_vapid_unref(). */
int webpush_vapid_get_shared(const char *key_path, const char *subject,
			     const char *expire, struct webpush_vapid **vapid_r,
			     const char **error_r);
/* Drops the process-wide references of webpush_vapid_get_shared(). Call
   from the plugin's deinit. */
void webpush_vapid_shared_deinit(void);

/* The public key as PEM text ("-----BEGIN PUBLIC KEY-----\n...", for the
   METADATA entry of WP-02) and as base64url of the 65-octet uncompressed
   point (the k= parameter). Valid as long as the context. */
const char *webpush_vapid_get_public_key_pem(const struct webpush_vapid *vapid);
const char *
webpush_vapid_get_public_key_b64url(const struct webpush_vapid *vapid);
/* Generates a new P-256 key pair for webpush_vapid_key: the private key as
   unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----", what
   webpush_vapid_init() loads), and its public key as PEM and as base64url
   of the uncompressed point (what push services and clients see as k=).
   Strings are allocated from the data stack. */
int webpush_vapid_generate_key(const char **private_pem_r,
			       const char **public_pem_r,
			       const char **public_b64url_r,
			       const char **error_r);

/* Writes the raw private key (32 octets) for deriving server secrets from
   it, such as the key of WebPush validation tokens, so that every server
   sharing the VAPID key derives the same. Never shown to clients; the
   caller wipes it (safe_memset) after use. */
int webpush_vapid_get_private_key_raw(const struct webpush_vapid *vapid,
				      unsigned char key_r[32],
				      const char **error_r);
/* The JWT lifetime in seconds. */
unsigned int webpush_vapid_get_lifetime(const struct webpush_vapid *vapid);

/* Returns in jwt_r a JWT for audience, signed at most 3/4 of the lifetime
   ago (from the cache, else newly signed with exp = now + lifetime).
   audience is the origin of the push endpoint: scheme "https" (or "http"
   for tests), "://", host and ":port" when not the scheme's default, with
   no path, e.g. "https://push.example.net" or "https://[::1]:8443".
   now is the current time (ioloop_time in the plugin; tests pass their
   own clock). The result is allocated from the data stack. */
int webpush_vapid_get_jwt(struct webpush_vapid *vapid, const char *audience,
			  time_t now, const char **jwt_r, const char **error_r);

/* Returns "vapid t=<JWT>, k=<public key>" for the Authorization header,
   with the JWT from webpush_vapid_get_jwt(). */
int webpush_vapid_get_authorization(struct webpush_vapid *vapid,
				    const char *audience, time_t now,
				    const char **value_r,
				    const char **error_r);

/* Signs a new JWT for audience with the given exp, bypassing the cache. */
int webpush_vapid_sign_jwt(struct webpush_vapid *vapid, const char *audience,
			   time_t exp, const char **jwt_r,
			   const char **error_r);

/* Checks that audience is an origin as described above. */
int webpush_vapid_check_audience(const char *audience, const char **error_r);

/* Verifies an ES256 JWT against a public key given as a 65-octet
   uncompressed P-256 point: three base64url parts, a header with
   "alg":"ES256" (and "typ":"JWT" when present), a 64-octet R || S
   signature that verifies, and claims with a string "aud", an integer
   "exp" and, if present, a string "sub". Does not compare them with the
   clock. Returns the claims (allocated from the data stack). For tests. */
int webpush_vapid_verify_jwt(const char *jwt, const unsigned char *public_key,
			     size_t public_key_size,
			     struct webpush_vapid_claims *claims_r,
			     const char **error_r);

#endif
