/* libFuzzer target: JWT parsing and ES256 verification of
   webpush_vapid_verify_jwt() (three base64url parts, JSON header and
   claims, R || S signature), and the audience (origin) check.
   Input: the JWT text; also tried as an audience. */

#include "fuzz-common.h"
#include "buffer.h"
#include "webpush-b64.h"
#include "webpush-vapid.h"

#define RFC8292_PUBLIC "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webpush_vapid_claims claims;
	const char *fields[1], *error;
	buffer_t *pub;

	fuzz_lib_init();
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 1);
		pub = t_buffer_create(65);
		i_assert(webpush_b64_decode(RFC8292_PUBLIC, pub, &error) == 0);
		if (webpush_vapid_verify_jwt(fields[0], pub->data, pub->used,
					     &claims, &error) == 0)
			i_assert(claims.aud != NULL);
		(void)webpush_vapid_check_audience(fields[0], &error);
	} T_END;
	return 0;
}
