/* libFuzzer target: decoding of subscription keys (base64 or base64url,
   padded or not) and the P-256 point and auth secret checks that follow.
   Input: p256dh NUL auth. */

#include "fuzz-common.h"
#include "buffer.h"
#include "webpush-b64.h"
#include "webpush-ece.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fields[2], *error;
	buffer_t *key, *auth;

	fuzz_lib_init();
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 2);
		key = t_buffer_create(128);
		auth = t_buffer_create(32);
		if (fields[0] != NULL &&
		    webpush_b64_decode(fields[0], key, &error) == 0) {
			/* Decoded keys re-encode to base64url without padding
			   that decodes to the same octets. */
			const char *enc = webpush_b64url_encode(key->data, key->used);
			buffer_t *again = t_buffer_create(128);
			i_assert(webpush_b64_decode(enc, again, &error) == 0);
			i_assert(buffer_cmp(key, again));
			(void)webpush_ece_check_receiver_key(key->data, key->used, &error);
		}
		if (fields[1] != NULL &&
		    webpush_b64_decode(fields[1], auth, &error) == 0)
			(void)webpush_ece_check_auth_secret(auth->used, &error);
	} T_END;
	return 0;
}
