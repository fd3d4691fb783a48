#ifndef WEBPUSH_ENDPOINT_H
#define WEBPUSH_ENDPOINT_H

#include "net.h"

/* Web Push endpoint policy: which push endpoint URLs are acceptable and
   which resolved addresses a push request may connect to (SSRF guard).
   Pure code: no storage, no I/O, no name resolution.

   How the HTTP sender uses it:

   1. webpush_endpoint_parse() on the subscription's endpoint URL. Use
      endpoint->url (the normalized URL) as CURLOPT_URL, never the
      original string, so that curl and this parser agree on the host.
   2. When endpoint->host_is_ip, the address to use is endpoint->host_ip;
      otherwise resolve endpoint->host once (asynchronously).
   3. webpush_address_pick() on the resolved list: it returns the first
      allowed address or the reason every one was refused.
   4. Pin the connection to that address (CURLOPT_CONNECT_TO
      "host:port:addr:port" or CURLOPT_RESOLVE "host:port:addr", with
      IPv6 addresses in brackets) so that curl makes no second lookup, and
      never follow redirects (CURLOPT_FOLLOWLOCATION off).
*/

/* Longest accepted endpoint URL in octets (WP-04). */
#define WEBPUSH_ENDPOINT_MAX_LEN 512

/* Setting names, read by webpush_endpoint_settings_parse()'s caller. */
#define WEBPUSH_SETTING_ALLOW_HTTP "webpush_allow_http"
#define WEBPUSH_SETTING_ALLOWED_NETWORKS "webpush_allowed_networks"

struct webpush_network {
	/* Network address with the host bits zero; IPv4 networks are always
	   stored as AF_INET (an IPv4-mapped IPv6 network in the setting is
	   converted). */
	struct ip_addr ip;
	unsigned int bits;
};
ARRAY_DEFINE_TYPE(webpush_network, struct webpush_network);

struct webpush_endpoint_settings {
	/* webpush_allow_http = yes: accept http:// endpoints (tests and
	   LANs only; default no). */
	bool allow_http;
	/* webpush_allowed_networks: networks exempt from the address
	   policy (default: none). */
	ARRAY_TYPE(webpush_network) allowed_networks;
};

struct webpush_endpoint {
	/* The normalized URL: lower-case scheme and host, the port only when
	   given and not the default, then the path and query as given
	   (path "/" when the URL had none). Give this to curl. */
	const char *url;
	/* "https" or "http" (lower case). */
	const char *scheme;
	/* Host name (lower case) or IP literal, IPv6 without brackets. */
	const char *host;
	/* TRUE when host is an IP literal; host_ip is then that address. */
	bool host_is_ip;
	struct ip_addr host_ip;
	/* Port: the explicit one, or 443 for https, 80 for http. */
	in_port_t port;
	/* Path and query as given, starting with '/'; "/" when empty. */
	const char *path;
	/* The origin "scheme://host[:port]" with the port only when it is not
	   the scheme's default and IPv6 literals in brackets: the VAPID `aud`
	   claim (RFC 8292 section 2). */
	const char *origin;
};

/* Parses the values of the two settings (either may be NULL when unset)
   into *set_r, allocated from pool. webpush_allow_http accepts "yes" or
   "no" (also true/false, 1/0; case-insensitive; unset or empty = no).
   webpush_allowed_networks is a space (or comma) separated list of CIDR
   networks ("10.1.0.0/16 fd00:1::/64 127.0.0.1"); a bare address means
   that single address. Returns 0 on success, -1 with *error_r (data
   stack) naming the setting and the bad value. The plugin calls this in
   exactly one place. */
int webpush_endpoint_settings_parse(const char *allow_http,
				    const char *allowed_networks, pool_t pool,
				    struct webpush_endpoint_settings **set_r,
				    const char **error_r);

/* Parses a list of CIDR networks (the webpush_allowed_networks syntax)
   and appends them to networks. Returns 0, or -1 with *error_r naming the
   bad item (host bits set, prefix too long, not an address, ...).
   Errors are allocated from the data stack. */
int webpush_networks_parse(const char *str, pool_t pool,
			   ARRAY_TYPE(webpush_network) *networks,
			   const char **error_r);

/* Parses and checks an endpoint URL: http(s) only (http only with
   set->allow_http), at most WEBPUSH_ENDPOINT_MAX_LEN octets, printable
   ASCII only, no userinfo, no fragment, a host (DNS name of letters,
   digits, '-', '_' and '.', a dotted-quad IPv4 address or a bracketed IPv6
   address without zone), a port 1..65535 when given. Returns 0 with
   *endpoint_r allocated from pool, or -1 with a human-readable *error_r
   (data stack).
   set may be NULL (defaults: no http). This does not check the host's
   addresses: use webpush_address_check() or webpush_address_pick(). */
int webpush_endpoint_parse(const char *url,
			   const struct webpush_endpoint_settings *set,
			   pool_t pool, struct webpush_endpoint **endpoint_r,
			   const char **error_r);

/* Checks one address a push request would connect to. Returns NULL when
   allowed, otherwise the reason (static or from the data stack) such as
   "loopback" or "IPv4-mapped form of 10.0.0.1: private (10.0.0.0/8)".
   Refused: IPv4 0/8 ("this network", 0.0.0.0 is
   "unspecified"), 10/8, 172.16/12, 192.168/16 (private), 100.64/10
   (CGNAT), 127/8 (loopback), 169.254/16 (link-local), 192.0.0/24 (IETF
   protocol assignments), 192.0.2/24, 198.51.100/24, 203.0.113/24
   (documentation), 192.88.99/24 (6to4 relay anycast), 198.18/15
   (benchmarking), 224/4 (multicast), 255.255.255.255 (broadcast), 240/4
   (reserved). IPv6: :: (unspecified), ::1 (loopback), ::ffff:0:0/96
   (IPv4-mapped), ::/96 (IPv4-compatible), 64:ff9b::/96 (NAT64) and
   2002::/16 (6to4): the embedded IPv4 address is checked as above;
   64:ff9b:1::/48 (local NAT64), 2001::/32 (Teredo, always refused),
   2001:2::/48 (benchmarking), 2001:db8::/32 and 3fff::/20
   (documentation), the rest of 2001::/23 (IETF protocol assignments),
   fc00::/7 (unique local), fe80::/10 (link-local),
   fec0::/10 (site-local), ff00::/8 (multicast) and everything outside
   2000::/3 (not global unicast). An address inside one of
   set->allowed_networks is allowed whatever its range (set may be NULL);
   an IPv4-mapped address matches IPv4 networks. */
const char *webpush_address_check(const struct ip_addr *ip,
				  const struct webpush_endpoint_settings *set);

/* Returns the first allowed address of ips[0..count-1] in *ip_r (pointing
   into ips) and 0, or -1 with *error_r listing why each address was
   refused ("no addresses" when count is 0; data stack). */
int webpush_address_pick(const struct ip_addr *ips, unsigned int count,
			 const struct webpush_endpoint_settings *set,
			 const struct ip_addr **ip_r, const char **error_r);

#endif
