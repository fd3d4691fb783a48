#ifndef PUSH_COI_EVENTS_H
#define PUSH_COI_EVENTS_H

/* Names of the named events of push_coi, for metric { } filters of
   Dovecot's stats (see doc/events.md). Each is sent with the log line of
   the moment it names, as a passthrough event. */

/* A push was delivered (2xx). Sent with the "Finished" debug line of the
   push's event, which has user, push_id and endpoint_origin (scheme, host
   and port of the push service; never the rest of the endpoint URL).
   Fields: result ("delivered"), status_code, retries (attempts - 1); the
   stats' duration is the time since the push started in this process. */
#define WEBPUSH_EVENT_SENT "webpush_sent"
/* A push ended without delivery: result "gone" (404/410), "rejected",
   "expired" (retries ran out) or "dropped" (the process ended and the push
   could not be spooled). The same fields as WEBPUSH_EVENT_SENT, plus error
   (status_code is 0 when no answer came). A push that waits in the spool
   when the process ends has no event: the process that resumes it sends
   one. */
#define WEBPUSH_EVENT_FAILED "webpush_failed"

#endif
