/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "str.h"
#include "unlink-directory.h"
#include "test-common.h"
#include "webpush-b64.h"
#include "test-webpush-common.h"
#include "webpush-ossl.h"
#include "webpush-vapid.h"

#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* RFC 8292 section 2.4 example, as listed in shared/spec/test-vectors.md */
#define RFC8292_JWT "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLCJleHAiOjE0NTM1MjM3NjgsInN1YiI6Im1haWx0bzpwdXNoQGV4YW1wbGUuY29tIn0.i3CYb7t4xfxCDquptFOepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA"
#define RFC8292_PUBLIC "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs"
#define RFC8292_HEADER "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9"

/* A published P-256 key pair (the sender key of RFC 8291 Appendix A),
   used to check the k= value against a known public key. */
#define KNOWN_PRIVATE "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define KNOWN_PUBLIC "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"

#define SUBJECT "mailto:admin@example.org"
#define AUD "https://push.example.net"
#define T0 ((time_t)1700000000)

static const char *tmpdir;

static const char *tmp_path(const char *name)
{
	return t_strconcat(tmpdir, "/", name, NULL);
}

enum key_format {
	KEY_PKCS8,
	KEY_TRADITIONAL,
	KEY_ENCRYPTED,
	KEY_PUBLIC_ONLY,
};

/* Writes pkey as PEM to a new file name (rename, so a new inode) and
   frees it. Returns the path. */
static const char *
write_key(const char *name, EVP_PKEY *pkey, enum key_format format)
{
	const char *path = tmp_path(name);
	const char *tmp = t_strconcat(path, ".tmp", NULL);
	BIO *bio;
	int ret = 0;

	if (pkey == NULL)
		i_fatal("key generation for %s failed", name);
	bio = BIO_new_file(tmp, "w");
	if (bio == NULL)
		i_fatal("BIO_new_file(%s) failed", tmp);
	switch (format) {
	case KEY_PKCS8:
		ret = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
					       NULL, NULL);
		break;
	case KEY_TRADITIONAL:
		ret = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL,
							   NULL, 0, NULL,
							   NULL);
		break;
	case KEY_ENCRYPTED:
		ret = PEM_write_bio_PrivateKey(bio, pkey, EVP_aes_128_cbc(),
					       (unsigned char *)"secret", 6,
					       NULL, NULL);
		break;
	case KEY_PUBLIC_ONLY:
		ret = PEM_write_bio_PUBKEY(bio, pkey);
		break;
	}
	if (ret <= 0)
		i_fatal("writing %s failed", tmp);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	if (rename(tmp, path) < 0)
		i_fatal("rename(%s) failed: %m", tmp);
	return path;
}

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(data, f) < 0 || fclose(f) != 0)
		i_fatal("writing %s failed", path);
}

static EVP_PKEY *gen_ec(const char *curve)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

static const char *p256_key_path(const char *name)
{
	return write_key(name, gen_ec("P-256"), KEY_PKCS8);
}

static struct webpush_vapid *vapid_create(const char *expire)
{
	struct webpush_vapid *vapid;
	const char *error;

	if (webpush_vapid_init(tmp_path("p256.pem"), SUBJECT, expire,
			       &vapid, &error) < 0)
		i_fatal("webpush_vapid_init() failed: %s", error);
	return vapid;
}

static bool
verify_own(struct webpush_vapid *vapid, const char *jwt,
	   struct webpush_vapid_claims *claims_r)
{
	buffer_t *pub = dec(webpush_vapid_get_public_key_b64url(vapid));
	const char *error;

	if (webpush_vapid_verify_jwt(jwt, pub->data, pub->used, claims_r,
				     &error) < 0) {
		i_error("verify failed: %s", error);
		return FALSE;
	}
	return TRUE;
}

static void test_vapid_rfc8292_example(void)
{
	struct webpush_vapid_claims claims;
	buffer_t *pub = dec(RFC8292_PUBLIC);
	buffer_t *other = dec(KNOWN_PUBLIC);
	const char *error = NULL;
	char *jwt;
	size_t len = strlen(RFC8292_JWT);

	test_begin("vapid: RFC 8292 example JWT verifies");
	test_assert(webpush_vapid_verify_jwt(RFC8292_JWT, pub->data, pub->used,
					     &claims, &error) == 0);
	test_assert_strcmp(claims.aud, "https://push.example.net");
	test_assert(claims.exp == 1453523768);
	test_assert_strcmp(claims.sub, "mailto:push@example.com");
	test_end();

	test_begin("vapid: altered RFC 8292 example does not verify");
	/* another key */
	test_assert(webpush_vapid_verify_jwt(RFC8292_JWT, other->data,
					     other->used, &claims,
					     &error) < 0);
	test_assert(strstr(error, "does not verify") != NULL);
	/* a changed signature octet */
	jwt = t_strdup_noconst(RFC8292_JWT);
	jwt[len - 5] = jwt[len - 5] == 'A' ? 'B' : 'A';
	test_assert(webpush_vapid_verify_jwt(jwt, pub->data, pub->used,
					     &claims, &error) < 0);
	/* a changed claim (exp 1453523768 -> ...769 changes the base64) */
	jwt = t_strdup_noconst(RFC8292_JWT);
	jwt[strlen(RFC8292_HEADER) + 10] ^= 0x01;
	test_assert(webpush_vapid_verify_jwt(jwt, pub->data, pub->used,
					     &claims, &error) < 0);
	/* truncated, missing parts, extra part */
	test_assert(webpush_vapid_verify_jwt(t_strndup(RFC8292_JWT, len - 4),
					     pub->data, pub->used, &claims,
					     &error) < 0);
	test_assert(strstr(error, "64") != NULL);
	test_assert(webpush_vapid_verify_jwt(RFC8292_HEADER, pub->data,
					     pub->used, &claims, &error) < 0);
	test_assert(webpush_vapid_verify_jwt(t_strconcat(RFC8292_JWT, ".x",
							 NULL),
					     pub->data, pub->used, &claims,
					     &error) < 0);
	/* header with another alg (HS256), same claims and signature */
	jwt = t_strdup_noconst(t_strconcat(
		webpush_b64url_encode("{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
				      27),
		RFC8292_JWT + strlen(RFC8292_HEADER), NULL));
	test_assert(webpush_vapid_verify_jwt(jwt, pub->data, pub->used,
					     &claims, &error) < 0);
	test_assert(strstr(error, "ES256") != NULL);
	test_end();
}

static void test_vapid_sign_and_verify(void)
{
	struct webpush_vapid *vapid = vapid_create(NULL);
	struct webpush_vapid_claims claims;
	const char *jwt, *error = NULL, *value;
	const char *const *parts;

	test_begin("vapid: own JWT: header, claims, 64-octet signature");
	test_assert(webpush_vapid_get_lifetime(vapid) == 12 * 60 * 60);
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0, &jwt, &error) == 0);
	parts = t_strsplit(jwt, ".");
	test_assert(str_array_length(parts) == 3);
	test_assert_strcmp(parts[0], RFC8292_HEADER);
	test_assert(dec(parts[2])->used == 64);
	test_assert(verify_own(vapid, jwt, &claims));
	test_assert_strcmp(claims.aud, AUD);
	test_assert(claims.exp == T0 + 12 * 60 * 60);
	test_assert_strcmp(claims.sub, SUBJECT);
	/* claims JSON in this order, compact */
	test_assert_strcmp(t_strndup(dec(parts[1])->data, dec(parts[1])->used),
			   "{\"aud\":\"https://push.example.net\","
			   "\"exp\":1700043200,"
			   "\"sub\":\"mailto:admin@example.org\"}");
	test_end();

	test_begin("vapid: Authorization header value");
	test_assert(webpush_vapid_get_authorization(vapid, AUD, T0, &value,
						    &error) == 0);
	test_assert_strcmp(value, t_strdup_printf("vapid t=%s, k=%s", jwt,
		webpush_vapid_get_public_key_b64url(vapid)));
	test_end();

	test_begin("vapid: audience with a port");
	test_assert(webpush_vapid_get_jwt(vapid, "https://[::1]:8443", T0,
					  &jwt, &error) == 0);
	test_assert(verify_own(vapid, jwt, &claims));
	test_assert_strcmp(claims.aud, "https://[::1]:8443");
	test_end();
	webpush_vapid_unref(&vapid);
	test_assert(vapid == NULL);
}

static void test_vapid_public_key(void)
{
	struct webpush_vapid *vapid;
	buffer_t *priv = dec(KNOWN_PRIVATE), *pub = dec(KNOWN_PUBLIC);
	unsigned char point[WEBPUSH_P256_PUBLIC_SIZE];
	const char *pem, *path, *error = NULL;
	EVP_PKEY *pkey;
	BIO *bio;

	test_begin("vapid: k= is the base64url uncompressed point");
	if (webpush_ossl_p256_keypair_from_raw(priv->data, priv->used,
					       pub->data, pub->used,
					       &pkey, &error) < 0)
		i_fatal("%s", error);
	path = write_key("known.pem", pkey, KEY_TRADITIONAL);
	test_assert(webpush_vapid_init(path, SUBJECT, NULL, &vapid,
				       &error) == 0);
	test_assert_strcmp(webpush_vapid_get_public_key_b64url(vapid),
			   KNOWN_PUBLIC);
	test_end();

	test_begin("vapid: public key PEM");
	pem = webpush_vapid_get_public_key_pem(vapid);
	test_assert(str_begins(pem, "-----BEGIN PUBLIC KEY-----\n"));
	test_assert(strlen(pem) > 25 &&
		    strcmp(pem + strlen(pem) - 25,
			   "-----END PUBLIC KEY-----\n") == 0);
	test_assert(strstr(pem, "PRIVATE") == NULL);
	bio = BIO_new_mem_buf(pem, strlen(pem));
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	test_assert(pkey != NULL);
	if (pkey != NULL) {
		test_assert(webpush_ossl_p256_public_to_raw(pkey, point,
							    &error) == 0);
		test_assert(memcmp(point, pub->data, sizeof(point)) == 0);
		EVP_PKEY_free(pkey);
	}
	test_end();
	webpush_vapid_unref(&vapid);
}

static void test_vapid_generate_key(void)
{
	struct webpush_vapid *vapid;
	const char *priv, *pub_pem, *pub_b64, *priv2, *pub_pem2, *pub_b642;
	const char *path = tmp_path("generated.pem"), *error = NULL;
	buffer_t *point;
	BIO *bio;
	EVP_PKEY *pkey;

	test_begin("vapid: generate a key for webpush_vapid_key");
	test_assert(webpush_vapid_generate_key(&priv, &pub_pem, &pub_b64,
					       &error) == 0);
	test_assert(str_begins(priv, "-----BEGIN PRIVATE KEY-----\n"));
	test_assert(str_begins(pub_pem, "-----BEGIN PUBLIC KEY-----\n"));
	point = dec(pub_b64);
	test_assert(point->used == WEBPUSH_P256_PUBLIC_SIZE &&
		    ((const unsigned char *)point->data)[0] == 0x04);
	/* the private key is P-256, and it is the public key's pair */
	bio = BIO_new_mem_buf(priv, strlen(priv));
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	test_assert(pkey != NULL && webpush_ossl_is_p256(pkey));
	EVP_PKEY_free(pkey);
	/* webpush_vapid_init() loads it, with the same public key */
	write_file(path, priv);
	test_assert(webpush_vapid_init(path, SUBJECT, NULL, &vapid,
				       &error) == 0);
	if (vapid != NULL) {
		test_assert_strcmp(webpush_vapid_get_public_key_b64url(vapid),
				   pub_b64);
		test_assert_strcmp(webpush_vapid_get_public_key_pem(vapid),
				   pub_pem);
		webpush_vapid_unref(&vapid);
	}
	/* each call makes a new key */
	test_assert(webpush_vapid_generate_key(&priv2, &pub_pem2, &pub_b642,
					       &error) == 0);
	test_assert(strcmp(priv, priv2) != 0);
	test_assert(strcmp(pub_b64, pub_b642) != 0);
	test_end();
}

static void
check_init_fails(const char *key_path, const char *subject,
		 const char *expire, const char *expect1, const char *expect2,
		 unsigned int idx)
{
	struct webpush_vapid *vapid = NULL;
	const char *error = NULL;

	test_assert_idx(webpush_vapid_init(key_path, subject, expire,
					   &vapid, &error) < 0, idx);
	test_assert_idx(vapid == NULL, idx);
	test_assert_idx(error != NULL && strstr(error, expect1) != NULL, idx);
	test_assert_idx(error != NULL && strstr(error, expect2) != NULL, idx);
	if (error != NULL && test_has_failed())
		i_error("case %u: %s", idx, error);
}

static void test_vapid_bad_keys(void)
{
	const char *p384, *ed25519, *encrypted, *public_only, *garbage;
	const char *empty;

	test_begin("vapid: bad webpush_vapid_key values are named clearly");
	p384 = write_key("p384.pem", gen_ec("P-384"), KEY_PKCS8);
	ed25519 = write_key("ed25519.pem",
			    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
			    KEY_PKCS8);
	encrypted = write_key("encrypted.pem", gen_ec("P-256"), KEY_ENCRYPTED);
	public_only = write_key("public.pem", gen_ec("P-256"),
				KEY_PUBLIC_ONLY);
	garbage = tmp_path("garbage.pem");
	write_file(garbage, "-----BEGIN PRIVATE KEY-----\nnot base64 !!\n"
		   "-----END PRIVATE KEY-----\n");
	empty = tmp_path("empty.pem");
	write_file(empty, "");

	check_init_fails(NULL, SUBJECT, NULL, "webpush_vapid_key",
			 "not set", 0);
	check_init_fails("", SUBJECT, NULL, "webpush_vapid_key",
			 "not set", 1);
	check_init_fails(tmp_path("missing.pem"), SUBJECT, NULL,
			 "webpush_vapid_key", "missing.pem", 2);
	check_init_fails(tmpdir, SUBJECT, NULL, "webpush_vapid_key",
			 "not a regular file", 3);
	check_init_fails(p384, SUBJECT, NULL, "webpush_vapid_key",
			 "secp384r1, not on P-256", 4);
	check_init_fails(ed25519, SUBJECT, NULL, "webpush_vapid_key",
			 "not an EC key", 5);
	check_init_fails(encrypted, SUBJECT, NULL, "webpush_vapid_key",
			 "encrypted", 6);
	check_init_fails(public_only, SUBJECT, NULL, "webpush_vapid_key",
			 "no PEM private key", 7);
	check_init_fails(garbage, SUBJECT, NULL, "webpush_vapid_key",
			 "no PEM private key", 8);
	check_init_fails(empty, SUBJECT, NULL, "webpush_vapid_key",
			 "no PEM private key", 9);
	if (geteuid() != 0) {
		/* root reads any file: only testable as a normal user */
		const char *unreadable = p256_key_path("unreadable.pem");

		if (chmod(unreadable, 0) < 0)
			i_fatal("chmod(%s) failed: %m", unreadable);
		check_init_fails(unreadable, SUBJECT, NULL,
				 "webpush_vapid_key", "unreadable.pem", 10);
	}
	test_end();
}

static void test_vapid_bad_settings(void)
{
	static const char *const good_subjects[] = {
		"mailto:admin@example.org",
		"MAILTO:admin@example.org",
		"https://example.org/contact",
	};
	static const char *const bad_subjects[] = {
		"admin@example.org",
		"http://example.org/contact",
		"mailto:",
		"https://",
		"mailto:a b@example.org",
		"mailto:admin@example.org\n",
		"xmailto:admin@example.org",
	};
	struct webpush_vapid *vapid;
	const char *error = NULL;

	test_begin("vapid: webpush_vapid_subject must be mailto: or https:");
	p256_key_path("p256.pem");
	check_init_fails(tmp_path("p256.pem"), NULL, NULL,
			 "webpush_vapid_subject", "not set", 0);
	check_init_fails(tmp_path("p256.pem"), "", NULL,
			 "webpush_vapid_subject", "not set", 1);
	for (unsigned int i = 0; i < N_ELEMENTS(bad_subjects); i++) {
		check_init_fails(tmp_path("p256.pem"), bad_subjects[i], NULL,
				 "webpush_vapid_subject", "", 10 + i);
	}
	check_init_fails(tmp_path("p256.pem"),
			 t_strconcat("mailto:", t_strdup_printf("%0600d", 1),
				     NULL), NULL,
			 "webpush_vapid_subject", "longer", 20);
	check_init_fails(tmp_path("p256.pem"), "mailto:\xff@example.org",
			 NULL, "webpush_vapid_subject", "UTF-8", 21);
	for (unsigned int i = 0; i < N_ELEMENTS(good_subjects); i++) {
		test_assert_idx(webpush_vapid_init(tmp_path("p256.pem"),
						   good_subjects[i], NULL,
						   &vapid, &error) == 0, i);
		webpush_vapid_unref(&vapid);
	}
	test_end();

	test_begin("vapid: webpush_vapid_expire between 1 minute and 24 hours");
	check_init_fails(tmp_path("p256.pem"), SUBJECT, "25h",
			 "webpush_vapid_expire", "24 hours", 0);
	check_init_fails(tmp_path("p256.pem"), SUBJECT, "86401s",
			 "webpush_vapid_expire", "24 hours", 1);
	check_init_fails(tmp_path("p256.pem"), SUBJECT, "59s",
			 "webpush_vapid_expire", "1 minute", 2);
	check_init_fails(tmp_path("p256.pem"), SUBJECT, "0",
			 "webpush_vapid_expire", "", 3);
	check_init_fails(tmp_path("p256.pem"), SUBJECT, "soon",
			 "webpush_vapid_expire", "", 4);
	vapid = vapid_create("24h");
	test_assert(webpush_vapid_get_lifetime(vapid) == 24 * 60 * 60);
	webpush_vapid_unref(&vapid);
	vapid = vapid_create("90 mins");
	test_assert(webpush_vapid_get_lifetime(vapid) == 90 * 60);
	webpush_vapid_unref(&vapid);
	vapid = vapid_create("");
	test_assert(webpush_vapid_get_lifetime(vapid) == 12 * 60 * 60);
	webpush_vapid_unref(&vapid);
	test_end();
}

static void test_vapid_audience(void)
{
	static const char *const good[] = {
		"https://push.example.net",
		"https://push.example.net:8443",
		"https://fcm.googleapis.com",
		"http://127.0.0.1:8080",
		"http://127.0.0.1:443",
		"https://[::1]:8443",
		"https://[::1]",
		"https://192.0.2.1:80",
	};
	static const char *const bad[] = {
		"",
		"push.example.net",
		"ftp://push.example.net",
		"HTTPS://push.example.net",
		"https://",
		"https://push.example.net/",
		"https://push.example.net/wpush/v2/abc",
		"https://push.example.net?x=1",
		"https://push.example.net#x",
		"https://user@push.example.net",
		"https://push.example.net:443",
		"http://push.example.net:80",
		"https://push.example.net:",
		"https://push.example.net:0",
		"https://push.example.net:08443",
		"https://push.example.net:65536",
		"https://push.example.net:84x3",
		"https://:8443",
		"https://[::1",
		"https://[]",
		"https://[::1]x",
		"https://push example.net",
		"https://push.\xc3\xa9xample.net",
	};
	struct webpush_vapid *vapid = vapid_create(NULL);
	const char *error, *jwt;

	test_begin("vapid: audience must be an origin");
	for (unsigned int i = 0; i < N_ELEMENTS(good); i++) {
		error = NULL;
		test_assert_idx(webpush_vapid_check_audience(good[i],
							     &error) == 0, i);
		test_assert_idx(webpush_vapid_get_jwt(vapid, good[i], T0,
						      &jwt, &error) == 0, i);
	}
	for (unsigned int i = 0; i < N_ELEMENTS(bad); i++) {
		error = NULL;
		test_assert_idx(webpush_vapid_check_audience(bad[i],
							     &error) < 0, i);
		test_assert_idx(error != NULL, i);
		error = NULL;
		test_assert_idx(webpush_vapid_get_jwt(vapid, bad[i], T0,
						      &jwt, &error) < 0, i);
		test_assert_idx(error != NULL &&
				strstr(error, "audience") != NULL, i);
	}
	test_end();
	webpush_vapid_unref(&vapid);
}

static void test_vapid_cache(void)
{
	struct webpush_vapid *vapid = vapid_create("12h");
	struct webpush_vapid_claims claims;
	const unsigned int lifetime = 12 * 60 * 60;
	const char *jwt1, *jwt2, *jwt3, *other, *error = NULL;

	test_begin("vapid: JWT reused per audience until 1/4 of lifetime left");
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0, &jwt1, &error) == 0);
	/* ECDSA signatures are randomized: a new signature, even with the
	   same claims, gives another string */
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0 + 1, &jwt2,
					  &error) == 0);
	test_assert_strcmp(jwt1, jwt2);
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0 + lifetime * 3 / 4,
					  &jwt2, &error) == 0);
	test_assert_strcmp(jwt1, jwt2);
	/* other audiences get their own JWT */
	test_assert(webpush_vapid_get_jwt(vapid, "https://other.example",
					  T0 + 5, &other, &error) == 0);
	test_assert(strcmp(other, jwt1) != 0);
	test_assert(verify_own(vapid, other, &claims));
	test_assert_strcmp(claims.aud, "https://other.example");
	test_assert(claims.exp == T0 + 5 + lifetime);
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0 + 10, &jwt2,
					  &error) == 0);
	test_assert_strcmp(jwt1, jwt2);
	test_end();

	test_begin("vapid: JWT renewed when close to expiry");
	test_assert(webpush_vapid_get_jwt(vapid, AUD,
					  T0 + lifetime * 3 / 4 + 1,
					  &jwt2, &error) == 0);
	test_assert(strcmp(jwt1, jwt2) != 0);
	test_assert(verify_own(vapid, jwt2, &claims));
	test_assert(claims.exp == T0 + lifetime * 3 / 4 + 1 + lifetime);
	/* the renewed one is reused in turn */
	test_assert(webpush_vapid_get_jwt(vapid, AUD,
					  T0 + lifetime, &jwt3,
					  &error) == 0);
	test_assert_strcmp(jwt2, jwt3);
	/* after expiry certainly renewed */
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0 + 10 * lifetime,
					  &jwt3, &error) == 0);
	test_assert(strcmp(jwt2, jwt3) != 0);
	test_assert(verify_own(vapid, jwt3, &claims));
	test_assert(claims.exp == T0 + 11 * lifetime);
	test_end();

	test_begin("vapid: JWT renewed when the clock goes back");
	test_assert(webpush_vapid_get_jwt(vapid, AUD, T0, &jwt2,
					  &error) == 0);
	test_assert(strcmp(jwt2, jwt3) != 0);
	test_assert(verify_own(vapid, jwt2, &claims));
	/* exp is never more than the lifetime (<= 24 h) ahead */
	test_assert(claims.exp == T0 + lifetime);
	test_end();
	webpush_vapid_unref(&vapid);
}

static void test_vapid_shared(void)
{
	struct webpush_vapid *v1, *v2, *v3, *v4;
	const char *path = p256_key_path("shared.pem");
	const char *error = NULL, *jwt1, *jwt2, *old_key;

	test_begin("vapid: shared context per settings, reloaded on key change");
	test_assert(webpush_vapid_get_shared(path, SUBJECT, "1h", &v1,
					     &error) == 0);
	test_assert(webpush_vapid_get_shared(path, SUBJECT, "1h", &v2,
					     &error) == 0);
	test_assert(v1 == v2);
	/* the JWT cache is shared too */
	test_assert(webpush_vapid_get_jwt(v1, AUD, T0, &jwt1, &error) == 0);
	test_assert(webpush_vapid_get_jwt(v2, AUD, T0 + 1, &jwt2, &error) == 0);
	test_assert_strcmp(jwt1, jwt2);
	webpush_vapid_unref(&v2);

	test_assert(webpush_vapid_get_shared(path, SUBJECT, "2h", &v3,
					     &error) == 0);
	test_assert(v3 != v1);
	webpush_vapid_unref(&v3);

	/* key rotation: a new file under the same name */
	old_key = t_strdup(webpush_vapid_get_public_key_b64url(v1));
	p256_key_path("shared.pem");
	test_assert(webpush_vapid_get_shared(path, SUBJECT, "1h", &v4,
					     &error) == 0);
	test_assert(v4 != v1);
	test_assert(strcmp(webpush_vapid_get_public_key_b64url(v4),
			   old_key) != 0);
	/* the old reference still works */
	test_assert_strcmp(webpush_vapid_get_public_key_b64url(v1), old_key);
	webpush_vapid_unref(&v1);

	/* a key that disappears is an error, not a stale key */
	i_unlink(path);
	test_assert(webpush_vapid_get_shared(path, SUBJECT, "1h", &v2,
					     &error) < 0);
	test_assert(strstr(error, "webpush_vapid_key") != NULL);
	webpush_vapid_unref(&v4);
	webpush_vapid_shared_deinit();
	test_end();

	test_begin("vapid: at most 16 shared contexts, the oldest dropped");
	path = p256_key_path("shared.pem");
	test_assert(webpush_vapid_get_shared(path, "mailto:a0@example.org",
					     NULL, &v1, &error) == 0);
	for (unsigned int i = 1; i <= 16; i++) {
		test_assert_idx(webpush_vapid_get_shared(path,
			t_strdup_printf("mailto:a%u@example.org", i), NULL,
			&v2, &error) == 0, i);
		webpush_vapid_unref(&v2);
	}
	/* the first was dropped: asking again loads a new context; the
	   caller's reference stays valid */
	test_assert(webpush_vapid_get_shared(path, "mailto:a0@example.org",
					     NULL, &v3, &error) == 0);
	test_assert(v3 != v1);
	test_assert_strcmp(webpush_vapid_get_public_key_b64url(v1),
			   webpush_vapid_get_public_key_b64url(v3));
	/* the last one is still shared */
	test_assert(webpush_vapid_get_shared(path, "mailto:a16@example.org",
					     NULL, &v2, &error) == 0);
	test_assert(webpush_vapid_get_shared(path, "mailto:a16@example.org",
					     NULL, &v4, &error) == 0);
	test_assert(v2 == v4);
	webpush_vapid_unref(&v1);
	webpush_vapid_unref(&v2);
	webpush_vapid_unref(&v3);
	webpush_vapid_unref(&v4);
	webpush_vapid_shared_deinit();
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_vapid_rfc8292_example,
		test_vapid_sign_and_verify,
		test_vapid_public_key,
		test_vapid_generate_key,
		test_vapid_bad_keys,
		test_vapid_bad_settings,
		test_vapid_audience,
		test_vapid_cache,
		test_vapid_shared,
		NULL
	};
	char dir[] = "/tmp/test-webpush-vapid.XXXXXX";
	const char *error;
	int ret;

	lib_init();
	if (mkdtemp(dir) == NULL)
		i_fatal("mkdtemp() failed: %m");
	tmpdir = dir;
	p256_key_path("p256.pem");
	ret = test_run(test_functions);
	if (unlink_directory(dir, UNLINK_DIRECTORY_FLAG_RMDIR, &error) < 0)
		i_error("unlink_directory(%s) failed: %s", dir, error);
	lib_deinit();
	return ret;
}
