/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include <ctype.h>
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
#include "net.h"
#include "webpush-endpoint.h"

#define HTTPS_PORT 443
#define HTTP_PORT 80
#define DNS_NAME_MAX_LEN 253
#define DNS_LABEL_MAX_LEN 63

/*
 * Settings
 */

static int parse_bool(const char *value, bool *result_r)
{
	if (value == NULL || *value == '\0') {
		*result_r = FALSE;
		return 0;
	}
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
	    strcmp(value, "1") == 0) {
		*result_r = TRUE;
		return 0;
	}
	if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 ||
	    strcmp(value, "0") == 0) {
		*result_r = FALSE;
		return 0;
	}
	return -1;
}

static bool ip_host_bits_zero(const struct ip_addr *ip, unsigned int bits)
{
	const unsigned char *p;
	unsigned int i, size;

	if (IPADDR_IS_V4(ip)) {
		p = (const void *)&ip->u.ip4;
		size = 4;
	} else {
		p = (const void *)&ip->u.ip6;
		size = 16;
	}
	for (i = bits / 8; i < size; i++) {
		unsigned char mask = 0xff;

		if (i == bits / 8)
			mask = 0xff >> (bits % 8);
		if ((p[i] & mask) != 0)
			return FALSE;
	}
	return TRUE;
}

static int
network_parse(const char *item, struct webpush_network *net_r,
	      const char **error_r)
{
	struct ip_addr ip, ip4;
	const char *addr, *p;
	unsigned int bits;

	p = strchr(item, '/');
	addr = p == NULL ? item : t_strdup_until(item, p);
	if (net_addr2ip(addr, &ip) < 0 || ip.family == 0) {
		*error_r = t_strdup_printf(
			"'%s': '%s' is not an IPv4 or IPv6 address",
			str_sanitize_utf8(item, 128), str_sanitize_utf8(addr, 128));
		return -1;
	}
	if (p == NULL)
		bits = IPADDR_BITS(&ip);
	else if (str_to_uint(p + 1, &bits) < 0 || bits > IPADDR_BITS(&ip)) {
		*error_r = t_strdup_printf(
			"'%s': prefix length must be 0..%u",
			str_sanitize_utf8(item, 128), IPADDR_BITS(&ip));
		return -1;
	}
	if (IPADDR_IS_V6(&ip) && net_ipv6_mapped_ipv4_convert(&ip, &ip4) == 0) {
		/* ::ffff:a.b.c.d/n: store as the IPv4 network, since
		   net_is_in_network() converts the checked address. */
		if (bits < 96) {
			*error_r = t_strdup_printf(
				"'%s': an IPv4-mapped network needs a prefix "
				"of at least 96", str_sanitize_utf8(item, 128));
			return -1;
		}
		ip = ip4;
		bits -= 96;
	}
	if (!ip_host_bits_zero(&ip, bits)) {
		*error_r = t_strdup_printf(
			"'%s': address has bits set beyond the /%u prefix",
			str_sanitize_utf8(item, 128), bits);
		return -1;
	}
	i_zero(net_r);
	net_r->ip = ip;
	net_r->bits = bits;
	return 0;
}

int webpush_networks_parse(const char *str, pool_t pool,
			   ARRAY_TYPE(webpush_network) *networks,
			   const char **error_r)
{
	const char *const *items;
	struct webpush_network net;

	if (!array_is_created(networks))
		p_array_init(networks, pool, 4);
	if (str == NULL)
		return 0;
	items = t_strsplit_spaces(str, " \t,");
	for (; *items != NULL; items++) {
		if (network_parse(*items, &net, error_r) < 0)
			return -1;
		array_push_back(networks, &net);
	}
	return 0;
}

int webpush_endpoint_settings_parse(const char *allow_http,
				    const char *allowed_networks, pool_t pool,
				    struct webpush_endpoint_settings **set_r,
				    const char **error_r)
{
	struct webpush_endpoint_settings *set;
	const char *error;

	set = p_new(pool, struct webpush_endpoint_settings, 1);
	if (parse_bool(allow_http, &set->allow_http) < 0) {
		*error_r = t_strdup_printf(
			"Invalid %s value '%s': use yes or no",
			WEBPUSH_SETTING_ALLOW_HTTP,
			str_sanitize_utf8(allow_http, 64));
		return -1;
	}
	if (webpush_networks_parse(allowed_networks, pool,
				   &set->allowed_networks, &error) < 0) {
		*error_r = t_strdup_printf(
			"Invalid %s: %s (expected a space-separated list of "
			"CIDR networks such as 10.1.0.0/16 or fd00::/8)",
			WEBPUSH_SETTING_ALLOWED_NETWORKS, error);
		return -1;
	}
	*set_r = set;
	return 0;
}

/*
 * URL parsing
 */

static bool url_char_is_allowed(char c)
{
	/* RFC 3986 unreserved, sub-delims, ':', '@', '/', '?' and '%'
	   (checked separately as pct-encoded). */
	if (i_isalnum(c))
		return TRUE;
	return strchr("-._~!$&'()*+,;=:@/?%", c) != NULL && c != '\0';
}

/* Strict dotted-quad: four decimal parts 0..255 without leading zeros. */
static bool parse_dotted_quad(const char *host, struct ip_addr *ip_r)
{
	unsigned int part = 0, value = 0, digits = 0;
	const char *p;

	for (p = host;; p++) {
		if (*p >= '0' && *p <= '9') {
			if (digits > 0 && value == 0)
				return FALSE;
			value = value * 10 + (*p - '0');
			if (++digits > 3 || value > 255)
				return FALSE;
		} else if (*p == '.' || *p == '\0') {
			if (digits == 0)
				return FALSE;
			part++;
			if (*p == '\0')
				break;
			if (part == 4)
				return FALSE;
			value = digits = 0;
		} else {
			return FALSE;
		}
	}
	if (part != 4)
		return FALSE;
	return net_addr2ip(host, ip_r) == 0 && IPADDR_IS_V4(ip_r);
}

static int
parse_dns_host(const char *host, const char **error_r)
{
	const char *p, *label = host, *last_label = host;

	if (strlen(host) > DNS_NAME_MAX_LEN) {
		*error_r = "host name is longer than 253 octets";
		return -1;
	}
	for (p = host;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label) {
				*error_r = "host name has an empty label";
				return -1;
			}
			if (p - label > DNS_LABEL_MAX_LEN) {
				*error_r = "host name label is longer than 63 octets";
				return -1;
			}
			last_label = label;
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!i_isalnum(*p) && *p != '-' && *p != '_') {
			*error_r = t_strdup_printf(
				"host contains an invalid character '%c'", *p);
			return -1;
		}
	}
	if (i_isdigit(last_label[0]) || strncmp(last_label, "0x", 2) == 0) {
		/* looks numeric (e.g. 127.1, 0x7f.1, 2130706433): resolvers
		   would read it as an address in some non-standard form */
		*error_r = "host is neither a DNS name nor a dotted-quad "
			"IPv4 address";
		return -1;
	}
	return 0;
}

static int
parse_authority(const char *auth, struct webpush_endpoint *ep,
		bool *explicit_port_r, const char **error_r)
{
	const char *host, *port_str, *end;
	unsigned int port;

	*explicit_port_r = FALSE;
	if (strchr(auth, '@') != NULL) {
		*error_r = "userinfo (user@ or user:password@) is not allowed";
		return -1;
	}
	if (auth[0] == '[') {
		const char *p;

		end = strchr(auth, ']');
		if (end == NULL) {
			*error_r = "IPv6 address lacks the closing ']'";
			return -1;
		}
		host = t_strdup_until(auth + 1, end);
		for (p = host; *p != '\0'; p++) {
			if (!i_isxdigit(*p) && *p != ':' && *p != '.') {
				*error_r = "invalid IPv6 address literal";
				return -1;
			}
		}
		if (net_addr2ip(host, &ep->host_ip) < 0 ||
		    !IPADDR_IS_V6(&ep->host_ip)) {
			*error_r = "invalid IPv6 address literal";
			return -1;
		}
		ep->host_is_ip = TRUE;
		end++;
		if (*end != '\0' && *end != ':') {
			*error_r = "unexpected characters after the IPv6 address";
			return -1;
		}
		port_str = *end == ':' ? end + 1 : NULL;
	} else {
		end = strchr(auth, ':');
		if (end == NULL) {
			host = auth;
			port_str = NULL;
		} else {
			host = t_strdup_until(auth, end);
			port_str = end + 1;
		}
		if (*host == '\0') {
			*error_r = "missing host";
			return -1;
		}
		if (parse_dotted_quad(host, &ep->host_ip))
			ep->host_is_ip = TRUE;
		else if (parse_dns_host(host, error_r) < 0)
			return -1;
	}
	ep->host = t_str_lcase(host);

	if (port_str != NULL) {
		const char *p;

		if (*port_str == '\0') {
			*error_r = "empty port after ':'";
			return -1;
		}
		for (p = port_str; *p != '\0'; p++) {
			if (!i_isdigit(*p)) {
				*error_r = "port is not a number";
				return -1;
			}
		}
		if (strlen(port_str) > 5 || str_to_uint(port_str, &port) < 0 ||
		    port == 0 || port > 65535) {
			*error_r = "port must be 1..65535";
			return -1;
		}
		ep->port = port;
		*explicit_port_r = TRUE;
	}
	return 0;
}

static int parse_path(const char *path, const char **error_r)
{
	const char *p;

	for (p = path; *p != '\0'; p++) {
		if (*p == '#') {
			*error_r = "fragment (#...) is not allowed";
			return -1;
		}
		if (!url_char_is_allowed(*p)) {
			*error_r = t_strdup_printf(
				"path contains an invalid character '%c'", *p);
			return -1;
		}
		if (*p == '%') {
			if (!i_isxdigit(p[1]) || !i_isxdigit(p[2])) {
				*error_r = "invalid %-encoding in path";
				return -1;
			}
			p += 2;
		}
	}
	return 0;
}

static int
endpoint_parse(const char *url, const struct webpush_endpoint_settings *set,
	       struct webpush_endpoint *ep, const char **error_r)
{
	const char *p, *sep, *scheme, *auth;
	in_port_t default_port;
	bool explicit_port;
	string_t *str;

	if (*url == '\0') {
		*error_r = "endpoint is empty";
		return -1;
	}
	if (strlen(url) > WEBPUSH_ENDPOINT_MAX_LEN) {
		*error_r = t_strdup_printf("endpoint is longer than %u octets",
					   WEBPUSH_ENDPOINT_MAX_LEN);
		return -1;
	}
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*error_r = "endpoint contains a space, a control "
				"character or a non-ASCII octet";
			return -1;
		}
	}

	sep = strstr(url, "://");
	if (sep == NULL) {
		*error_r = "endpoint is not an absolute URL (scheme://host/...)";
		return -1;
	}
	scheme = t_str_lcase(t_strdup_until(url, sep));
	if (strcmp(scheme, "https") == 0)
		default_port = HTTPS_PORT;
	else if (strcmp(scheme, "http") == 0) {
		if (set == NULL || !set->allow_http) {
			*error_r = t_strdup_printf(
				"http endpoints are not allowed, only https "
				"(%s = yes allows them for tests and LANs)",
				WEBPUSH_SETTING_ALLOW_HTTP);
			return -1;
		}
		default_port = HTTP_PORT;
	} else {
		*error_r = t_strdup_printf(
			"scheme '%s' is not allowed, only https",
			str_sanitize(scheme, 32));
		return -1;
	}
	ep->scheme = scheme;

	auth = sep + 3;
	p = auth + strcspn(auth, "/?#");
	if (parse_authority(t_strdup_until(auth, p), ep, &explicit_port,
			    error_r) < 0)
		return -1;
	if (!explicit_port)
		ep->port = default_port;

	if (parse_path(p, error_r) < 0)
		return -1;
	ep->path = *p == '/' ? p : t_strconcat("/", p, NULL);

	str = t_str_new(128);
	str_printfa(str, "%s://", scheme);
	if (IPADDR_IS_V6(&ep->host_ip) && ep->host_is_ip)
		str_printfa(str, "[%s]", ep->host);
	else
		str_append(str, ep->host);
	if (ep->port != default_port)
		str_printfa(str, ":%u", ep->port);
	ep->origin = t_strdup(str_c(str));
	str_append(str, ep->path);
	ep->url = str_c(str);
	return 0;
}

int webpush_endpoint_parse(const char *url,
			   const struct webpush_endpoint_settings *set,
			   pool_t pool, struct webpush_endpoint **endpoint_r,
			   const char **error_r)
{
	struct webpush_endpoint tmp, *ep;

	i_zero(&tmp);
	if (endpoint_parse(url, set, &tmp, error_r) < 0)
		return -1;
	ep = p_new(pool, struct webpush_endpoint, 1);
	*ep = tmp;
	ep->url = p_strdup(pool, tmp.url);
	ep->scheme = p_strdup(pool, tmp.scheme);
	ep->host = p_strdup(pool, tmp.host);
	ep->path = p_strdup(pool, tmp.path);
	ep->origin = p_strdup(pool, tmp.origin);
	*endpoint_r = ep;
	return 0;
}

/*
 * Address policy
 */

struct ip4_range {
	uint32_t net;
	unsigned int bits;
	const char *reason;
};

/* Checked in order: the first match gives the reason. */
static const struct ip4_range ip4_refused[] = {
	{ 0x00000000, 32, "unspecified" },
	{ 0xffffffff, 32, "broadcast" },
	{ 0x00000000, 8, "reserved (this network, 0.0.0.0/8)" },
	{ 0x0a000000, 8, "private (10.0.0.0/8)" },
	{ 0x64400000, 10, "shared address space (CGNAT, 100.64.0.0/10)" },
	{ 0x7f000000, 8, "loopback" },
	{ 0xa9fe0000, 16, "link-local" },
	{ 0xac100000, 12, "private (172.16.0.0/12)" },
	{ 0xc0000000, 24, "reserved (IETF protocol assignments, 192.0.0.0/24)" },
	{ 0xc0000200, 24, "documentation (192.0.2.0/24)" },
	{ 0xc0586300, 24, "reserved (6to4 relay anycast, 192.88.99.0/24)" },
	{ 0xc0a80000, 16, "private (192.168.0.0/16)" },
	{ 0xc6120000, 15, "benchmarking (198.18.0.0/15)" },
	{ 0xc6336400, 24, "documentation (198.51.100.0/24)" },
	{ 0xcb007100, 24, "documentation (203.0.113.0/24)" },
	{ 0xe0000000, 4, "multicast" },
	{ 0xf0000000, 4, "reserved (240.0.0.0/4)" },
};

static const char *ip4_check(uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(ip4_refused); i++) {
		uint32_t mask = ip4_refused[i].bits == 0 ? 0 :
			0xffffffffU << (32 - ip4_refused[i].bits);

		if ((addr & mask) == ip4_refused[i].net)
			return ip4_refused[i].reason;
	}
	return NULL;
}

static uint32_t get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | p[3];
}

static bool
prefix_match(const unsigned char *addr, const unsigned char *prefix,
	     unsigned int bits)
{
	unsigned int i;

	for (i = 0; i < bits / 8; i++) {
		if (addr[i] != prefix[i])
			return FALSE;
	}
	if (bits % 8 != 0) {
		unsigned char mask = 0xff << (8 - bits % 8);

		if ((addr[i] & mask) != (prefix[i] & mask))
			return FALSE;
	}
	return TRUE;
}

/* An IPv6 form that embeds an IPv4 address at offset v4_pos. */
static const char *
ip6_embedded_check(const unsigned char *b, unsigned int v4_pos,
		   const char *form)
{
	uint32_t v4 = get_be32(b + v4_pos);
	const char *reason = ip4_check(v4);

	if (reason == NULL)
		return NULL;
	return t_strdup_printf("%s form of %u.%u.%u.%u: %s", form,
			       b[v4_pos], b[v4_pos + 1], b[v4_pos + 2],
			       b[v4_pos + 3], reason);
}

struct ip6_range {
	unsigned char prefix[16];
	unsigned int bits;
	const char *reason;
};

/* Refused IPv6 ranges, checked in order after the special forms. */
static const struct ip6_range ip6_refused[] = {
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48,
	  "reserved (local-use NAT64, 64:ff9b:1::/48)" },
	{ { 0x20, 0x01, 0x00, 0x00 }, 32, "Teredo (2001::/32)" },
	{ { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 }, 48,
	  "benchmarking (2001:2::/48)" },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, "documentation (2001:db8::/32)" },
	{ { 0x20, 0x01, 0x00 }, 23,
	  "reserved (IETF protocol assignments, 2001::/23)" },
	{ { 0x3f, 0xff, 0x00 }, 20, "documentation (3fff::/20)" },
	{ { 0xfc }, 7, "private (unique local, fc00::/7)" },
	{ { 0xfe, 0x80 }, 10, "link-local" },
	{ { 0xfe, 0xc0 }, 10, "reserved (site-local, fec0::/10)" },
	{ { 0xff }, 8, "multicast" },
};

static const char *ip6_check(const unsigned char *b)
{
	static const unsigned char zero[12] = { 0 };
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = {
		0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char sixtofour[2] = { 0x20, 0x02 };
	const char *reason;
	unsigned int i;

	if (memcmp(b, zero, 12) == 0) {
		uint32_t v4 = get_be32(b + 12);

		if (v4 == 0)
			return "unspecified";
		if (v4 == 1)
			return "loopback";
		reason = ip6_embedded_check(b, 12, "IPv4-compatible");
		return reason != NULL ? reason :
			"reserved (deprecated IPv4-compatible, ::/96)";
	}
	if (memcmp(b, mapped, 12) == 0)
		return ip6_embedded_check(b, 12, "IPv4-mapped");
	if (memcmp(b, nat64, 12) == 0)
		return ip6_embedded_check(b, 12, "NAT64");
	if (prefix_match(b, sixtofour, 16))
		return ip6_embedded_check(b, 2, "6to4");

	for (i = 0; i < N_ELEMENTS(ip6_refused); i++) {
		if (prefix_match(b, ip6_refused[i].prefix, ip6_refused[i].bits))
			return ip6_refused[i].reason;
	}
	if ((b[0] & 0xe0) != 0x20)
		return "reserved (not global unicast 2000::/3)";
	return NULL;
}

const char *webpush_address_check(const struct ip_addr *ip,
				  const struct webpush_endpoint_settings *set)
{
	const struct webpush_network *net;

	if (!IPADDR_IS_V4(ip) && !IPADDR_IS_V6(ip))
		return "not an IPv4 or IPv6 address";

	if (set != NULL && array_is_created(&set->allowed_networks)) {
		array_foreach(&set->allowed_networks, net) {
			if (net_is_in_network(ip, &net->ip, net->bits))
				return NULL;
		}
	}
	if (IPADDR_IS_V4(ip))
		return ip4_check(ntohl(ip->u.ip4.s_addr));
	return ip6_check((const unsigned char *)&ip->u.ip6);
}

int webpush_address_pick(const struct ip_addr *ips, unsigned int count,
			 const struct webpush_endpoint_settings *set,
			 const struct ip_addr **ip_r, const char **error_r)
{
	string_t *reasons;
	const char *reason;
	unsigned int i;

	if (count == 0) {
		*error_r = "no addresses";
		return -1;
	}
	reasons = t_str_new(128);
	for (i = 0; i < count; i++) {
		reason = webpush_address_check(&ips[i], set);
		if (reason == NULL) {
			*ip_r = &ips[i];
			return 0;
		}
		if (i > 0)
			str_append(reasons, ", ");
		str_printfa(reasons, "%s is %s", net_ip2addr(&ips[i]), reason);
	}
	*error_r = t_strdup_printf("every address is refused: %s",
				   str_c(reasons));
	return -1;
}
