/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "llist.h"
#include "str.h"
#include "str-sanitize.h"
#include "strnum.h"
#include "webpush-http.h"

#include <fcntl.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define WEBPUSH_HTTP_DEFAULT_TIMEOUT_MSECS 10000
#define WEBPUSH_HTTP_DEFAULT_HOST_CONNECTIONS 4
/* How much of an answer's body is kept, and shown. */
#define WEBPUSH_HTTP_BODY_KEEP 1024
#define WEBPUSH_HTTP_EXCERPT_MAX 200

struct webpush_http_socket {
	struct webpush_http_client *client;
	curl_socket_t fd;
	struct io *io_read, *io_write;
};

struct webpush_http_request {
	struct webpush_http_request *prev, *next;
	pool_t pool;
	struct webpush_http_client *client;
	struct event *event;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;

	buffer_t *body;
	bool have_retry_after;
	unsigned int retry_after_secs;
	/* The status line of a final answer (not 1xx) came, and then the end
	   of its header block: the answer is decided, whatever happens to
	   the rest of the exchange. */
	bool final_answer, final_answer_complete;
	/* Why the last address was refused ("" when none was). */
	string_t *refused;
	char errbuf[CURL_ERROR_SIZE];
	/* set when the request could not even start */
	struct timeout *to_failed;

	webpush_http_callback_t *callback;
	void *context;
};

struct webpush_http_client {
	pool_t pool;
	struct event *event;
	struct webpush_http_settings set;
	/* The ioloop that holds our ios and timeouts: the root ioloop,
	   or the private one of webpush_http_client_wait(). */
	struct ioloop *ioloop;
	CURLM *multi;
	struct timeout *to_curl;
	/* sockets curl asked us to watch */
	ARRAY(struct webpush_http_socket *) sockets;
	/* extra CA certificates */
	STACK_OF(X509) *ca_certs;
	/* libcurl's default CA file and directory and the extra
	   certificates, loaded once and given to every new TLS connection
	   (libcurl would parse the whole CA bundle again for each one), and
	   shared with the process's other clients of the same ca_file; NULL
	   when they could not be loaded: libcurl then loads them itself and
	   fails the connection as it does */
	X509_STORE *ca_store;
	/* TRUE once ca_store was loaded (at the first request: a process
	   that never sends a push never parses the bundle) */
	bool ca_store_loaded;

	struct webpush_http_request *requests;
	unsigned int pending;
	/* TRUE while curl_multi_socket_action() runs */
	bool in_curl;
	/* TRUE while webpush_http_client_wait() runs */
	bool waiting;
};

/* A CA store (libcurl's CA bundle, about 0.9 MB, plus the certificates
   of a webpush_ca_file) that the process's clients with the same
   webpush_ca_file share: the Web Push service has one client per set of
   settings. */
struct webpush_http_shared_store {
	char *ca_file; /* "" for none */
	X509_STORE *store;
	unsigned int clients;
};
static ARRAY(struct webpush_http_shared_store) webpush_http_shared_stores;

static void webpush_http_check_done(struct webpush_http_client *client);

/* --- ioloop glue ------------------------------------------------------ */

static void
webpush_http_socket_action(struct webpush_http_client *client,
			   curl_socket_t fd, int ev_bitmask)
{
	int running;
	CURLMcode ret;

	client->in_curl = TRUE;
	T_BEGIN {
		ret = curl_multi_socket_action(client->multi, fd, ev_bitmask,
					       &running);
	} T_END;
	client->in_curl = FALSE;
	if (ret != CURLM_OK) {
		e_error(client->event, "curl_multi_socket_action() failed: %s",
			curl_multi_strerror(ret));
	}
	webpush_http_check_done(client);
}

static void webpush_http_io_read(struct webpush_http_socket *sock)
{
	webpush_http_socket_action(sock->client, sock->fd, CURL_CSELECT_IN);
}

static void webpush_http_io_write(struct webpush_http_socket *sock)
{
	webpush_http_socket_action(sock->client, sock->fd, CURL_CSELECT_OUT);
}

/* Removes an io of a socket. libcurl may close a socket of its own (the
   threaded resolver's wake-up pipe) before it reports CURL_POLL_REMOVE;
   epoll then already dropped the fd, and removing it normally would fail. */
static void webpush_http_io_remove(struct io **io, int fd)
{
	if (*io == NULL)
		return;
	if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
		io_remove_closed(io);
	else
		io_remove(io);
}

static struct webpush_http_socket *
webpush_http_socket_find(struct webpush_http_client *client, curl_socket_t fd)
{
	struct webpush_http_socket *sock;

	array_foreach_elem(&client->sockets, sock) {
		if (sock->fd == fd)
			return sock;
	}
	return NULL;
}

static void webpush_http_socket_free(struct webpush_http_socket *sock)
{
	struct webpush_http_client *client = sock->client;
	struct webpush_http_socket *const *socks;
	unsigned int i, count;

	webpush_http_io_remove(&sock->io_read, sock->fd);
	webpush_http_io_remove(&sock->io_write, sock->fd);
	socks = array_get(&client->sockets, &count);
	for (i = 0; i < count; i++) {
		if (socks[i] == sock) {
			array_delete(&client->sockets, i, 1);
			break;
		}
	}
	i_free(sock);
}

static int
webpush_http_curl_socket(CURL *easy ATTR_UNUSED, curl_socket_t fd, int what,
			 void *userp, void *socketp)
{
	struct webpush_http_client *client = userp;
	struct webpush_http_socket *sock = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (sock != NULL)
			webpush_http_socket_free(sock);
		return 0;
	}
	if (sock == NULL) {
		sock = i_new(struct webpush_http_socket, 1);
		sock->client = client;
		sock->fd = fd;
		array_push_back(&client->sockets, &sock);
		curl_multi_assign(client->multi, fd, sock);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
		if (sock->io_read == NULL) {
			sock->io_read = io_add_to(client->ioloop, fd, IO_READ,
						  webpush_http_io_read, sock);
		}
	} else {
		webpush_http_io_remove(&sock->io_read, fd);
	}
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
		if (sock->io_write == NULL) {
			sock->io_write = io_add_to(client->ioloop, fd, IO_WRITE,
						   webpush_http_io_write, sock);
		}
	} else {
		webpush_http_io_remove(&sock->io_write, fd);
	}
	return 0;
}

static void webpush_http_timeout(struct webpush_http_client *client)
{
	timeout_remove(&client->to_curl);
	webpush_http_socket_action(client, CURL_SOCKET_TIMEOUT, 0);
}

static int
webpush_http_curl_timer(CURLM *multi ATTR_UNUSED, long timeout_ms, void *userp)
{
	struct webpush_http_client *client = userp;

	timeout_remove(&client->to_curl);
	if (timeout_ms >= 0) {
		/* Never call curl from inside its own callback: even a zero
		   timeout goes through the ioloop. */
		client->to_curl = timeout_add_short_to(client->ioloop,
			(unsigned int)I_MIN(timeout_ms, INT_MAX),
			webpush_http_timeout, client);
	}
	return 0;
}

static void
webpush_http_client_switch_ioloop(struct webpush_http_client *client,
				  struct ioloop *ioloop)
{
	struct webpush_http_request *req;
	struct webpush_http_socket *sock;

	client->ioloop = ioloop;
	array_foreach_elem(&client->sockets, sock) {
		if (sock->io_read != NULL)
			sock->io_read = io_loop_move_io_to(ioloop, &sock->io_read);
		if (sock->io_write != NULL)
			sock->io_write = io_loop_move_io_to(ioloop, &sock->io_write);
	}
	if (client->to_curl != NULL) {
		client->to_curl = io_loop_move_timeout_to(ioloop,
							  &client->to_curl);
	}
	for (req = client->requests; req != NULL; req = req->next) {
		if (req->to_failed != NULL) {
			req->to_failed = io_loop_move_timeout_to(ioloop,
							&req->to_failed);
		}
	}
}

/* --- curl callbacks of one request ----------------------------------- */

static size_t
webpush_http_curl_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct webpush_http_request *req = userp;
	size_t len = size * nmemb;
	size_t room = WEBPUSH_HTTP_BODY_KEEP - I_MIN(req->body->used,
						     WEBPUSH_HTTP_BODY_KEEP);

	buffer_append(req->body, data, I_MIN(len, room));
	return len;
}

bool webpush_http_status_line_is_final(const char *line, size_t len)
{
	const char *end = line + len, *p = line;
	unsigned int code = 0, digits = 0;

	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > 3)
			return FALSE;
		code = code * 10 + (*p - '0');
	}
	if (p < end && *p != ' ' && *p != '\r' && *p != '\n')
		return FALSE;
	return digits == 3 && code >= 200;
}

bool webpush_http_parse_retry_after(const char *value, time_t now,
				    unsigned int *secs_r)
{
	time_t when;

	if (str_to_uint(value, secs_r) == 0)
		return TRUE;
	when = curl_getdate(value, NULL);
	if (when == -1)
		return FALSE;
	*secs_r = when <= now ? 0 : (unsigned int)I_MIN(when - now, UINT_MAX);
	return TRUE;
}

static size_t
webpush_http_curl_header(char *data, size_t size, size_t nitems, void *userp)
{
	struct webpush_http_request *req = userp;
	size_t len = size * nitems;
	const char *line, *value;

	if (len >= 5 && strncasecmp(data, "HTTP/", 5) == 0) {
		/* a new answer (after 1xx): forget the headers of the last */
		req->have_retry_after = FALSE;
		req->final_answer =
			webpush_http_status_line_is_final(data, len);
		req->final_answer_complete = FALSE;
		return len;
	}
	if ((len == 2 && data[0] == '\r' && data[1] == '\n') ||
	    (len == 1 && data[0] == '\n')) {
		/* the end of the header block */
		if (req->final_answer)
			req->final_answer_complete = TRUE;
		return len;
	}
	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) T_BEGIN {
		line = t_strndup(data + 12, len - 12);
		value = t_str_trim(line, " \t\r\n");
		req->have_retry_after =
			webpush_http_parse_retry_after(value, time(NULL),
						       &req->retry_after_secs);
		if (!req->have_retry_after) {
			e_debug(req->event, "Ignoring invalid Retry-After: %s",
				str_sanitize(value, 64));
		}
	} T_END;
	return len;
}

static bool
webpush_http_sockaddr_to_ip(const struct sockaddr *sa, struct ip_addr *ip_r)
{
	i_zero(ip_r);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		ip_r->family = AF_INET;
		ip_r->u.ip4 = sin->sin_addr;
		return TRUE;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		ip_r->family = AF_INET6;
		ip_r->u.ip6 = sin6->sin6_addr;
		return TRUE;
	}
	return FALSE;
}

static curl_socket_t
webpush_http_curl_open_socket(void *userp, curlsocktype purpose,
			      struct curl_sockaddr *address)
{
	struct webpush_http_request *req = userp;
	struct webpush_http_client *client = req->client;
	const char *reason = "not an IP address";
	struct webpush_http_socket *sock;
	struct ip_addr ip;
	curl_socket_t fd;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !webpush_http_sockaddr_to_ip(&address->addr, &ip)) {
		str_truncate(req->refused, 0);
		str_append(req->refused, reason);
		return CURL_SOCKET_BAD;
	}
	if (client->set.address_check != NULL &&
	    !client->set.address_check(&ip, client->set.address_check_context,
				       &reason)) {
		e_debug(req->event, "Refusing to connect to %s: %s",
			net_ip2addr(&ip), reason);
		str_truncate(req->refused, 0);
		str_printfa(req->refused, "address %s refused: %s",
			    net_ip2addr(&ip), reason);
		return CURL_SOCKET_BAD;
	}
	fd = socket(address->family, address->socktype, address->protocol);
	if (fd == -1) {
		str_truncate(req->refused, 0);
		return CURL_SOCKET_BAD;
	}
	sock = webpush_http_socket_find(client, fd);
	if (sock != NULL) {
		/* The number of an fd libcurl closed without telling us:
		   its ios are stale (epoll dropped them with the close). */
		io_remove_closed(&sock->io_read);
		io_remove_closed(&sock->io_write);
	}
	/* connected to an allowed address: an earlier refusal of another
	   address of the host is no longer the reason of a failure */
	str_truncate(req->refused, 0);
	return fd;
}

static int webpush_http_curl_close_socket(void *userp, curl_socket_t fd)
{
	struct webpush_http_client *client = userp;
	struct webpush_http_socket *sock;

	/* stop watching before the fd is gone */
	sock = webpush_http_socket_find(client, fd);
	if (sock != NULL) {
		io_remove(&sock->io_read);
		io_remove(&sock->io_write);
	}
	return close(fd);
}

static CURLcode
webpush_http_curl_ssl_ctx(CURL *easy ATTR_UNUSED, void *ssl_ctx, void *userp)
{
	struct webpush_http_client *client = userp;
	X509_STORE *store;
	int i;

	if (client->ca_store != NULL) {
		if (X509_STORE_up_ref(client->ca_store) != 1)
			return CURLE_OUT_OF_MEMORY;
		SSL_CTX_set_cert_store(ssl_ctx, client->ca_store);
		return CURLE_OK;
	}
	store = SSL_CTX_get_cert_store(ssl_ctx);

	for (i = 0; i < sk_X509_num(client->ca_certs); i++) {
		/* adding a certificate that is already there is no error
		   in OpenSSL 3 */
		if (X509_STORE_add_cert(store, sk_X509_value(client->ca_certs, i)) != 1)
			return CURLE_SSL_CACERT_BADFILE;
	}
	return CURLE_OK;
}

/* --- requests --------------------------------------------------------- */

static void webpush_http_request_free(struct webpush_http_request **_req)
{
	struct webpush_http_request *req = *_req;
	struct webpush_http_client *client = req->client;

	*_req = NULL;
	DLLIST_REMOVE(&client->requests, req);
	i_assert(client->pending > 0);
	client->pending--;
	if (req->easy != NULL) {
		curl_multi_remove_handle(client->multi, req->easy);
		curl_easy_cleanup(req->easy);
	}
	timeout_remove(&req->to_failed);
	curl_slist_free_all(req->headers);
	curl_slist_free_all(req->connect_to);
	event_unref(&req->event);
	pool_unref(&req->pool);
}

static void
webpush_http_request_finish(struct webpush_http_request *req, CURLcode result)
{
	struct webpush_http_response resp;
	long status = 0;
	char *remote_ip = NULL;

	i_zero(&resp);
	/* A push service may send its whole answer before it has read the
	   whole push, and then reset the HTTP/2 stream (RFC 9113 8.1: with
	   NO_ERROR, which the client must not treat as a failure); libcurl
	   7.88 reports that reset as an error. Once the header block of a
	   final answer has come, its status is the answer: taking the reset
	   for a failure would send a push that was accepted once more. */
	if (result == CURLE_OK || req->final_answer_complete) {
		(void)curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
		resp.status = status < 0 || status > 999 ? 0 : (unsigned int)status;
		if (result != CURLE_OK && resp.status != 0) {
			e_debug(req->event, "Answer %ld came whole; the exchange "
				"then ended with: %s", status,
				curl_easy_strerror(result));
		}
	}
	(void)curl_easy_getinfo(req->easy, CURLINFO_PRIMARY_IP, &remote_ip);
	resp.remote_ip = remote_ip == NULL ? "" : t_strdup(remote_ip);
	if (resp.status == 0) {
		if (str_len(req->refused) > 0) {
			resp.error = t_strdup(str_c(req->refused));
			resp.address_refused = TRUE;
		} else if (result == CURLE_OK) {
			resp.error = "no HTTP status in the answer";
		} else {
			resp.error = t_strdup_printf("%s%s%s",
				curl_easy_strerror(result),
				req->errbuf[0] == '\0' ? "" : ": ",
				req->errbuf);
		}
	}
	resp.have_retry_after = req->have_retry_after;
	resp.retry_after_secs = req->retry_after_secs;
	resp.body_excerpt = str_sanitize(t_strndup(req->body->data,
						   req->body->used),
					 WEBPUSH_HTTP_EXCERPT_MAX);

	if (resp.status != 0) {
		e_debug(req->event, "Answer %u from %s", resp.status,
			resp.remote_ip);
	} else {
		e_debug(req->event, "Failed: %s", resp.error);
	}
	req->callback(&resp, req->context);
}

static void webpush_http_check_done(struct webpush_http_client *client)
{
	struct webpush_http_request *req;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(client->multi, &left)) != NULL) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		req = (void *)priv;
		i_assert(req != NULL && req->easy == msg->easy_handle);
		T_BEGIN {
			webpush_http_request_finish(req, msg->data.result);
		} T_END;
		webpush_http_request_free(&req);
	}
	if (client->waiting && client->pending == 0)
		io_loop_stop(client->ioloop);
}

static bool
webpush_http_connect_to(struct webpush_http_request *req, const char *url,
			const struct ip_addr *ip, const char **error_r)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	const char *line;
	bool ret = FALSE;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		*error_r = "invalid URL";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		 curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		*error_r = "URL without host or port";
	else {
		/* HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT; an IPv6 host
		   keeps its brackets as curl gave it */
		line = t_strdup_printf("%s:%s:%s%s%s:%s", host, port,
				       ip->family == AF_INET6 ? "[" : "",
				       net_ip2addr(ip),
				       ip->family == AF_INET6 ? "]" : "",
				       port);
		req->connect_to = curl_slist_append(NULL, line);
		ret = TRUE;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

/* Loads what libcurl verifies TLS peers with (its default CA file and
   directory, as it would load them for each connection, and the extra
   certificates of client). Returns NULL when that fails or libcurl's
   defaults cannot be told. */
static X509_STORE *webpush_http_load_ca_store(struct webpush_http_client *client)
{
	CURL *easy;
	char *cainfo = NULL, *capath = NULL;
	X509_STORE *store;
	int i;

	easy = curl_easy_init();
	if (easy == NULL)
		return NULL;
	if (curl_easy_getinfo(easy, CURLINFO_CAINFO, &cainfo) != CURLE_OK ||
	    curl_easy_getinfo(easy, CURLINFO_CAPATH, &capath) != CURLE_OK ||
	    (cainfo == NULL && capath == NULL)) {
		curl_easy_cleanup(easy);
		return NULL;
	}
	store = X509_STORE_new();
	if (store == NULL ||
	    X509_STORE_load_locations(store, cainfo, capath) != 1) {
		e_debug(client->event, "Loading the CA certificates of %s%s%s "
			"failed: libcurl loads them per connection",
			cainfo == NULL ? "" : cainfo,
			cainfo != NULL && capath != NULL ? " and " : "",
			capath == NULL ? "" : capath);
		X509_STORE_free(store);
		curl_easy_cleanup(easy);
		return NULL;
	}
	curl_easy_cleanup(easy);
	for (i = 0; i < sk_X509_num(client->ca_certs); i++) {
		if (X509_STORE_add_cert(store,
					sk_X509_value(client->ca_certs, i)) != 1) {
			X509_STORE_free(store);
			return NULL;
		}
	}
	/* as libcurl sets them on the stores it loads for peer checks */
	X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST |
			     X509_V_FLAG_PARTIAL_CHAIN);
	e_debug(client->event, "Loaded the CA certificates%s%s",
		client->set.ca_file == NULL ? "" : " and webpush_ca_file ",
		client->set.ca_file == NULL ? "" : client->set.ca_file);
	return store;
}

/* The store of client's CA certificates (a reference of its own), shared
   with the process's other clients of the same webpush_ca_file; NULL
   when it cannot be loaded. A file that changes while the process runs
   is read again only once no client uses the store made of it. */
static X509_STORE *webpush_http_shared_store_get(struct webpush_http_client *client)
{
	struct webpush_http_shared_store *shared;
	const char *key = client->set.ca_file == NULL ? "" : client->set.ca_file;
	X509_STORE *store;

	if (!array_is_created(&webpush_http_shared_stores))
		i_array_init(&webpush_http_shared_stores, 4);
	array_foreach_modifiable(&webpush_http_shared_stores, shared) {
		if (strcmp(shared->ca_file, key) != 0)
			continue;
		if (X509_STORE_up_ref(shared->store) != 1)
			return NULL;
		shared->clients++;
		return shared->store;
	}
	store = webpush_http_load_ca_store(client);
	/* the list's reference */
	if (store == NULL || X509_STORE_up_ref(store) != 1) {
		X509_STORE_free(store);
		return NULL;
	}
	shared = array_append_space(&webpush_http_shared_stores);
	shared->ca_file = i_strdup(key);
	shared->store = store;
	shared->clients = 1;
	return store;
}

/* Drops client's store: the list lets it go with its last client. */
static void webpush_http_shared_store_release(X509_STORE **_store)
{
	struct webpush_http_shared_store *shared;
	X509_STORE *store = *_store;
	unsigned int i, count;

	if (store == NULL)
		return;
	*_store = NULL;
	shared = array_get_modifiable(&webpush_http_shared_stores, &count);
	for (i = 0; i < count; i++) {
		if (shared[i].store != store)
			continue;
		if (--shared[i].clients == 0) {
			X509_STORE_free(shared[i].store);
			i_free(shared[i].ca_file);
			array_delete(&webpush_http_shared_stores, i, 1);
		}
		break;
	}
	if (array_count(&webpush_http_shared_stores) == 0)
		array_free(&webpush_http_shared_stores);
	X509_STORE_free(store);
}

static bool
webpush_http_request_setup(struct webpush_http_request *req,
			   const struct webpush_http_request_settings *set,
			   const char **error_r)
{
	struct webpush_http_client *client = req->client;
	CURL *easy = req->easy;
	const char *const *h;
	bool ok = TRUE;

#define SETOPT(opt, value) \
	ok = ok && curl_easy_setopt(easy, opt, value) == CURLE_OK
	SETOPT(CURLOPT_PRIVATE, (char *)req);
	SETOPT(CURLOPT_ERRORBUFFER, req->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_URL, set->url);
	SETOPT(CURLOPT_PROTOCOLS_STR,
	       client->set.allow_http ? "https,http" : "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* no proxy from the environment: the address check must see the
	   push service's address */
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (!client->ca_store_loaded) {
		client->ca_store_loaded = TRUE;
		client->ca_store = webpush_http_shared_store_get(client);
	}
	if (client->ca_store != NULL) {
		/* the store comes from webpush_http_curl_ssl_ctx() */
		SETOPT(CURLOPT_CAINFO, NULL);
		SETOPT(CURLOPT_CAPATH, NULL);
	}
	if (client->ca_certs != NULL || client->ca_store != NULL) {
		SETOPT(CURLOPT_SSL_CTX_FUNCTION, webpush_http_curl_ssl_ctx);
		SETOPT(CURLOPT_SSL_CTX_DATA, client);
	}
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SETOPT(CURLOPT_PIPEWAIT, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)client->set.request_timeout_msecs);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_USERAGENT, "dovecot-coi");
	SETOPT(CURLOPT_OPENSOCKETFUNCTION, webpush_http_curl_open_socket);
	SETOPT(CURLOPT_OPENSOCKETDATA, req);
	SETOPT(CURLOPT_CLOSESOCKETFUNCTION, webpush_http_curl_close_socket);
	SETOPT(CURLOPT_CLOSESOCKETDATA, client);
	SETOPT(CURLOPT_WRITEFUNCTION, webpush_http_curl_write);
	SETOPT(CURLOPT_WRITEDATA, req);
	SETOPT(CURLOPT_HEADERFUNCTION, webpush_http_curl_header);
	SETOPT(CURLOPT_HEADERDATA, req);
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)set->body_size);
	SETOPT(CURLOPT_COPYPOSTFIELDS, set->body_size == 0 ? "" : set->body);

	if (set->headers != NULL) {
		for (h = set->headers; *h != NULL; h++)
			req->headers = curl_slist_append(req->headers, *h);
	}
	/* no "Expect: 100-continue" round trip */
	req->headers = curl_slist_append(req->headers, "Expect:");
	SETOPT(CURLOPT_HTTPHEADER, req->headers);
	if (!ok) {
		*error_r = "curl_easy_setopt() failed";
		return FALSE;
	}
	if (set->connect_ip != NULL) {
		if (!webpush_http_connect_to(req, set->url, set->connect_ip,
					     error_r))
			return FALSE;
		SETOPT(CURLOPT_CONNECT_TO, req->connect_to);
	}
#undef SETOPT
	if (!ok) {
		*error_r = "curl_easy_setopt(CURLOPT_CONNECT_TO) failed";
		return FALSE;
	}
	return TRUE;
}

static void webpush_http_request_failed(struct webpush_http_request *req)
{
	struct webpush_http_client *client = req->client;
	struct webpush_http_response resp;

	timeout_remove(&req->to_failed);
	i_zero(&resp);
	resp.error = req->errbuf;
	resp.remote_ip = "";
	resp.body_excerpt = "";
	req->callback(&resp, req->context);
	webpush_http_request_free(&req);
	if (client->waiting && client->pending == 0)
		io_loop_stop(client->ioloop);
}

struct webpush_http_request *
webpush_http_client_submit(struct webpush_http_client *client,
			   const struct webpush_http_request_settings *set,
			   webpush_http_callback_t *callback, void *context)
{
	struct webpush_http_request *req;
	const char *error;
	pool_t pool;
	CURLMcode mret;

	pool = pool_alloconly_create("webpush http request", 2048);
	req = p_new(pool, struct webpush_http_request, 1);
	req->pool = pool;
	req->client = client;
	req->callback = callback;
	req->context = context;
	req->body = buffer_create_dynamic(pool, 256);
	req->refused = str_new(pool, 64);
	req->event = event_create(client->event);
	event_add_str(req->event, "url", set->url);
	event_set_append_log_prefix(req->event,
		t_strdup_printf("POST %s: ", str_sanitize(set->url, 80)));
	DLLIST_PREPEND(&client->requests, req);
	client->pending++;

	req->easy = curl_easy_init();
	if (req->easy == NULL) {
		error = "curl_easy_init() failed";
	} else if (!webpush_http_request_setup(req, set, &error)) {
		/* error set */
	} else if ((mret = curl_multi_add_handle(client->multi, req->easy)) != CURLM_OK) {
		error = curl_multi_strerror(mret);
	} else {
		e_debug(req->event, "Request submitted (%zu octets)",
			set->body_size);
		return req;
	}
	/* Reported from the ioloop, never from inside submit. */
	if (req->easy != NULL) {
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
	}
	i_strocpy(req->errbuf, error, sizeof(req->errbuf));
	req->to_failed = timeout_add_short_to(client->ioloop, 0,
					      webpush_http_request_failed, req);
	return req;
}

void webpush_http_request_abort(struct webpush_http_request **_req)
{
	struct webpush_http_request *req = *_req;

	if (req == NULL)
		return;
	e_debug(req->event, "Aborted");
	webpush_http_request_free(_req);
}

unsigned int webpush_http_client_pending(struct webpush_http_client *client)
{
	return client->pending;
}

/* --- the client ------------------------------------------------------- */

static int
webpush_http_load_ca_file(struct webpush_http_client *client,
			  const char *path, const char **error_r)
{
	STACK_OF(X509_INFO) *infos;
	X509_INFO *info;
	BIO *bio;
	int i;

	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		*error_r = t_strdup_printf("webpush_ca_file: cannot read %s: %s",
					   path, strerror(errno));
		return -1;
	}
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL) {
		*error_r = t_strdup_printf("webpush_ca_file: %s is not PEM", path);
		return -1;
	}
	client->ca_certs = sk_X509_new_null();
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		info = sk_X509_INFO_value(infos, i);
		if (info->x509 != NULL) {
			X509_up_ref(info->x509);
			sk_X509_push(client->ca_certs, info->x509);
		}
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (sk_X509_num(client->ca_certs) == 0) {
		*error_r = t_strdup_printf(
			"webpush_ca_file: %s holds no certificate", path);
		return -1;
	}
	return 0;
}

int webpush_http_client_init(const struct webpush_http_settings *set,
			     struct event *event_parent,
			     struct webpush_http_client **client_r,
			     const char **error_r)
{
	struct webpush_http_client *client;
	const curl_version_info_data *info;
	pool_t pool;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*error_r = "curl_global_init() failed";
		return -1;
	}
	pool = pool_alloconly_create("webpush http client", 1024);
	client = p_new(pool, struct webpush_http_client, 1);
	client->pool = pool;
	client->set = *set;
	client->set.ca_file = p_strdup_empty(pool, set->ca_file);
	if (client->set.request_timeout_msecs == 0)
		client->set.request_timeout_msecs = WEBPUSH_HTTP_DEFAULT_TIMEOUT_MSECS;
	if (client->set.max_host_connections == 0)
		client->set.max_host_connections = WEBPUSH_HTTP_DEFAULT_HOST_CONNECTIONS;
	client->event = event_create(event_parent);
	event_set_append_log_prefix(client->event, "webpush-http: ");
	i_array_init(&client->sockets, 8);
	client->ioloop = io_loop_get_root();

	if (client->set.ca_file != NULL &&
	    webpush_http_load_ca_file(client, client->set.ca_file, error_r) < 0) {
		webpush_http_client_deinit(&client);
		return -1;
	}
	info = curl_version_info(CURLVERSION_NOW);
	if ((info->features & CURL_VERSION_ASYNCHDNS) == 0) {
		e_warning(client->event, "libcurl %s has no asynchronous resolver: "
			  "DNS lookups of push services block the process",
			  info->version);
	}

	client->multi = curl_multi_init();
	if (client->multi == NULL ||
	    curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION,
			      webpush_http_curl_socket) != CURLM_OK ||
	    curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client) != CURLM_OK ||
	    curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION,
			      webpush_http_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client) != CURLM_OK ||
	    curl_multi_setopt(client->multi, CURLMOPT_PIPELINING,
			      (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
	    curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			      (long)client->set.max_host_connections) != CURLM_OK) {
		*error_r = "curl_multi_init() failed";
		webpush_http_client_deinit(&client);
		return -1;
	}
	*client_r = client;
	return 0;
}

void webpush_http_client_deinit(struct webpush_http_client **_client)
{
	struct webpush_http_client *client = *_client;
	struct webpush_http_socket *sock;

	if (client == NULL)
		return;
	*_client = NULL;
	i_assert(!client->in_curl);

	while (client->requests != NULL) {
		struct webpush_http_request *req = client->requests;

		webpush_http_request_abort(&req);
	}
	if (client->multi != NULL)
		curl_multi_cleanup(client->multi);
	/* curl_multi_cleanup() closed the cached connections; sockets it
	   did not report removed are only watched, not ours to close */
	while (array_count(&client->sockets) > 0) {
		sock = array_idx_elem(&client->sockets, 0);
		webpush_http_socket_free(sock);
	}
	array_free(&client->sockets);
	timeout_remove(&client->to_curl);
	if (client->ca_certs != NULL)
		sk_X509_pop_free(client->ca_certs, X509_free);
	webpush_http_shared_store_release(&client->ca_store);
	event_unref(&client->event);
	pool_unref(&client->pool);
	curl_global_cleanup();
}

bool webpush_http_client_wait(struct webpush_http_client *client,
			      unsigned int max_msecs)
{
	struct ioloop *prev_client_ioloop = client->ioloop;
	struct ioloop *ioloop;
	struct timeout *to_max;

	if (client->pending == 0)
		return TRUE;
	e_debug(client->event, "Waiting up to %u ms for %u request(s)",
		max_msecs, client->pending);
	/* A private ioloop: only our own ios run while the process waits. */
	ioloop = io_loop_create();
	webpush_http_client_switch_ioloop(client, ioloop);
	to_max = timeout_add_to(ioloop, max_msecs, io_loop_stop, ioloop);
	client->waiting = TRUE;
	io_loop_run(ioloop);
	client->waiting = FALSE;
	timeout_remove(&to_max);
	webpush_http_client_switch_ioloop(client, prev_client_ioloop);
	io_loop_set_current(ioloop);
	io_loop_destroy(&ioloop);
	return client->pending == 0;
}
