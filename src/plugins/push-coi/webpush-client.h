#ifndef WEBPUSH_CLIENT_H
#define WEBPUSH_CLIENT_H

#include "webpush-job.h"

/* The mail process's side of the Web Push service (setting
   webpush_service, see doc/push-delivery.md): pushes are handed to the
   service as plaintext over one unix socket connection per process
   (webpush-job.h), so that their encryption, signing and HTTP requests
   run in the service, on another core, and never in the process that
   delivers mail. Knows nothing of IMAP or mail storage. */

struct webpush_client;

/* The process's client for the service at socket_path, created by the
   first call (later calls with another path get the first one). gone is
   called for each "gone" line; event_parent should live as long as the
   process. */
struct webpush_client *
webpush_client_get(const char *socket_path, struct event *event_parent,
		   webpush_gone_callback_t *gone, void *gone_context);

/* The socket path the client was created with. */
const char *webpush_client_get_socket_path(struct webpush_client *client);

/* Hands push to the service (connecting first when not connected). Its
   id is set here: callback (may be NULL) gets the outcome line's outcome,
   or WEBPUSH_PUSH_DROPPED when the connection is lost first. Returns 0,
   or -1 with error_r when the service cannot be reached or is too far
   behind (more than WEBPUSH_CLIENT_OUTPUT_MAX octets wait to be written):
   the caller then sends the push itself. settings_line is
   webpush_job_settings_line() of the push's settings; it is sent again
   only when it differs from the last one sent. */
int webpush_client_push(struct webpush_client *client,
			const char *settings_line,
			struct webpush_job_push *push,
			webpush_push_callback_t *callback, void *context,
			const char **error_r);
/* Asks the service to take the retries waiting in spool_dir. Returns 0,
   or -1 with error_r as webpush_client_push(). */
int webpush_client_resume(struct webpush_client *client,
			  const char *settings_line, const char *spool_dir,
			  const char **error_r);
/* Closes the process's client (outcomes not received yet are reported as
   WEBPUSH_PUSH_DROPPED; the pushes themselves stay with the service). */
void webpush_client_global_deinit(void);

/* Output the service has not read yet beyond which pushes are sent by the
   process itself. */
#define WEBPUSH_CLIENT_OUTPUT_MAX (4 * 1024 * 1024)

#endif
