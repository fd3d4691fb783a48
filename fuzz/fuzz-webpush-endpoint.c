/* libFuzzer target: endpoint URL policy, the allowed-networks list and
   the address policy. Input: url NUL networks NUL 16 octets of an
   address (IPv6, or IPv4 when 4 octets). */

#include "fuzz-common.h"
#include "net.h"
#include "webpush-endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webpush_endpoint_settings *set = NULL;
	struct webpush_endpoint *ep;
	const char *fields[3], *error;
	struct ip_addr ip;
	pool_t pool;

	fuzz_lib_init();
	pool = pool_alloconly_create("fuzz endpoint", 1024);
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 3);
		if (webpush_endpoint_settings_parse("yes", fields[1], pool,
						    &set, &error) < 0)
			set = NULL;
		if (fields[0] != NULL &&
		    webpush_endpoint_parse(fields[0], set, pool, &ep,
					   &error) == 0) {
			i_assert(ep->origin != NULL && ep->path[0] == '/');
			i_assert(strlen(fields[0]) <= WEBPUSH_ENDPOINT_MAX_LEN);
		}
		if (fields[2] != NULL) {
			size_t len = strlen(fields[2]);

			i_zero(&ip);
			if (len >= 16) {
				ip.family = AF_INET6;
				memcpy(&ip.u.ip6, fields[2], 16);
			} else if (len >= 4) {
				ip.family = AF_INET;
				memcpy(&ip.u.ip4, fields[2], 4);
			}
			if (ip.family != 0) {
				(void)webpush_address_check(&ip, set);
				(void)webpush_address_check(&ip, NULL);
			}
		}
	} T_END;
	pool_unref(&pool);
	return 0;
}
