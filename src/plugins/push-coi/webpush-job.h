#ifndef WEBPUSH_JOB_H
#define WEBPUSH_JOB_H

#include "webpush-sender.h"
#include "webpush-subscription.h"

/* The lines of the protocol between mail processes and the Web Push
   service (the "webpush" executable, see doc/push-delivery.md): one JSON
   object per line, after the connection API's VERSION handshake. Pure:
   no mail storage, no I/O.

   mail process -> service:
     {"settings":{"webpush_ttl":"60",...}}
         the push_coi settings of the pushes that follow on this
         connection (only the names of webpush_job_setting_names)
     {"push":{"id":7,"owner":"alice","subscription":"...",
              "endpoint":"https://...","p256dh":"<b64url>",
              "auth":"<b64url>","payload_lines":2,
              "headers":["Name: value"],
              "spool_dir":"/home/alice/webpush-spool"}}
     {"subject":"...",...}
     {"subject":"..."}
         one push, not yet encrypted; id 0 = no outcome line wanted;
         headers and spool_dir may be absent. The push line is followed
         by payload_lines lines as they are: the payload (a JSON text,
         which has no line break), then, when payload_lines is 2, the
         smaller payload sent after a 413
     {"resume":"/home/alice/webpush-spool"}
         take the retries that wait in this spool directory

   service -> mail process:
     {"outcome":{"id":7,"result":"delivered","status":201,
                 "attempts":1,"error":null}}
         the outcome of a push whose id was not 0
     {"gone":{"owner":"alice","subscription":"...","endpoint":"...",
              "status":410}}
         the push service answered 404 or 410: remove the subscription */

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
	/* NULL when there is none */
	const char *small_payload;
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
	/* PUSH: payload and small_payload are NULL until the lines that
	   follow are given to webpush_job_push_add_line() */
	struct webpush_job_push push;
	unsigned int push_lines_missing;
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
/* The other lines (data stack). The push "line" is the push line and the
   lines of its payloads, joined with LF. Payloads must not contain LF
   (webpush_job_push_payload_valid(); jansson's compact JSON has none). */
const char *webpush_job_push_line(const struct webpush_job_push *push);
bool webpush_job_push_payload_valid(const char *payload);
const char *webpush_job_resume_line(const char *spool_dir);
const char *webpush_job_outcome_line(unsigned int id,
				     const struct webpush_push_outcome *outcome);
const char *webpush_job_gone_line(const char *owner, const char *subscription,
				  const char *endpoint, unsigned int status);

/* Parses one line; strings are allocated from pool. Returns 0, or -1 with
   an error that tells what is wrong (unknown type, missing or ill-typed
   field, bad key, line too long). */
int webpush_job_parse_line(const char *line, pool_t pool,
			   struct webpush_job_line *line_r,
			   const char **error_r);

/* The connection API's handshake_line vfunc of both sides: checks the
   other side's VERSION line (connection_verify_version()). */
struct connection;
int webpush_job_handshake_line(struct connection *conn, const char *line);

/* Gives a parsed PUSH line the next of the lines that follow it. Returns
   1 when the push is complete, 0 when another line is needed. */
int webpush_job_push_add_line(struct webpush_job_line *line, pool_t pool,
			      const char *text);

/* A webpush_setting_lookup_t over the settings of a parsed SETTINGS line
   (context: the line's settings array). */
const char *webpush_job_settings_lookup(const char *name, void *context);

#endif
