/* P4 candidate: prepares Web Push requests as push_coi does for every
   push: payload (jansson), RFC 8291 encryption with a fresh key pair and
   salt, and the VAPID Authorization header (JWT cached per audience).
   Usage: push-prepare ITERATIONS VAPID_KEY.pem P256DH_B64URL AUTH_B64URL PAYLOAD_OUT
   Prints "<iterations> <seconds>" and writes the payload JSON to
   PAYLOAD_OUT (the node baseline encrypts the same octets). */

#include "lib.h"
#include "buffer.h"
#include "time-util.h"
#include "webpush-b64.h"
#include "webpush-ece.h"
#include "webpush-payload.h"
#include "webpush-vapid.h"

#include <stdio.h>
#include <sys/time.h>

static const char body[] = "Hi! This is a chat message of typical length, "
	"with a little more text so that content is included.\r\n";

int main(int argc, char *argv[])
{
	struct webpush_payload_message msg;
	struct webpush_vapid *vapid;
	buffer_t *p256dh, *auth, *out;
	const char *error, *payload, *authz;
	struct timeval start, end;
	unsigned int i, n;
	FILE *f;

	lib_init();
	if (argc != 6)
		i_fatal("Usage: %s ITERATIONS VAPID_KEY P256DH AUTH PAYLOAD_OUT", argv[0]);
	n = atoi(argv[1]);
	if (webpush_vapid_init(argv[2], "mailto:admin@example.com", NULL,
			       &vapid, &error) < 0)
		i_fatal("%s", error);
	p256dh = buffer_create_dynamic(default_pool, 65);
	auth = buffer_create_dynamic(default_pool, 16);
	if (webpush_b64_decode(argv[3], p256dh, &error) < 0 ||
	    webpush_b64_decode(argv[4], auth, &error) < 0)
		i_fatal("bad key: %s", error);

	i_zero(&msg);
	msg.from = "\"Alice Example\" <Alice@Example.org>";
	msg.subject = "Chat: lunch?";
	msg.message_id = "<chat$group.4321dcba1234.ABSKDJK23223.293892839@example.com>";
	msg.content_type = "text/plain; charset=utf-8";
	msg.content_transfer_encoding = "8bit";
	msg.have_chat_version = TRUE;
	msg.have_date = TRUE;
	msg.date = 1795881600;
	msg.uid = 4711;
	msg.uidvalidity = 1795881000;
	msg.folder = "COI/Chats";
	msg.body = (const unsigned char *)body;
	msg.body_size = sizeof(body) - 1;

	payload = webpush_payload_build(&msg, NULL);
	f = fopen(argv[5], "w");
	if (f == NULL || fputs(payload, f) < 0 || fclose(f) != 0)
		i_fatal("cannot write %s", argv[5]);

	out = buffer_create_dynamic(default_pool, 4096);
	gettimeofday(&start, NULL);
	for (i = 0; i < n; i++) T_BEGIN {
		payload = webpush_payload_build(&msg, NULL);
		buffer_set_used_size(out, 0);
		if (webpush_ece_encrypt(p256dh->data, p256dh->used,
					auth->data, auth->used,
					payload, strlen(payload), out,
					&error) < 0)
			i_fatal("encrypt: %s", error);
		if (webpush_vapid_get_authorization(vapid,
				"https://push.example.net", time(NULL),
				&authz, &error) < 0)
			i_fatal("vapid: %s", error);
	} T_END;
	gettimeofday(&end, NULL);
	printf("%u %.6f\n", n, timeval_diff_usecs(&end, &start) / 1e6);

	buffer_free(&out);
	buffer_free(&p256dh);
	buffer_free(&auth);
	webpush_vapid_unref(&vapid);
	lib_deinit();
	return 0;
}
