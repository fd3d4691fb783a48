/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "str.h"
#include "hash.h"
#include "eacces-error.h"
#include "safe-memset.h"
#include "str-sanitize.h"
#include "settings-parser.h"
#include "webpush-b64.h"
#include "webpush-ossl.h"
#include "webpush-vapid.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

/* A PEM key file is a few hundred octets; refuse anything absurd. */
#define VAPID_MAX_KEY_FILE_SIZE (64 * 1024)
/* Audiences (push services) with a cached JWT; past this the cache is
   emptied. Real deployments see a handful of push services. */
#define VAPID_MAX_CACHED_AUDIENCES 128
/* Distinct settings combinations kept by webpush_vapid_get_shared(); the
   oldest is dropped past this (normally there is one). */
#define VAPID_MAX_SHARED 16
#define ES256_SIGNATURE_SIZE 64
#define ES256_COORD_SIZE 32

struct webpush_vapid_jwt {
	char *jwt;
	time_t exp;
};

struct webpush_vapid {
	pool_t pool;
	int refcount;

	EVP_PKEY *pkey;
	const char *subject;
	unsigned int lifetime;
	const char *public_pem;
	const char *public_b64url;
	/* base64url of the JWT header {"typ":"JWT","alg":"ES256"} */
	const char *header_b64url;

	/* audience -> last signed JWT */
	HASH_TABLE(char *, struct webpush_vapid_jwt *) jwt_cache;

	/* The settings it was made from and the key file's identity, for
	   webpush_vapid_get_shared(). */
	const char *set_key_path, *set_subject, *set_expire;
	ino_t key_ino;
	off_t key_size;
	time_t key_mtime;
};

static ARRAY(struct webpush_vapid *) vapid_shared = ARRAY_INIT;

static int
vapid_no_passphrase(char *buf ATTR_UNUSED, int size ATTR_UNUSED,
		    int rwflag ATTR_UNUSED, void *context ATTR_UNUSED)
{
	/* never prompt on a terminal: encrypted keys are not supported */
	return -1;
}

static int
vapid_read_key_file(const char *path, buffer_t *buf, struct stat *st_r,
		    const char **error_r)
{
	ssize_t ret;
	int fd;

	/* O_NONBLOCK: a FIFO given by mistake must not hang the process */
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == EACCES)
			*error_r = eacces_error_get("open", path);
		else
			*error_r = t_strdup_printf("cannot open %s: %m", path);
		return -1;
	}
	if (fstat(fd, st_r) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	if (!S_ISREG(st_r->st_mode)) {
		*error_r = t_strdup_printf("%s is not a regular file", path);
		i_close_fd(&fd);
		return -1;
	}
	for (;;) {
		unsigned char *p = buffer_append_space_unsafe(buf, 4096);

		ret = read(fd, p, 4096);
		buffer_set_used_size(buf, buf->used - 4096 +
				     (ret > 0 ? ret : 0));
		if (ret <= 0)
			break;
		if (buf->used > VAPID_MAX_KEY_FILE_SIZE) {
			*error_r = t_strdup_printf(
				"%s is too large for a PEM key (over %u octets)",
				path, VAPID_MAX_KEY_FILE_SIZE);
			i_close_fd(&fd);
			return -1;
		}
	}
	if (ret < 0) {
		*error_r = t_strdup_printf("read(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	i_close_fd(&fd);
	return 0;
}

static int
vapid_load_key(const char *path, EVP_PKEY **pkey_r, struct stat *st_r,
	       const char **error_r)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey;
	buffer_t *buf;
	BIO *bio;
	char group[64];
	size_t group_len;
	const char *error;
	int ret = -1;

	if (path == NULL || *path == '\0') {
		*error_r = WEBPUSH_VAPID_SETTING_KEY" is not set: it must be "
			"the path of a PEM file with an EC P-256 private key";
		return -1;
	}
	buf = t_buffer_create(1024);
	if (vapid_read_key_file(path, buf, st_r, &error) < 0) {
		*error_r = t_strdup_printf(WEBPUSH_VAPID_SETTING_KEY": %s",
					   error);
		return -1;
	}

	bio = BIO_new_mem_buf(buf->data, buf->used);
	if (bio == NULL) {
		*error_r = webpush_ossl_error("BIO_new_mem_buf()");
		return -1;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, vapid_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL) {
		bool encrypted;

		buffer_append_c(buf, '\0');
		encrypted = strstr(buf->data, "ENCRYPTED") != NULL;
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_KEY": %s %s", path,
			encrypted ? "is an encrypted private key "
			"(passphrases are not supported)" :
			"holds no PEM private key");
	} else if (!EVP_PKEY_is_a(pkey, "EC")) {
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_KEY": %s is not an EC key "
			"(it is %s); VAPID needs an EC P-256 key", path,
			EVP_PKEY_get0_type_name(pkey));
	} else if (!webpush_ossl_is_p256(pkey)) {
		if (EVP_PKEY_get_utf8_string_param(pkey,
				OSSL_PKEY_PARAM_GROUP_NAME, group,
				sizeof(group), &group_len) == 0)
			i_strocpy(group, "an unknown curve", sizeof(group));
		ERR_clear_error();
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_KEY": %s is an EC key on %s, "
			"not on P-256 (prime256v1)", path, group);
	} else if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
		*error_r = webpush_ossl_error("EVP_PKEY_CTX_new_from_pkey()");
	} else {
		if (EVP_PKEY_check(ctx) <= 0) {
			ERR_clear_error();
			*error_r = t_strdup_printf(
				WEBPUSH_VAPID_SETTING_KEY": %s holds an invalid "
				"EC key", path);
		} else if (EVP_PKEY_set_utf8_string_param(pkey,
				OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
				OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) == 0) {
			*error_r = webpush_ossl_error(
				"setting the point format");
		} else {
			ret = 0;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	safe_memset(buffer_get_modifiable_data(buf, NULL), 0, buf->used);
	if (ret < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	*pkey_r = pkey;
	return 0;
}

static int vapid_check_subject(const char *subject, const char **error_r)
{
	const char *rest;
	json_t *json;

	if (subject == NULL || *subject == '\0') {
		*error_r = WEBPUSH_VAPID_SETTING_SUBJECT" is not set: it must "
			"be the admin's contact as a mailto: or https: URI";
		return -1;
	}
	if (strncasecmp(subject, "mailto:", 7) == 0)
		rest = subject + 7;
	else if (strncasecmp(subject, "https://", 8) == 0)
		rest = subject + 8;
	else {
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_SUBJECT" must be a mailto: or "
			"https: URI, not '%s'", str_sanitize_utf8(subject, 64));
		return -1;
	}
	if (*rest == '\0') {
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_SUBJECT" '%s' has nothing after "
			"the scheme", subject);
		return -1;
	}
	if (strlen(subject) > WEBPUSH_VAPID_MAX_SUBJECT_LEN) {
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_SUBJECT" is longer than %u "
			"characters", WEBPUSH_VAPID_MAX_SUBJECT_LEN);
		return -1;
	}
	for (const char *p = subject; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x21 || *p == 0x7f) {
			*error_r = WEBPUSH_VAPID_SETTING_SUBJECT" contains "
				"spaces or control characters";
			return -1;
		}
	}
	json = json_string(subject);
	if (json == NULL) {
		*error_r = WEBPUSH_VAPID_SETTING_SUBJECT" is not valid UTF-8";
		return -1;
	}
	json_decref(json);
	return 0;
}

static int
vapid_parse_lifetime(const char *expire, unsigned int *secs_r,
		     const char **error_r)
{
	const char *error;

	if (expire == NULL || *expire == '\0') {
		*secs_r = WEBPUSH_VAPID_DEFAULT_LIFETIME_SECS;
		return 0;
	}
	if (settings_get_time(expire, secs_r, &error) < 0) {
		*error_r = t_strdup_printf(WEBPUSH_VAPID_SETTING_EXPIRE": %s",
					   error);
		return -1;
	}
	if (*secs_r < WEBPUSH_VAPID_MIN_LIFETIME_SECS ||
	    *secs_r > WEBPUSH_VAPID_MAX_LIFETIME_SECS) {
		*error_r = t_strdup_printf(
			WEBPUSH_VAPID_SETTING_EXPIRE" must be between 1 minute "
			"and 24 hours (RFC 8292), not '%s'", expire);
		return -1;
	}
	return 0;
}

static const char *vapid_json_b64url(json_t *json)
{
	char *text;
	const char *ret;

	text = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	if (text == NULL)
		return NULL;
	ret = webpush_b64url_encode(text, strlen(text));
	free(text);
	return ret;
}

static int
vapid_public_key_pem(EVP_PKEY *pkey, const char **pem_r,
		     const char **error_r)
{
	BIO *bio;
	char *data;
	long len;

	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, pkey) <= 0) {
		*error_r = webpush_ossl_error("PEM_write_bio_PUBKEY()");
		BIO_free(bio);
		return -1;
	}
	len = BIO_get_mem_data(bio, &data);
	*pem_r = t_strndup(data, len);
	BIO_free(bio);
	return 0;
}

int webpush_vapid_generate_key(const char **private_pem_r,
			       const char **public_pem_r,
			       const char **public_b64url_r,
			       const char **error_r)
{
	unsigned char point[WEBPUSH_P256_PUBLIC_SIZE];
	EVP_PKEY *pkey;
	BIO *bio;
	char *data;
	long len;
	int ret = -1;

	if (webpush_ossl_p256_generate(&pkey, error_r) < 0)
		return -1;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
				     NULL, NULL) <= 0) {
		*error_r = webpush_ossl_error("PEM_write_bio_PrivateKey()");
	} else if (webpush_ossl_p256_public_to_raw(pkey, point, error_r) == 0 &&
		   vapid_public_key_pem(pkey, public_pem_r, error_r) == 0) {
		len = BIO_get_mem_data(bio, &data);
		*private_pem_r = t_strndup(data, len);
		*public_b64url_r = webpush_b64url_encode(point, sizeof(point));
		ret = 0;
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return ret;
}

int webpush_vapid_init(const char *key_path, const char *subject,
		       const char *expire, struct webpush_vapid **vapid_r,
		       const char **error_r)
{
	struct webpush_vapid *vapid;
	unsigned char point[WEBPUSH_P256_PUBLIC_SIZE];
	unsigned int lifetime;
	const char *pem, *header;
	struct stat st;
	EVP_PKEY *pkey;

	if (vapid_check_subject(subject, error_r) < 0 ||
	    vapid_parse_lifetime(expire, &lifetime, error_r) < 0)
		return -1;
	if (vapid_load_key(key_path, &pkey, &st, error_r) < 0)
		return -1;
	if (webpush_ossl_p256_public_to_raw(pkey, point, error_r) < 0 ||
	    vapid_public_key_pem(pkey, &pem, error_r) < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	header = vapid_json_b64url(json_pack("{s:s, s:s}", "typ", "JWT",
					     "alg", "ES256"));
	i_assert(header != NULL);

	pool_t pool = pool_alloconly_create("webpush vapid", 2048);
	vapid = p_new(pool, struct webpush_vapid, 1);
	vapid->pool = pool;
	vapid->refcount = 1;
	vapid->pkey = pkey;
	vapid->subject = p_strdup(pool, subject);
	vapid->lifetime = lifetime;
	vapid->public_pem = p_strdup(pool, pem);
	vapid->public_b64url = p_strdup(pool,
		webpush_b64url_encode(point, sizeof(point)));
	vapid->header_b64url = p_strdup(pool, header);
	hash_table_create(&vapid->jwt_cache, default_pool, 0,
			  str_hash, strcmp);
	vapid->set_key_path = p_strdup(pool, key_path);
	vapid->set_subject = p_strdup(pool, subject);
	vapid->set_expire = p_strdup(pool, expire);
	vapid->key_ino = st.st_ino;
	vapid->key_size = st.st_size;
	vapid->key_mtime = st.st_mtime;
	*vapid_r = vapid;
	return 0;
}

static void vapid_cache_clear(struct webpush_vapid *vapid)
{
	struct hash_iterate_context *iter;
	struct webpush_vapid_jwt *entry;
	char *key;

	iter = hash_table_iterate_init(vapid->jwt_cache);
	while (hash_table_iterate(iter, vapid->jwt_cache, &key, &entry)) {
		i_free(entry->jwt);
		i_free(entry);
		i_free(key);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_clear(vapid->jwt_cache, FALSE);
}

void webpush_vapid_ref(struct webpush_vapid *vapid)
{
	i_assert(vapid->refcount > 0);
	vapid->refcount++;
}

void webpush_vapid_unref(struct webpush_vapid **_vapid)
{
	struct webpush_vapid *vapid = *_vapid;

	if (vapid == NULL)
		return;
	*_vapid = NULL;
	i_assert(vapid->refcount > 0);
	if (--vapid->refcount > 0)
		return;

	vapid_cache_clear(vapid);
	hash_table_destroy(&vapid->jwt_cache);
	EVP_PKEY_free(vapid->pkey);
	pool_unref(&vapid->pool);
}

static bool
vapid_shared_matches(const struct webpush_vapid *vapid, const char *key_path,
		     const char *subject, const char *expire)
{
	return null_strcmp(vapid->set_key_path, key_path) == 0 &&
		null_strcmp(vapid->set_subject, subject) == 0 &&
		null_strcmp(vapid->set_expire, expire) == 0;
}

int webpush_vapid_get_shared(const char *key_path, const char *subject,
			     const char *expire, struct webpush_vapid **vapid_r,
			     const char **error_r)
{
	struct webpush_vapid **shared, *vapid;
	struct stat st;
	unsigned int i, count;

	if (!array_is_created(&vapid_shared))
		i_array_init(&vapid_shared, 2);
	shared = array_get_modifiable(&vapid_shared, &count);
	for (i = 0; i < count; i++) {
		if (vapid_shared_matches(shared[i], key_path, subject, expire))
			break;
	}
	if (i < count && key_path != NULL &&
	    stat(key_path, &st) == 0 &&
	    st.st_ino == shared[i]->key_ino &&
	    st.st_size == shared[i]->key_size &&
	    st.st_mtime == shared[i]->key_mtime) {
		webpush_vapid_ref(shared[i]);
		*vapid_r = shared[i];
		return 0;
	}

	/* first use, or the key file changed: (re)load it */
	if (webpush_vapid_init(key_path, subject, expire, &vapid,
			       error_r) < 0)
		return -1;
	if (i < count) {
		webpush_vapid_unref(&shared[i]);
		shared[i] = vapid;
	} else {
		if (count >= VAPID_MAX_SHARED) {
			webpush_vapid_unref(&shared[0]);
			array_pop_front(&vapid_shared);
		}
		array_push_back(&vapid_shared, &vapid);
	}
	webpush_vapid_ref(vapid);
	*vapid_r = vapid;
	return 0;
}

void webpush_vapid_shared_deinit(void)
{
	struct webpush_vapid **vapidp;

	if (!array_is_created(&vapid_shared))
		return;
	array_foreach_modifiable(&vapid_shared, vapidp)
		webpush_vapid_unref(vapidp);
	array_free(&vapid_shared);
}

const char *webpush_vapid_get_public_key_pem(const struct webpush_vapid *vapid)
{
	return vapid->public_pem;
}

int webpush_vapid_get_private_key_raw(const struct webpush_vapid *vapid,
				      unsigned char key_r[32],
				      const char **error_r)
{
	return webpush_ossl_p256_private_to_raw(vapid->pkey, key_r, error_r);
}

const char *
webpush_vapid_get_public_key_b64url(const struct webpush_vapid *vapid)
{
	return vapid->public_b64url;
}

unsigned int webpush_vapid_get_lifetime(const struct webpush_vapid *vapid)
{
	return vapid->lifetime;
}

int webpush_vapid_check_audience(const char *audience, const char **error_r)
{
	const char *host, *port = NULL, *p;

	if (str_begins(audience, "https://"))
		host = audience + 8;
	else if (str_begins(audience, "http://"))
		host = audience + 7;
	else {
		*error_r = "audience must start with https:// or http://";
		return -1;
	}
	for (p = host; *p != '\0'; p++) {
		if (*p == '/' || *p == '?' || *p == '#' || *p == '@' ||
		    (unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*error_r = "audience must be an origin: scheme, host "
				"and port only (no path, query, userinfo or "
				"non-ASCII characters)";
			return -1;
		}
	}
	if (*host == '[') {
		p = strchr(host, ']');
		if (p == NULL || p == host + 1) {
			*error_r = "audience has an invalid IPv6 address";
			return -1;
		}
		if (p[1] == ':')
			port = p + 2;
		else if (p[1] != '\0') {
			*error_r = "audience has junk after the IPv6 address";
			return -1;
		}
	} else {
		p = strchr(host, ':');
		if (p == host || *host == '\0') {
			*error_r = "audience has no host";
			return -1;
		}
		if (p != NULL)
			port = p + 1;
	}
	if (port != NULL) {
		uintmax_t num;

		if (str_to_uintmax(port, &num) < 0 || num == 0 ||
		    num > 65535 || *port == '0') {
			*error_r = "audience has an invalid port";
			return -1;
		}
		if ((num == 443 && host == audience + 8) ||
		    (num == 80 && host == audience + 7)) {
			*error_r = "audience must omit the scheme's default port";
			return -1;
		}
	}
	return 0;
}

static int
vapid_der_to_raw(const unsigned char *der, size_t der_size,
		 unsigned char raw_r[ES256_SIGNATURE_SIZE])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	int ret = -1;

	sig = d2i_ECDSA_SIG(NULL, &p, der_size);
	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw_r, ES256_COORD_SIZE) == ES256_COORD_SIZE &&
	    BN_bn2binpad(s, raw_r + ES256_COORD_SIZE,
			 ES256_COORD_SIZE) == ES256_COORD_SIZE)
		ret = 0;
	ECDSA_SIG_free(sig);
	return ret;
}

static int
vapid_sign_es256(EVP_PKEY *pkey, const void *data, size_t size,
		 unsigned char sig_r[ES256_SIGNATURE_SIZE],
		 const char **error_r)
{
	EVP_MD_CTX *ctx;
	unsigned char der[80];
	size_t der_len = sizeof(der);
	int ret = -1;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		*error_r = webpush_ossl_error("EVP_MD_CTX_new()");
	else if (EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL,
				       pkey, NULL) <= 0)
		*error_r = webpush_ossl_error("EVP_DigestSignInit_ex()");
	else if (EVP_DigestSign(ctx, der, &der_len, data, size) <= 0)
		*error_r = webpush_ossl_error("EVP_DigestSign()");
	else if (vapid_der_to_raw(der, der_len, sig_r) < 0)
		*error_r = webpush_ossl_error("converting the ECDSA signature");
	else
		ret = 0;
	EVP_MD_CTX_free(ctx);
	return ret;
}

int webpush_vapid_sign_jwt(struct webpush_vapid *vapid, const char *audience,
			   time_t exp, const char **jwt_r,
			   const char **error_r)
{
	unsigned char sig[ES256_SIGNATURE_SIZE];
	const char *claims, *error;
	string_t *jwt;

	if (webpush_vapid_check_audience(audience, &error) < 0) {
		*error_r = t_strdup_printf("invalid VAPID audience '%s': %s",
					   str_sanitize_utf8(audience, 128),
					   error);
		return -1;
	}
	claims = vapid_json_b64url(json_pack("{s:s, s:I, s:s}",
					     "aud", audience,
					     "exp", (json_int_t)exp,
					     "sub", vapid->subject));
	if (claims == NULL) {
		*error_r = "cannot build the VAPID claims";
		return -1;
	}
	jwt = t_str_new(256);
	str_append(jwt, vapid->header_b64url);
	str_append_c(jwt, '.');
	str_append(jwt, claims);
	if (vapid_sign_es256(vapid->pkey, str_data(jwt), str_len(jwt),
			     sig, error_r) < 0)
		return -1;
	str_append_c(jwt, '.');
	webpush_b64url_append(jwt, sig, sizeof(sig));
	*jwt_r = str_c(jwt);
	return 0;
}

static bool
vapid_jwt_usable(const struct webpush_vapid *vapid,
		 const struct webpush_vapid_jwt *entry, time_t now)
{
	long long remaining = (long long)entry->exp - (long long)now;

	/* re-sign when less than a quarter of the lifetime remains, and
	   when the clock went back (exp would be over lifetime ahead) */
	return remaining * 4 >= (long long)vapid->lifetime &&
		remaining <= (long long)vapid->lifetime;
}

int webpush_vapid_get_jwt(struct webpush_vapid *vapid, const char *audience,
			  time_t now, const char **jwt_r, const char **error_r)
{
	struct webpush_vapid_jwt *entry;
	const char *jwt;
	char *key;
	time_t exp = now + vapid->lifetime;

	entry = hash_table_lookup(vapid->jwt_cache, audience);
	if (entry != NULL && vapid_jwt_usable(vapid, entry, now)) {
		*jwt_r = t_strdup(entry->jwt);
		return 0;
	}
	if (webpush_vapid_sign_jwt(vapid, audience, exp, &jwt, error_r) < 0)
		return -1;

	if (entry == NULL) {
		if (hash_table_count(vapid->jwt_cache) >=
		    VAPID_MAX_CACHED_AUDIENCES)
			vapid_cache_clear(vapid);
		entry = i_new(struct webpush_vapid_jwt, 1);
		key = i_strdup(audience);
		hash_table_insert(vapid->jwt_cache, key, entry);
	} else {
		i_free(entry->jwt);
	}
	entry->jwt = i_strdup(jwt);
	entry->exp = exp;
	*jwt_r = jwt;
	return 0;
}

int webpush_vapid_get_authorization(struct webpush_vapid *vapid,
				    const char *audience, time_t now,
				    const char **value_r,
				    const char **error_r)
{
	const char *jwt;

	if (webpush_vapid_get_jwt(vapid, audience, now, &jwt, error_r) < 0)
		return -1;
	*value_r = t_strdup_printf("vapid t=%s, k=%s", jwt,
				   vapid->public_b64url);
	return 0;
}

/* Decodes one base64url part of a JWT (no padding, url alphabet only). */
static int
jwt_part_decode(const char *part, size_t len, buffer_t *dest,
		const char **error_r)
{
	const char *text = t_strndup(part, len);

	if (strpbrk(text, "+/=") != NULL) {
		*error_r = "JWT part is not unpadded base64url";
		return -1;
	}
	if (webpush_b64_decode(text, dest, error_r) < 0)
		return -1;
	return 0;
}

static json_t *
jwt_part_json(const char *part, size_t len, const char *what,
	      const char **error_r)
{
	buffer_t *buf = t_buffer_create(len);
	const char *error;
	json_error_t jerror;
	json_t *json;

	if (jwt_part_decode(part, len, buf, &error) < 0) {
		*error_r = t_strdup_printf("JWT %s: %s", what, error);
		return NULL;
	}
	json = json_loadb(buf->data, buf->used, JSON_REJECT_DUPLICATES,
			  &jerror);
	if (json == NULL || !json_is_object(json)) {
		*error_r = t_strdup_printf("JWT %s is not a JSON object", what);
		json_decref(json);
		return NULL;
	}
	return json;
}

static int
vapid_verify_es256(const unsigned char *public_key, size_t public_key_size,
		   const void *data, size_t size, const buffer_t *sig,
		   const char **error_r)
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *esig = NULL;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	const char *error;
	int der_len, ret = -1;

	if (sig->used != ES256_SIGNATURE_SIZE) {
		*error_r = t_strdup_printf("JWT signature is %zu octets, "
					   "not the 64 of ES256 R || S",
					   sig->used);
		return -1;
	}
	if (webpush_ossl_p256_public_from_raw(public_key, public_key_size,
					      &pkey, &error) < 0) {
		*error_r = t_strconcat("invalid VAPID public key: ", error, NULL);
		return -1;
	}
	r = BN_bin2bn(sig->data, ES256_COORD_SIZE, NULL);
	s = BN_bin2bn(CONST_PTR_OFFSET(sig->data, ES256_COORD_SIZE),
		      ES256_COORD_SIZE, NULL);
	esig = ECDSA_SIG_new();
	if (r == NULL || s == NULL || esig == NULL ||
	    ECDSA_SIG_set0(esig, r, s) == 0) {
		BN_free(r);
		BN_free(s);
		*error_r = webpush_ossl_error("ECDSA_SIG_set0()");
	} else if ((der_len = i2d_ECDSA_SIG(esig, &der)) <= 0) {
		*error_r = webpush_ossl_error("i2d_ECDSA_SIG()");
	} else if ((ctx = EVP_MD_CTX_new()) == NULL) {
		*error_r = webpush_ossl_error("EVP_MD_CTX_new()");
	} else if (EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL,
					   pkey, NULL) <= 0) {
		*error_r = webpush_ossl_error("EVP_DigestVerifyInit_ex()");
	} else if (EVP_DigestVerify(ctx, der, der_len, data, size) != 1) {
		ERR_clear_error();
		*error_r = "JWT signature does not verify";
	} else {
		ret = 0;
	}
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(esig);
	EVP_PKEY_free(pkey);
	return ret;
}

static int
vapid_verify_claims(json_t *header, json_t *claims,
		    struct webpush_vapid_claims *claims_r,
		    const char **error_r)
{
	json_t *alg, *typ, *aud, *exp, *sub;

	alg = json_object_get(header, "alg");
	typ = json_object_get(header, "typ");
	if (!json_is_string(alg) ||
	    strcmp(json_string_value(alg), "ES256") != 0) {
		*error_r = "JWT header alg is not ES256";
		return -1;
	}
	if (typ != NULL && (!json_is_string(typ) ||
			    strcmp(json_string_value(typ), "JWT") != 0)) {
		*error_r = "JWT header typ is not JWT";
		return -1;
	}
	aud = json_object_get(claims, "aud");
	exp = json_object_get(claims, "exp");
	sub = json_object_get(claims, "sub");
	if (!json_is_string(aud)) {
		*error_r = "JWT claim aud is missing or not a string";
		return -1;
	}
	if (!json_is_integer(exp)) {
		*error_r = "JWT claim exp is missing or not an integer";
		return -1;
	}
	if (sub != NULL && !json_is_string(sub)) {
		*error_r = "JWT claim sub is not a string";
		return -1;
	}
	i_zero(claims_r);
	claims_r->aud = t_strdup(json_string_value(aud));
	claims_r->exp = json_integer_value(exp);
	if (sub != NULL)
		claims_r->sub = t_strdup(json_string_value(sub));
	return 0;
}

int webpush_vapid_verify_jwt(const char *jwt, const unsigned char *public_key,
			     size_t public_key_size,
			     struct webpush_vapid_claims *claims_r,
			     const char **error_r)
{
	const char *dot1, *dot2, *error;
	json_t *header = NULL, *claims = NULL;
	buffer_t *sig;
	int ret = -1;

	dot1 = strchr(jwt, '.');
	dot2 = dot1 == NULL ? NULL : strchr(dot1 + 1, '.');
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL) {
		*error_r = "JWT does not have three parts";
		return -1;
	}
	sig = t_buffer_create(ES256_SIGNATURE_SIZE);
	if (jwt_part_decode(dot2 + 1, strlen(dot2 + 1), sig, &error) < 0) {
		*error_r = t_strdup_printf("JWT signature: %s", error);
		return -1;
	}
	if ((header = jwt_part_json(jwt, dot1 - jwt, "header",
				    error_r)) == NULL ||
	    (claims = jwt_part_json(dot1 + 1, dot2 - dot1 - 1, "claims",
				    error_r)) == NULL)
		;
	else if (vapid_verify_claims(header, claims, claims_r, error_r) < 0)
		;
	else if (vapid_verify_es256(public_key, public_key_size, jwt,
				    dot2 - jwt, sig, error_r) < 0)
		;
	else
		ret = 0;
	json_decref(header);
	json_decref(claims);
	return ret;
}
