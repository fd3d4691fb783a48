/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

/* webpush-crypto: runs the plugin's Web Push crypto (webpush-ece.c,
   webpush-vapid.c) from the command line, for
   tests/integration/test_webpush_crypto.py, which checks its output with
   an independent implementation (python3-cryptography).

   Usage:
     webpush-crypto encrypt P256DH AUTH
         encrypts stdin for the subscriber keys (base64 or base64url) and
         prints the aes128gcm body as base64url
     webpush-crypto vapid KEYFILE SUBJECT EXPIRE AUDIENCE NOW...
         loads the VAPID settings (EXPIRE may be "") and prints, for each
         NOW (Unix time), the Authorization header value for AUDIENCE
     webpush-crypto vapid-pem KEYFILE SUBJECT
         prints the VAPID public key as PEM

   Errors go to stderr with exit code 1. */

#include "lib.h"
#include "buffer.h"
#include "str.h"
#include "strnum.h"
#include "webpush-b64.h"
#include "webpush-ece.h"
#include "webpush-vapid.h"

#include <stdio.h>
#include <unistd.h>

static int decode_key(const char *what, const char *b64, buffer_t *buf)
{
	const char *error;

	if (webpush_b64_decode(b64, buf, &error) < 0) {
		fprintf(stderr, "%s: %s\n", what, error);
		return -1;
	}
	return 0;
}

static int cmd_encrypt(const char *p256dh, const char *auth_b64)
{
	buffer_t *key = t_buffer_create(65), *auth = t_buffer_create(16);
	buffer_t *plaintext = t_buffer_create(4096), *body;
	unsigned char buf[4096];
	const char *error;
	ssize_t ret;

	if (decode_key("p256dh", p256dh, key) < 0 ||
	    decode_key("auth", auth_b64, auth) < 0)
		return 1;
	while ((ret = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		buffer_append(plaintext, buf, ret);
	if (ret < 0) {
		fprintf(stderr, "read(stdin) failed: %s\n", strerror(errno));
		return 1;
	}
	body = t_buffer_create(plaintext->used + 128);
	if (webpush_ece_encrypt(key->data, key->used, auth->data, auth->used,
				plaintext->data, plaintext->used,
				body, &error) < 0) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	printf("%s\n", webpush_b64url_encode(body->data, body->used));
	return 0;
}

static int
cmd_vapid(const char *key_path, const char *subject, const char *expire,
	  const char *audience, char *const *times)
{
	struct webpush_vapid *vapid;
	const char *error, *value;
	int ret = 0;

	if (webpush_vapid_init(key_path, subject, expire, &vapid,
			       &error) < 0) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	if (audience == NULL)
		printf("%s", webpush_vapid_get_public_key_pem(vapid));
	for (; audience != NULL && *times != NULL && ret == 0; times++) {
		time_t now;

		if (str_to_time(*times, &now) < 0) {
			fprintf(stderr, "invalid time: %s\n", *times);
			ret = 1;
		} else if (webpush_vapid_get_authorization(vapid, audience,
							   now, &value,
							   &error) < 0) {
			fprintf(stderr, "%s\n", error);
			ret = 1;
		} else {
			printf("%s\n", value);
		}
	}
	webpush_vapid_unref(&vapid);
	return ret;
}

int main(int argc, char *argv[])
{
	int ret = 2;

	lib_init();
	T_BEGIN {
		if (argc == 4 && strcmp(argv[1], "encrypt") == 0)
			ret = cmd_encrypt(argv[2], argv[3]);
		else if (argc >= 7 && strcmp(argv[1], "vapid") == 0)
			ret = cmd_vapid(argv[2], argv[3], argv[4], argv[5],
					argv + 6);
		else if (argc == 4 && strcmp(argv[1], "vapid-pem") == 0)
			ret = cmd_vapid(argv[2], argv[3], NULL, NULL, NULL);
		else
			fprintf(stderr, "usage: see webpush-crypto.c\n");
	} T_END;
	lib_deinit();
	return ret;
}
