#ifndef WEBPUSH_HTTP_H
#define WEBPUSH_HTTP_H

#include "net.h"

/* HTTP transport of Web Push: POST requests through the libcurl multi
   interface, driven by Dovecot's ioloop (libcurl's socket and timer
   callbacks become io_add()/timeout_add() in the root ioloop). Nothing
   here blocks: DNS goes through libcurl's asynchronous resolver, and the
   requests of one push service share connections (keep-alive; HTTP/2
   multiplexing where the service offers it). Redirects are not followed,
   TLS is always verified, and every address libcurl is about to connect to
   (after its own lookup or a pinned address) goes through the address
   check of the settings first.

   This file knows nothing of IMAP, mail or Web Push payloads. */

struct webpush_http_client;
struct webpush_http_request;

/* Decides whether the transport may connect to ip. Returns FALSE with a
   reason when it must not. */
typedef bool webpush_http_address_check_t(const struct ip_addr *ip,
					  void *context,
					  const char **reason_r);

struct webpush_http_settings {
	/* PEM file of CA certificates trusted in addition to the system's,
	   or NULL. */
	const char *ca_file;
	/* Time limit of one request (connect, TLS, request, answer).
	   0 = 10 seconds. */
	unsigned int request_timeout_msecs;
	/* Allow http:// URLs (tests and LANs only); https:// otherwise. */
	bool allow_http;
	/* Connections opened in parallel to one host when it does not
	   multiplex (HTTP/1.1). 0 = 4. */
	unsigned int max_host_connections;
	/* Called for every address before connecting to it; NULL = none. */
	webpush_http_address_check_t *address_check;
	void *address_check_context;
};

struct webpush_http_request_settings {
	/* Absolute URL. */
	const char *url;
	/* When not NULL, the connection goes to this address (pinned with
	   CURLOPT_CONNECT_TO: no DNS lookup at all); TLS still verifies the
	   URL's host name. */
	const struct ip_addr *connect_ip;
	/* NULL-terminated "Name: value" lines. */
	const char *const *headers;
	/* The body (copied). */
	const void *body;
	size_t body_size;
};

struct webpush_http_response {
	/* HTTP status of the answer; 0 when none came (see error). */
	unsigned int status;
	/* Retry-After of the answer in seconds (a delta, or an HTTP date
	   made into a delta); valid when have_retry_after. */
	bool have_retry_after;
	unsigned int retry_after_secs;
	/* The start of the answer's body, sanitized (at most 200 octets),
	   "" when none. */
	const char *body_excerpt;
	/* Without an answer: what went wrong (libcurl's error text, or the
	   reason the address check gave). NULL when an answer came. */
	const char *error;
	/* TRUE when the failure was the address check refusing every
	   address (a permanent failure, not a network fault). */
	bool address_refused;
	/* The address connected to ("" when none). */
	const char *remote_ip;
};

/* Called once per request when it finished or failed; never from inside
   webpush_http_client_submit(). The response is valid during the call. */
typedef void webpush_http_callback_t(const struct webpush_http_response *response,
				     void *context);

/* Creates a client (one per process is enough: its connection cache is
   what reuses connections). Fails when the CA file cannot be read. */
int webpush_http_client_init(const struct webpush_http_settings *set,
			     struct event *event_parent,
			     struct webpush_http_client **client_r,
			     const char **error_r);
/* Aborts every pending request (without calling its callback) and closes
   all connections. */
void webpush_http_client_deinit(struct webpush_http_client **client);

/* Starts a POST request. The callback is called later from the ioloop. */
struct webpush_http_request *
webpush_http_client_submit(struct webpush_http_client *client,
			   const struct webpush_http_request_settings *set,
			   webpush_http_callback_t *callback, void *context);
/* Aborts a request; its callback is not called. */
void webpush_http_request_abort(struct webpush_http_request **req);

/* The number of requests not yet finished. */
unsigned int webpush_http_client_pending(struct webpush_http_client *client);
/* Runs a private ioloop until no request is pending or max_msecs passed
   (for a process that ends). Callbacks may submit further requests; they
   are waited for too, within the same limit. Returns TRUE when nothing is
   pending any more. */
bool webpush_http_client_wait(struct webpush_http_client *client,
			      unsigned int max_msecs);

/* TRUE when line (len octets, as libcurl gives it to a header callback:
   "HTTP/<version> <code>[ <reason>]" and CRLF) is the status line of a
   final answer (code 200 to 999); FALSE for 1xx or a line that is not
   one. */
bool webpush_http_status_line_is_final(const char *line, size_t len);

/* Parses a Retry-After value (delta-seconds or HTTP date, RFC 9110) at
   time now. Returns FALSE when it is neither. A date in the past is 0. */
bool webpush_http_parse_retry_after(const char *value, time_t now,
				    unsigned int *secs_r);

#endif
