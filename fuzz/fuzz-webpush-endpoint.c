/* libFuzzer target: endpoint URL policy and address policy. Input: url
   NUL allowed-networks NUL address octets (4: IPv4, 16: IPv6, else both
   from the first octets). Checks the contract: an accepted URL is
   normalized idempotently, within 512 octets, starts with its origin. */

#include "fuzz-common.h"
#include "net.h"
#include "webpush-endpoint.h"

static void check_url(const char *url, const struct webpush_endpoint_settings *set)
{
	struct webpush_endpoint *ep, *ep2;
	const char *error;

	if (webpush_endpoint_parse(url, set, pool_datastack_create(),
				   &ep, &error) < 0) {
		i_assert(error != NULL);
		return;
	}
	i_assert(strlen(url) <= WEBPUSH_ENDPOINT_MAX_LEN);
	i_assert(strcmp(ep->scheme, "https") == 0 ||
		 (set->allow_http && strcmp(ep->scheme, "http") == 0));
	i_assert(ep->port != 0);
	i_assert(*ep->host != '\0');
	i_assert(ep->path[0] == '/');
	i_assert(strncmp(ep->url, ep->origin, strlen(ep->origin)) == 0);
	/* the normalized URL parses to itself */
	i_assert(strlen(ep->url) <= WEBPUSH_ENDPOINT_MAX_LEN);
	i_assert(webpush_endpoint_parse(ep->url, set, pool_datastack_create(),
					&ep2, &error) == 0);
	i_assert(strcmp(ep2->url, ep->url) == 0);
	i_assert(strcmp(ep2->origin, ep->origin) == 0);
	i_assert(ep2->port == ep->port);
	if (ep->host_is_ip)
		(void)webpush_address_check(&ep->host_ip, set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fields[3], *error;
	struct webpush_endpoint_settings *set;
	struct ip_addr ips[2];
	const struct ip_addr *ip;
	unsigned char raw[16];
	size_t raw_len;

	fuzz_lib_init();
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 3);
		if (webpush_endpoint_settings_parse(
			(size & 1) != 0 ? "yes" : "no", fields[1],
			pool_datastack_create(), &set, &error) < 0) {
			i_assert(error != NULL);
			(void)webpush_endpoint_settings_parse(
				"yes", NULL, pool_datastack_create(),
				&set, &error);
		}
		if (fields[0] != NULL)
			check_url(fields[0], set);

		memset(raw, 0, sizeof(raw));
		raw_len = fields[2] == NULL ? 0 : strlen(fields[2]);
		if (raw_len > sizeof(raw))
			raw_len = sizeof(raw);
		if (raw_len > 0)
			memcpy(raw, fields[2], raw_len);
		i_zero(&ips[0]);
		ips[0].family = AF_INET;
		memcpy(&ips[0].u.ip4, raw, 4);
		i_zero(&ips[1]);
		ips[1].family = AF_INET6;
		memcpy(&ips[1].u.ip6, raw, 16);
		(void)webpush_address_check(&ips[0], set);
		(void)webpush_address_check(&ips[1], set);
		if (webpush_address_pick(ips, 2, set, &ip, &error) == 0)
			i_assert(ip == &ips[0] || ip == &ips[1]);
		else
			i_assert(error != NULL);
	} T_END;
	return 0;
}
