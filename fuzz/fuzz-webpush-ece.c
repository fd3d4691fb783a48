/* libFuzzer target: RFC 8188 aes128gcm body parsing and decryption
   (header, record size, keyid, records, padding and delimiters), and an
   RFC 8291 encryption round trip of the same input as plaintext.
   Input: 16 octets of IKM, then the body. */

#include "fuzz-common.h"
#include "buffer.h"
#include "webpush-b64.h"
#include "webpush-ece.h"

#define UA_PUBLIC "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define UA_PRIVATE "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
#define AUTH "BTBZMqHH6r4Tts7J_aSIgg"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	buffer_t *plaintext, *body, *out, *ua_public, *ua_private, *auth;
	const char *error;

	fuzz_lib_init();
	if (size < 16)
		return 0;
	T_BEGIN {
		plaintext = t_buffer_create(size);
		(void)webpush_ece_decrypt_ikm(data + 16, size - 16, data, 16,
					      plaintext, &error);

		ua_public = t_buffer_create(65);
		ua_private = t_buffer_create(32);
		auth = t_buffer_create(16);
		i_assert(webpush_b64_decode(UA_PUBLIC, ua_public, &error) == 0);
		i_assert(webpush_b64_decode(UA_PRIVATE, ua_private, &error) == 0);
		i_assert(webpush_b64_decode(AUTH, auth, &error) == 0);
		body = t_buffer_create(size + 128);
		out = t_buffer_create(size);
		if (webpush_ece_encrypt(ua_public->data, ua_public->used,
					auth->data, auth->used, data, size,
					body, &error) == 0) {
			i_assert(size <= WEBPUSH_ECE_MAX_PLAINTEXT_SIZE);
			i_assert(body->used == webpush_ece_body_size(size));
			i_assert(webpush_ece_decrypt(body->data, body->used,
						     ua_private->data, ua_private->used,
						     ua_public->data, ua_public->used,
						     auth->data, auth->used,
						     out, &error) == 0);
			i_assert(out->used == size &&
				 memcmp(out->data, data, size) == 0);
		} else {
			i_assert(size > WEBPUSH_ECE_MAX_PLAINTEXT_SIZE);
		}
	} T_END;
	return 0;
}
