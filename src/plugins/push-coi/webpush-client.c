/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "ostream.h"
#include "connection.h"
#include "time-util.h"
#include "webpush-client.h"

#include <poll.h>

/* How long an ending process waits for the service to read the pushes
   it wrote. */
#define WEBPUSH_CLIENT_EXIT_FLUSH_MSECS 2000
/* How often the warning about an unreachable service is logged at most. */
#define WEBPUSH_CLIENT_WARN_INTERVAL_SECS 60

struct webpush_client_wait {
	unsigned int id;
	webpush_push_callback_t *callback;
	void *context;
};

struct webpush_client {
	struct connection conn;
	struct connection_list *list;
	struct event *event;
	char *socket_path;
	webpush_gone_callback_t *gone;
	void *gone_context;

	/* the settings line last sent on this connection */
	char *last_settings;
	unsigned int last_id;
	ARRAY(struct webpush_client_wait) waits;
	time_t last_warning;
	bool connected;
};

static struct webpush_client *webpush_client;

static void webpush_client_fail_waits(struct webpush_client *client,
				      const char *reason)
{
	struct webpush_push_outcome outcome;
	struct webpush_client_wait wait;

	i_zero(&outcome);
	outcome.result = WEBPUSH_PUSH_DROPPED;
	outcome.error = reason;
	while (array_count(&client->waits) > 0) {
		wait = *array_front(&client->waits);
		array_pop_front(&client->waits);
		if (wait.callback != NULL)
			wait.callback(&outcome, wait.context);
	}
}

static void webpush_client_destroy(struct connection *conn)
{
	struct webpush_client *client =
		container_of(conn, struct webpush_client, conn);
	const char *reason = connection_disconnect_reason(conn);

	e_warning(client->event, "Connection to the Web Push service %s "
		  "lost: %s", client->socket_path, reason);
	connection_disconnect(conn);
	client->connected = FALSE;
	i_free_and_null(client->last_settings);
	webpush_client_fail_waits(client, t_strconcat(
		"the connection to the Web Push service was lost: ",
		reason, NULL));
}

static void
webpush_client_outcome(struct webpush_client *client, unsigned int id,
		       const struct webpush_push_outcome *outcome)
{
	const struct webpush_client_wait *waits;
	struct webpush_client_wait wait;
	unsigned int i, count;

	waits = array_get(&client->waits, &count);
	for (i = 0; i < count; i++) {
		if (waits[i].id == id)
			break;
	}
	if (i == count) {
		e_debug(client->event, "Outcome of push %u, which nobody "
			"waits for", id);
		return;
	}
	wait = waits[i];
	array_delete(&client->waits, i, 1);
	if (wait.callback != NULL)
		wait.callback(outcome, wait.context);
}

static int webpush_client_input_line(struct connection *conn, const char *line)
{
	struct webpush_client *client =
		container_of(conn, struct webpush_client, conn);
	struct webpush_job_line job;
	const char *error;

	if (webpush_job_parse_line(line, pool_datastack_create(), &job,
				   &error) < 0) {
		e_error(client->event, "The Web Push service sent an invalid "
			"line: %s", error);
		return -1;
	}
	switch (job.type) {
	case WEBPUSH_JOB_LINE_OUTCOME:
		webpush_client_outcome(client, job.outcome_id, &job.outcome);
		return 1;
	case WEBPUSH_JOB_LINE_GONE:
		if (client->gone != NULL) {
			client->gone(job.gone_owner, job.gone_subscription,
				     job.gone_endpoint, job.gone_status,
				     client->gone_context);
		}
		return 1;
	default:
		e_error(client->event, "The Web Push service sent an "
			"unexpected line: %s", line);
		return -1;
	}
}

static const struct connection_settings webpush_client_set = {
	.service_name_in = "webpush-server",
	.service_name_out = "webpush-client",
	.major_version = WEBPUSH_JOB_MAJOR_VERSION,
	.minor_version = WEBPUSH_JOB_MINOR_VERSION,
	.input_max_size = WEBPUSH_JOB_LINE_MAX_SIZE,
	.output_max_size = SIZE_MAX,
	.client = TRUE,
};

static const struct connection_vfuncs webpush_client_vfuncs = {
	.destroy = webpush_client_destroy,
	.handshake_line = webpush_job_handshake_line,
	.input_line = webpush_client_input_line,
};

struct webpush_client *
webpush_client_get(const char *socket_path, struct event *event_parent,
		   webpush_gone_callback_t *gone, void *gone_context)
{
	struct webpush_client *client;

	if (webpush_client != NULL)
		return webpush_client;
	client = i_new(struct webpush_client, 1);
	client->socket_path = i_strdup(socket_path);
	client->event = event_create(event_parent);
	client->gone = gone;
	client->gone_context = gone_context;
	i_array_init(&client->waits, 8);
	client->list = connection_list_init(&webpush_client_set,
					    &webpush_client_vfuncs);
	client->conn.event_parent = client->event;
	connection_init_client_unix(client->list, &client->conn,
				    client->socket_path);
	webpush_client = client;
	return client;
}

const char *webpush_client_get_socket_path(struct webpush_client *client)
{
	return client->socket_path;
}

static int webpush_client_ready(struct webpush_client *client,
				const char **error_r)
{
	if (client->conn.ioloop != current_ioloop)
		connection_switch_ioloop(&client->conn);
	if (client->connected) {
		if (o_stream_get_buffer_used_size(client->conn.output) >
		    WEBPUSH_CLIENT_OUTPUT_MAX) {
			*error_r = "the Web Push service is too far behind";
			return -1;
		}
		return 0;
	}
	if (connection_client_connect(&client->conn) < 0) {
		*error_r = t_strdup_printf("connect(%s) failed: %m",
					   client->socket_path);
		return -1;
	}
	client->connected = TRUE;
	e_debug(client->event, "Connected to the Web Push service %s",
		client->socket_path);
	return 0;
}

static int
webpush_client_send(struct webpush_client *client, const char *settings_line,
		    const char *line, const char **error_r)
{
	const char *error;

	if (webpush_client_ready(client, &error) < 0) {
		if (client->last_warning + WEBPUSH_CLIENT_WARN_INTERVAL_SECS <=
		    ioloop_time) {
			client->last_warning = ioloop_time;
			e_warning(client->event, "Web Push service %s: %s: "
				  "this process sends its pushes itself "
				  "(logged once a minute at most)",
				  client->socket_path, error);
		}
		*error_r = error;
		return -1;
	}
	o_stream_cork(client->conn.output);
	if (null_strcmp(client->last_settings, settings_line) != 0) {
		i_free(client->last_settings);
		client->last_settings = i_strdup(settings_line);
		o_stream_nsend_str(client->conn.output,
				   t_strconcat(settings_line, "\n", NULL));
	}
	o_stream_nsend_str(client->conn.output, t_strconcat(line, "\n", NULL));
	o_stream_uncork(client->conn.output);
	return 0;
}

int webpush_client_push(struct webpush_client *client,
			const char *settings_line,
			struct webpush_job_push *push,
			webpush_push_callback_t *callback, void *context,
			const char **error_r)
{
	struct webpush_client_wait *wait;

	push->id = 0;
	if (callback != NULL) {
		if (++client->last_id == 0)
			client->last_id = 1;
		push->id = client->last_id;
	}
	if (webpush_client_send(client, settings_line,
				webpush_job_push_line(push), error_r) < 0)
		return -1;
	if (callback != NULL) {
		wait = array_append_space(&client->waits);
		wait->id = push->id;
		wait->callback = callback;
		wait->context = context;
	}
	return 0;
}

int webpush_client_resume(struct webpush_client *client,
			  const char *settings_line, const char *spool_dir,
			  const char **error_r)
{
	return webpush_client_send(client, settings_line,
				   webpush_job_resume_line(spool_dir), error_r);
}

/* The process ends: what is written but not yet read by the service is
   still handed over, waiting at most WEBPUSH_CLIENT_EXIT_FLUSH_MSECS. */
static void webpush_client_flush_wait(struct webpush_client *client)
{
	struct pollfd pfd;
	struct timeval start, now;
	long long left;

	i_gettimeofday(&start);
	while (o_stream_flush(client->conn.output) == 0) {
		i_gettimeofday(&now);
		left = WEBPUSH_CLIENT_EXIT_FLUSH_MSECS -
			timeval_diff_msecs(&now, &start);
		if (left <= 0) {
			e_warning(client->event, "The Web Push service did "
				  "not read %zu octets of pushes in %u ms: "
				  "they are lost",
				  o_stream_get_buffer_used_size(
					client->conn.output),
				  WEBPUSH_CLIENT_EXIT_FLUSH_MSECS);
			return;
		}
		i_zero(&pfd);
		pfd.fd = client->conn.fd_out;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return;
	}
}

void webpush_client_global_deinit(void)
{
	struct webpush_client *client = webpush_client;

	if (client == NULL)
		return;
	webpush_client = NULL;
	if (client->connected)
		webpush_client_flush_wait(client);
	webpush_client_fail_waits(client, "the process ended before the "
				  "Web Push service answered");
	connection_deinit(&client->conn);
	connection_list_deinit(&client->list);
	array_free(&client->waits);
	i_free(client->last_settings);
	i_free(client->socket_path);
	event_unref(&client->event);
	i_free(client);
}
