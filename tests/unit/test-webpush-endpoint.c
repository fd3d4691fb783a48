/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "net.h"
#include "str.h"
#include "test-common.h"
#include "webpush-endpoint.h"

/* Address policy table: every refused range with its first and last
   address, and the nearest public neighbours. reason is a substring of
   the expected reason, NULL when the address is allowed. */
static const struct {
	const char *addr;
	const char *reason;
} address_tests[] = {
	/* IPv4 */
	{ "0.0.0.0", "unspecified" },
	{ "0.0.0.1", "this network" },
	{ "0.255.255.255", "this network" },
	{ "1.0.0.0", NULL },
	{ "9.255.255.255", NULL },
	{ "10.0.0.0", "private" },
	{ "10.255.255.255", "private" },
	{ "11.0.0.0", NULL },
	{ "100.63.255.255", NULL },
	{ "100.64.0.0", "CGNAT" },
	{ "100.127.255.255", "CGNAT" },
	{ "100.128.0.0", NULL },
	{ "126.255.255.255", NULL },
	{ "127.0.0.0", "loopback" },
	{ "127.0.0.1", "loopback" },
	{ "127.255.255.255", "loopback" },
	{ "128.0.0.0", NULL },
	{ "169.253.255.255", NULL },
	{ "169.254.0.0", "link-local" },
	{ "169.254.255.255", "link-local" },
	{ "169.255.0.0", NULL },
	{ "172.15.255.255", NULL },
	{ "172.16.0.0", "private" },
	{ "172.31.255.255", "private" },
	{ "172.32.0.0", NULL },
	{ "191.255.255.255", NULL },
	{ "192.0.0.0", "IETF protocol assignments" },
	{ "192.0.0.255", "IETF protocol assignments" },
	{ "192.0.1.0", NULL },
	{ "192.0.1.255", NULL },
	{ "192.0.2.0", "documentation" },
	{ "192.0.2.255", "documentation" },
	{ "192.0.3.0", NULL },
	{ "192.88.98.255", NULL },
	{ "192.88.99.0", "6to4 relay" },
	{ "192.88.99.255", "6to4 relay" },
	{ "192.88.100.0", NULL },
	{ "192.167.255.255", NULL },
	{ "192.168.0.0", "private" },
	{ "192.168.255.255", "private" },
	{ "192.169.0.0", NULL },
	{ "198.17.255.255", NULL },
	{ "198.18.0.0", "benchmarking" },
	{ "198.19.255.255", "benchmarking" },
	{ "198.20.0.0", NULL },
	{ "198.51.99.255", NULL },
	{ "198.51.100.0", "documentation" },
	{ "198.51.100.255", "documentation" },
	{ "198.51.101.0", NULL },
	{ "203.0.112.255", NULL },
	{ "203.0.113.0", "documentation" },
	{ "203.0.113.255", "documentation" },
	{ "203.0.114.0", NULL },
	{ "223.255.255.255", NULL },
	{ "224.0.0.0", "multicast" },
	{ "239.255.255.255", "multicast" },
	{ "240.0.0.0", "reserved (240" },
	{ "255.255.255.254", "reserved (240" },
	{ "255.255.255.255", "broadcast" },
	{ "8.8.8.8", NULL },
	{ "93.184.216.34", NULL },

	/* IPv6 */
	{ "::", "unspecified" },
	{ "::1", "loopback" },
	{ "::2", "IPv4-compatible" },
	/* IPv4-compatible ::/96: embedded address checked, else refused */
	{ "::127.0.0.1", "IPv4-compatible form of 127.0.0.1: loopback" },
	{ "::10.1.2.3", "IPv4-compatible form of 10.1.2.3: private" },
	{ "::ffff:ffff", "IPv4-compatible form of 255.255.255.255: broadcast" },
	{ "::ffff", "IPv4-compatible form of 0.0.255.255: reserved (this" },
	{ "::1:0", "IPv4-compatible form of 0.1.0.0: reserved (this" },
	{ "::8.8.8.8", "deprecated IPv4-compatible" },
	/* IPv4-mapped ::ffff:0:0/96 */
	{ "::ffff:0.0.0.0", "IPv4-mapped form of 0.0.0.0: unspecified" },
	{ "::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1: loopback" },
	{ "::ffff:10.0.0.0", "IPv4-mapped form of 10.0.0.0: private" },
	{ "::ffff:169.254.1.1", "IPv4-mapped form of 169.254.1.1: link-local" },
	{ "::ffff:100.64.0.0", "CGNAT" },
	{ "::ffff:192.168.255.255", "private" },
	{ "::ffff:255.255.255.255", "broadcast" },
	{ "::ffff:224.0.0.1", "multicast" },
	{ "::ffff:198.18.0.1", "benchmarking" },
	{ "::ffff:203.0.113.9", "documentation" },
	{ "::ffff:8.8.8.8", NULL },
	{ "::1:0:0", "reserved (not global unicast" },
	{ "::fffe:808:808", "reserved (not global unicast" },
	/* NAT64 64:ff9b::/96 */
	{ "64:ff9b::", "NAT64 form of 0.0.0.0: unspecified" },
	{ "64:ff9b::7f00:1", "NAT64 form of 127.0.0.1: loopback" },
	{ "64:ff9b::a00:1", "NAT64 form of 10.0.0.1: private" },
	{ "64:ff9b::c0a8:101", "NAT64 form of 192.168.1.1: private" },
	{ "64:ff9b::ffff:ffff", "NAT64 form of 255.255.255.255: broadcast" },
	{ "64:ff9b::808:808", NULL },
	{ "64:ff9b::1:0:0", "reserved (not global unicast" },
	{ "64:ff9b:1::", "local-use NAT64" },
	{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "local-use NAT64" },
	/* 6to4 2002::/16, embedded address in bits 16..47 */
	{ "2002::", "6to4 form of 0.0.0.0: unspecified" },
	{ "2002:7f00:1::", "6to4 form of 127.0.0.1: loopback" },
	{ "2002:a00:1::1", "6to4 form of 10.0.0.1: private" },
	{ "2002:c0a8:101::", "6to4 form of 192.168.1.1: private" },
	{ "2002:a9fe:101::", "link-local" },
	{ "2002:6440::", "CGNAT" },
	{ "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "broadcast" },
	{ "2002:808:808::1", NULL },
	/* Teredo 2001::/32 */
	{ "2001::", "Teredo" },
	{ "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "Teredo" },
	{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo" },
	/* benchmarking 2001:2::/48 */
	{ "2001:2::", "benchmarking" },
	{ "2001:2:0:ffff:ffff:ffff:ffff:ffff", "benchmarking" },
	{ "2001:2:1::", "IETF protocol assignments" },
	/* rest of 2001::/23 */
	{ "2001:1::", "IETF protocol assignments" },
	{ "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "IETF protocol assignments" },
	{ "2001:200::", NULL },
	/* documentation 2001:db8::/32 */
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "2001:db8::", "documentation" },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation" },
	{ "2001:db9::", NULL },
	/* documentation 3fff::/20 */
	{ "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "3fff::", "documentation" },
	{ "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "documentation" },
	{ "3fff:1000::", NULL },
	/* global unicast 2000::/3 */
	{ "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not global unicast" },
	{ "2000::", NULL },
	{ "2a00:1450:4001:82b::200e", NULL },
	{ "4000::", "not global unicast" },
	{ "100::", "not global unicast" },
	{ "5f00::1", "not global unicast" },
	/* unique local fc00::/7 */
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not global unicast" },
	{ "fc00::", "unique local" },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local" },
	/* link-local fe80::/10 */
	{ "fe80::", "link-local" },
	{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local" },
	/* site-local fec0::/10 */
	{ "fec0::", "site-local" },
	{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "site-local" },
	/* multicast ff00::/8 */
	{ "ff00::", "multicast" },
	{ "ff02::1", "multicast" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast" },
};

static void test_address_table(void)
{
	struct ip_addr ip;
	const char *reason;
	unsigned int i;

	test_begin("address policy table");
	for (i = 0; i < N_ELEMENTS(address_tests); i++) {
		test_assert_idx(net_addr2ip(address_tests[i].addr, &ip) == 0, i);
		reason = webpush_address_check(&ip, NULL);
		if (address_tests[i].reason == NULL) {
			if (reason != NULL)
				i_error("%s: refused: %s",
					address_tests[i].addr, reason);
			test_assert_idx(reason == NULL, i);
		} else {
			if (reason == NULL ||
			    strstr(reason, address_tests[i].reason) == NULL)
				i_error("%s: expected '%s', got '%s'",
					address_tests[i].addr,
					address_tests[i].reason,
					reason == NULL ? "allowed" : reason);
			test_assert_idx(reason != NULL &&
					strstr(reason, address_tests[i].reason) != NULL, i);
		}
	}
	i_zero(&ip);
	test_assert(webpush_address_check(&ip, NULL) != NULL);
	test_end();
}

static struct webpush_endpoint_settings *
settings(const char *allow_http, const char *networks)
{
	struct webpush_endpoint_settings *set;
	const char *error;

	if (webpush_endpoint_settings_parse(allow_http, networks,
					    pool_datastack_create(),
					    &set, &error) < 0)
		i_fatal("settings: %s", error);
	return set;
}

static void test_allowed_networks(void)
{
	static const struct {
		const char *networks;
		const char *addr;
		bool allowed;
	} tests[] = {
		{ "127.0.0.1", "127.0.0.1", TRUE },
		{ "127.0.0.1", "127.0.0.2", FALSE },
		{ "127.0.0.1", "::ffff:127.0.0.1", TRUE },
		{ "127.0.0.1", "::1", FALSE },
		{ "127.0.0.1", "64:ff9b::7f00:1", FALSE },
		{ "127.0.0.1", "2002:7f00:1::", FALSE },
		{ "10.1.0.0/16", "10.1.0.0", TRUE },
		{ "10.1.0.0/16", "10.1.255.255", TRUE },
		{ "10.1.0.0/16", "10.0.255.255", FALSE },
		{ "10.1.0.0/16", "10.2.0.0", FALSE },
		{ "192.168.1.0/24 fd00:1::/64", "fd00:1::5", TRUE },
		{ "192.168.1.0/24 fd00:1::/64", "fd00:1:0:1::5", FALSE },
		{ "192.168.1.0/24,fd00:1::/64", "192.168.1.200", TRUE },
		{ "192.168.1.0/24\tfd00:1::/64", "192.168.2.1", FALSE },
		{ "::1", "::1", TRUE },
		{ "::ffff:10.0.0.0/104", "10.0.0.1", TRUE },
		{ "::ffff:10.0.0.0/104", "172.16.0.1", FALSE },
		{ "0.0.0.0/0", "10.9.8.7", TRUE },
		{ "0.0.0.0/0", "fe80::1", FALSE },
		{ "::/0", "fe80::1", TRUE },
		{ "", "127.0.0.1", FALSE },
	};
	struct webpush_endpoint_settings *set;
	struct ip_addr ip;
	unsigned int i;

	test_begin("webpush_allowed_networks exempts networks");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		set = settings(NULL, tests[i].networks);
		test_assert_idx(net_addr2ip(tests[i].addr, &ip) == 0, i);
		test_assert_idx((webpush_address_check(&ip, set) == NULL) ==
				tests[i].allowed, i);
	}
	test_end();
}

static void test_settings_errors(void)
{
	static const struct {
		const char *allow_http, *networks, *error;
	} tests[] = {
		{ "maybe", NULL, "Invalid webpush_allow_http value 'maybe'" },
		{ NULL, "10.0.0.0/33", "Invalid webpush_allowed_networks: '10.0.0.0/33': prefix length must be 0..32" },
		{ NULL, "::/129", "prefix length must be 0..128" },
		{ NULL, "10.0.0.0/", "prefix length" },
		{ NULL, "10.0.0.0/x", "prefix length" },
		{ NULL, "10.0.0.1/8", "'10.0.0.1/8': address has bits set beyond the /8 prefix" },
		{ NULL, "fd00::1/8", "bits set beyond" },
		{ NULL, "example.com", "'example.com' is not an IPv4 or IPv6 address" },
		{ NULL, "10.0.0.0/8 bogus/8", "'bogus/8': 'bogus' is not" },
		{ NULL, "::ffff:10.0.0.0/8", "at least 96" },
	};
	struct webpush_endpoint_settings *set;
	const char *error;
	unsigned int i;

	test_begin("settings errors");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		test_assert_idx(webpush_endpoint_settings_parse(
			tests[i].allow_http, tests[i].networks,
			pool_datastack_create(), &set, &error) < 0, i);
		test_assert_idx(error != NULL &&
				strstr(error, tests[i].error) != NULL, i);
		if (error != NULL && strstr(error, tests[i].error) == NULL)
			i_error("got: %s", error);
	}
	set = settings("yes", NULL);
	test_assert(set->allow_http);
	test_assert(array_count(&set->allowed_networks) == 0);
	set = settings("YES", "");
	test_assert(set->allow_http);
	set = settings("no", " 10.0.0.0/8   fd00::/8 ");
	test_assert(!set->allow_http);
	test_assert(array_count(&set->allowed_networks) == 2);
	set = settings(NULL, NULL);
	test_assert(!set->allow_http);
	set = settings("", NULL);
	test_assert(!set->allow_http);
	test_end();
}

static void test_address_pick(void)
{
	struct ip_addr ips[3];
	const struct ip_addr *ip;
	const char *error;

	test_begin("pick the first allowed address");
	test_assert(net_addr2ip("10.0.0.1", &ips[0]) == 0);
	test_assert(net_addr2ip("fe80::1", &ips[1]) == 0);
	test_assert(net_addr2ip("2a00:1450:4001:82b::200e", &ips[2]) == 0);
	test_assert(webpush_address_pick(ips, 3, NULL, &ip, &error) == 0);
	test_assert(ip == &ips[2]);
	test_assert(webpush_address_pick(ips, 2, NULL, &ip, &error) < 0);
	test_assert_strcmp(error, "every address is refused: "
			   "10.0.0.1 is private (10.0.0.0/8), "
			   "fe80::1 is link-local");
	test_assert(webpush_address_pick(ips, 0, NULL, &ip, &error) < 0);
	test_assert_strcmp(error, "no addresses");
	/* an exempt network makes the first one acceptable */
	test_assert(webpush_address_pick(ips, 3, settings(NULL, "10.0.0.0/8"),
					 &ip, &error) == 0);
	test_assert(ip == &ips[0]);
	test_end();
}

static void test_url_ok(void)
{
	static const struct {
		const char *url;
		bool allow_http;
		const char *norm, *scheme, *host, *path, *origin;
		in_port_t port;
		const char *ip;
	} tests[] = {
		{ "https://push.example.net/wpush/v2/abc", FALSE,
		  "https://push.example.net/wpush/v2/abc", "https",
		  "push.example.net", "/wpush/v2/abc",
		  "https://push.example.net", 443, NULL },
		{ "HTTPS://Push.Example.NET:443/A?b=C", FALSE,
		  "https://push.example.net/A?b=C", "https",
		  "push.example.net", "/A?b=C",
		  "https://push.example.net", 443, NULL },
		{ "https://push.example.net:8443", FALSE,
		  "https://push.example.net:8443/", "https",
		  "push.example.net", "/",
		  "https://push.example.net:8443", 8443, NULL },
		{ "https://push.example.net?x", FALSE,
		  "https://push.example.net/?x", "https",
		  "push.example.net", "/?x",
		  "https://push.example.net", 443, NULL },
		{ "https://[::1]:8443/push/1", FALSE,
		  "https://[::1]:8443/push/1", "https", "::1", "/push/1",
		  "https://[::1]:8443", 8443, "::1" },
		{ "https://[2001:DB8::A]/p", FALSE,
		  "https://[2001:db8::a]/p", "https", "2001:db8::a", "/p",
		  "https://[2001:db8::a]", 443, "2001:db8::a" },
		{ "https://[::ffff:127.0.0.1]:1/", FALSE,
		  "https://[::ffff:127.0.0.1]:1/", "https", "::ffff:127.0.0.1",
		  "/", "https://[::ffff:127.0.0.1]:1", 1, "::ffff:127.0.0.1" },
		{ "https://127.0.0.1:65535/x%2Fy", FALSE,
		  "https://127.0.0.1:65535/x%2Fy", "https", "127.0.0.1",
		  "/x%2Fy", "https://127.0.0.1:65535", 65535, "127.0.0.1" },
		{ "http://127.0.0.1:8080/p", TRUE,
		  "http://127.0.0.1:8080/p", "http", "127.0.0.1", "/p",
		  "http://127.0.0.1:8080", 8080, "127.0.0.1" },
		{ "Http://LAN-push_1.local:80/p", TRUE,
		  "http://lan-push_1.local/p", "http", "lan-push_1.local", "/p",
		  "http://lan-push_1.local", 80, NULL },
		{ "http://push.example:443/", TRUE,
		  "http://push.example:443/", "http", "push.example", "/",
		  "http://push.example:443", 443, NULL },
		{ "https://push.example:80/", FALSE,
		  "https://push.example:80/", "https", "push.example", "/",
		  "https://push.example:80", 80, NULL },
		{ "https://a/!$&'()*+,;=:@~-._?/", FALSE,
		  "https://a/!$&'()*+,;=:@~-._?/", "https", "a",
		  "/!$&'()*+,;=:@~-._?/", "https://a", 443, NULL },
		{ "https://1host.example/", FALSE,
		  "https://1host.example/", "https", "1host.example", "/",
		  "https://1host.example", 443, NULL },
	};
	struct webpush_endpoint_settings set;
	struct webpush_endpoint *ep;
	struct ip_addr ip;
	const char *error;
	unsigned int i;

	test_begin("endpoint URLs accepted");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		i_zero(&set);
		set.allow_http = tests[i].allow_http;
		error = NULL;
		if (webpush_endpoint_parse(tests[i].url, &set,
					   pool_datastack_create(),
					   &ep, &error) < 0) {
			i_error("%s: %s", tests[i].url, error);
			test_assert_idx(FALSE, i);
			continue;
		}
		test_assert_strcmp_idx(ep->url, tests[i].norm, i);
		test_assert_strcmp_idx(ep->scheme, tests[i].scheme, i);
		test_assert_strcmp_idx(ep->host, tests[i].host, i);
		test_assert_strcmp_idx(ep->path, tests[i].path, i);
		test_assert_strcmp_idx(ep->origin, tests[i].origin, i);
		test_assert_idx(ep->port == tests[i].port, i);
		test_assert_idx(ep->host_is_ip == (tests[i].ip != NULL), i);
		if (tests[i].ip != NULL) {
			test_assert_idx(net_addr2ip(tests[i].ip, &ip) == 0, i);
			test_assert_idx(net_ip_compare(&ip, &ep->host_ip), i);
		}
	}
	test_end();
}

static void test_url_refused(void)
{
	static const struct {
		const char *url;
		const char *error;
	} tests[] = {
		{ "", "endpoint is empty" },
		{ "http://push.example/", "http endpoints are not allowed" },
		{ "ftp://push.example/", "scheme 'ftp' is not allowed" },
		{ "javascript:alert(1)", "not an absolute URL" },
		{ "push.example/x", "not an absolute URL" },
		{ "//push.example/x", "not an absolute URL" },
		{ "://push.example/x", "scheme '' is not allowed" },
		{ "https:push.example", "not an absolute URL" },
		{ "https://user@push.example/", "userinfo" },
		{ "https://user:pw@push.example/", "userinfo" },
		{ "https://@push.example/", "userinfo" },
		{ "https://evil.example@127.0.0.1/", "userinfo" },
		{ "https://push.example/a@b", NULL },
		{ "https:///path", "missing host" },
		{ "https://", "missing host" },
		{ "https://:443/", "missing host" },
		{ "https://?x", "missing host" },
		{ "https://push.example:/", "empty port" },
		{ "https://push.example:0/", "port must be 1..65535" },
		{ "https://push.example:65536/", "port must be 1..65535" },
		{ "https://push.example:000443/", "port must be 1..65535" },
		{ "https://push.example:-1/", "port is not a number" },
		{ "https://push.example:44a/", "port is not a number" },
		{ "https://push.example:443:443/", "port is not a number" },
		{ "https://[::1]:0/", "port must be 1..65535" },
		{ "https://[::1/", "closing ']'" },
		{ "https://[::1]x/", "unexpected characters after" },
		{ "https://[fe80::1%25eth0]/", "invalid IPv6 address literal" },
		{ "https://[127.0.0.1]/", "invalid IPv6 address literal" },
		{ "https://[:::]/", "invalid IPv6 address literal" },
		{ "https://::1/", "missing host" },
		{ "https://127.1/", "neither a DNS name nor a dotted-quad" },
		{ "https://0x7f.0.0.1/", "neither a DNS name nor a dotted-quad" },
		{ "https://2130706433/", "neither a DNS name nor a dotted-quad" },
		{ "https://127.000.0.1/", "neither a DNS name nor a dotted-quad" },
		{ "https://256.0.0.1/", "neither a DNS name nor a dotted-quad" },
		{ "https://1.2.3.4.5/", "neither a DNS name nor a dotted-quad" },
		{ "https://push..example/", "empty label" },
		{ "https://push.example./", "empty label" },
		{ "https://.push.example/", "empty label" },
		{ "https://push%2eexample/", "invalid character '%'" },
		{ "https://push\\.example/", "invalid character '\\'" },
		{ "https://push.example\\@evil/", "userinfo" },
		{ "https://push example/", "space" },
		{ "https://push.example/a b", "space" },
		{ "https://push.example/\x01", "control character" },
		{ "https://p\xc3\xbcsh.example/", "non-ASCII" },
		{ "https://push.example/#frag", "fragment" },
		{ "https://push.example#frag", "fragment" },
		{ "https://push.example/a%zz", "invalid %-encoding" },
		{ "https://push.example/a%2", "invalid %-encoding" },
		{ "https://push.example/a\"b", "invalid character '\"'" },
		{ "https://push.example/a<b>", "invalid character '<'" },
		{ "https://push.example/a[0]", "invalid character '['" },
		{ "https://push.example/a{b}", "invalid character '{'" },
		{ "https://push.example/a^b", "invalid character '^'" },
	};
	struct webpush_endpoint *ep;
	const char *error;
	unsigned int i;

	test_begin("endpoint URLs refused");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		error = NULL;
		int ret = webpush_endpoint_parse(tests[i].url, NULL,
						 pool_datastack_create(),
						 &ep, &error);
		if (tests[i].error == NULL) {
			test_assert_idx(ret == 0, i);
			continue;
		}
		test_assert_idx(ret < 0, i);
		if (ret == 0 || strstr(error, tests[i].error) == NULL)
			i_error("%s: expected '%s', got '%s'", tests[i].url,
				tests[i].error, ret == 0 ? "accepted" : error);
		test_assert_idx(ret < 0 && strstr(error, tests[i].error) != NULL, i);
	}
	test_end();
}

static void test_url_length(void)
{
	struct webpush_endpoint *ep;
	const char *prefix = "https://push.example/", *url, *error;
	string_t *str = t_str_new(600);

	test_begin("endpoint URL length 512/513");
	str_append(str, prefix);
	while (str_len(str) < WEBPUSH_ENDPOINT_MAX_LEN)
		str_append_c(str, 'a');
	url = t_strdup(str_c(str));
	test_assert(strlen(url) == 512);
	test_assert(webpush_endpoint_parse(url, NULL, pool_datastack_create(),
					   &ep, &error) == 0);
	test_assert(strlen(ep->url) == 512);
	str_append_c(str, 'a');
	test_assert(str_len(str) == 513);
	test_assert(webpush_endpoint_parse(str_c(str), NULL,
					   pool_datastack_create(),
					   &ep, &error) < 0);
	test_assert_strcmp(error, "endpoint is longer than 512 octets");

	/* host name limits: labels of 63/64 octets */
	str_truncate(str, 0);
	str_append(str, "https://");
	for (unsigned int i = 0; i < 63; i++)
		str_append_c(str, 'a');
	str_append(str, ".example/");
	test_assert(webpush_endpoint_parse(str_c(str), NULL,
					   pool_datastack_create(),
					   &ep, &error) == 0);
	str_insert(str, strlen("https://"), "a");
	test_assert(webpush_endpoint_parse(str_c(str), NULL,
					   pool_datastack_create(),
					   &ep, &error) < 0);
	test_assert(strstr(error, "longer than 63") != NULL);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_address_table,
		test_allowed_networks,
		test_settings_errors,
		test_address_pick,
		test_url_ok,
		test_url_refused,
		test_url_length,
		NULL
	};
	return test_run(test_functions);
}
