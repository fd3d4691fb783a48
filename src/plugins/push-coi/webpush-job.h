#ifndef WEBPUSH_JOB_H
#define WEBPUSH_JOB_H

#include "webpush-sender.h"
#include "webpush-subscription.h"

/* The lines of the protocol between mail processes and the Web Push
   service (the "webpush" executable, see doc/push-delivery.md), in the
   style of Dovecot's own protocols: after the connection API's VERSION
   handshake, one line per message, its fields separated by TAB and
   tab-escaped (str_append_tabescaped()). Pure: no mail storage, no I/O.

   mail process -> service:
     SETTINGS  name  value  name  value ...
         the push_coi settings of the pushes that follow on this
         connection (only the names of webpush_job_setting_names, in
         that order)
     PUSH  id  owner  subscription  endpoint  p256dh  auth  content
           spool_dir  payload  [header ...]
         one push, not yet encrypted. id: 0 = no OUTCOME line wanted;
         p256dh and auth: base64url without padding; content: 1 when the
         payload has a "content" member (after a 413 the push is sent
         again without it, webpush_payload_without_content()), else 0;
         spool_dir: empty = no spool; payload: the JSON text; then
         "Name: value" headers
     RESUME  spool_dir
         take the retries that wait in this spool directory

   service -> mail process:
     OUTCOME  id  result  status  attempts  [error]
         the outcome of a push whose id was not 0
     GONE  owner  subscription  endpoint  status
         the push service answered 404 or 410: remove the subscription

   Tab-escaped fields cost the delivering process a fraction of what a
   JSON object per push did (jansson's dump of one cost it about as much
   as a third of a delivery's pushes). */

#define WEBPUSH_JOB_MAJOR_VERSION 2
#define WEBPUSH_JOB_MINOR_VERSION 0

/* The largest line either side accepts. */
#define WEBPUSH_JOB_LINE_MAX_SIZE (64 * 1024)

/* The settings a mail process sends (webpush_spool_dir is not among
   them: each push names its own spool directory). NULL-terminated. */
extern const char *const webpush_job_setting_names[];

struct webpush_job_push {
	/* 0 = no outcome line wanted */
	unsigned int id;
	const char *owner;
	const char *subscription;
	const char *endpoint;
	unsigned char p256dh[WEBPUSH_P256DH_SIZE];
	unsigned char auth[WEBPUSH_AUTH_SIZE];
	const char *payload;
	/* the payload has content: after a 413 it is sent without
	   (webpush_payload_without_content()) */
	bool content;
	/* NULL-terminated "Name: value" lines, or NULL */
	const char *const *headers;
	/* NULL = no spool */
	const char *spool_dir;
};

enum webpush_job_line_type {
	WEBPUSH_JOB_LINE_SETTINGS,
	WEBPUSH_JOB_LINE_PUSH,
	WEBPUSH_JOB_LINE_RESUME,
	WEBPUSH_JOB_LINE_OUTCOME,
	WEBPUSH_JOB_LINE_GONE,
};

struct webpush_job_line {
	enum webpush_job_line_type type;

	/* SETTINGS: name=value pairs, NULL-terminated */
	const char *const *settings;
	/* PUSH */
	struct webpush_job_push push;
	/* RESUME */
	const char *resume_dir;
	/* OUTCOME */
	unsigned int outcome_id;
	struct webpush_push_outcome outcome;
	/* GONE */
	const char *gone_owner;
	const char *gone_subscription;
	const char *gone_endpoint;
	unsigned int gone_status;
};

/* The settings line of the settings that lookup finds (data stack). The
   same settings always give the same line, so that it can be compared. */
const char *webpush_job_settings_line(webpush_setting_lookup_t *lookup,
				      void *context);
/* The other lines (data stack). */
const char *webpush_job_push_line(const struct webpush_job_push *push);
const char *webpush_job_resume_line(const char *spool_dir);
const char *webpush_job_outcome_line(unsigned int id,
				     const struct webpush_push_outcome *outcome);
const char *webpush_job_gone_line(const char *owner, const char *subscription,
				  const char *endpoint, unsigned int status);

/* Parses one line; strings are allocated from pool. Returns 0, or -1 with
   an error that tells what is wrong (unknown type, missing, empty or
   ill-formed field, bad key, line too long). */
int webpush_job_parse_line(const char *line, pool_t pool,
			   struct webpush_job_line *line_r,
			   const char **error_r);

/* The connection API's handshake_line vfunc of both sides: checks the
   other side's VERSION line (connection_verify_version()). */
struct connection;
int webpush_job_handshake_line(struct connection *conn, const char *line);

/* A webpush_setting_lookup_t over the settings of a parsed SETTINGS line
   (context: the line's settings array). */
const char *webpush_job_settings_lookup(const char *name, void *context);

#endif
