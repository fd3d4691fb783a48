/* libFuzzer target: the JSON of a SETMETADATA S/<ID> (WP-04), and the
   subscription ID rule. A value that parses must survive the round trip
   through its canonical stored form. Input: id NUL json. */

#include "fuzz-common.h"
#include "webpush-subscription.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webpush_subscription sub, stored;
	const char *fields[2], *error, *json;
	pool_t pool;

	fuzz_lib_init();
	pool = pool_alloconly_create("fuzz subscription", 1024);
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 2);
		if (fields[0] != NULL &&
		    webpush_subscription_id_is_valid(fields[0])) {
			const char *id =
				webpush_subscription_id_normalize(fields[0]);
			i_assert(webpush_subscription_id_is_valid(id));
		}
		if (fields[1] != NULL &&
		    webpush_subscription_parse(pool, fields[1],
					       strlen(fields[1]), 1700000000,
					       &sub, &error) == 0) {
			json = webpush_subscription_to_json(&sub);
			i_assert(webpush_subscription_parse_stored(
				pool, json, &stored, &error) == 0);
			i_assert(strcmp(webpush_subscription_to_json(&stored),
					json) == 0);
		}
	} T_END;
	pool_unref(&pool);
	return 0;
}
