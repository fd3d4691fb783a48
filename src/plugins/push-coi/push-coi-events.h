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
   could not be spooled, or it kept webpush_queue_max pushes already). The same fields as WEBPUSH_EVENT_SENT, plus error
   (status_code is 0 when no answer came). A push that waits in the spool
   when the process ends has no event: the process that resumes it sends
   one. */
#define WEBPUSH_EVENT_FAILED "webpush_failed"

/* A subscription was stored by SETMETADATA "" (S/<id> <json>) (WP-03).
   Fields: subscription (the ID, lower case), msgtype, endpoint_origin. */
#define WEBPUSH_EVENT_SUBSCRIPTION_ADDED "webpush_subscription_added"
/* A subscription was removed. Fields: subscription, reason (one of the
   WEBPUSH_REMOVED_*). */
#define WEBPUSH_EVENT_SUBSCRIPTION_REMOVED "webpush_subscription_removed"
/* A subscription was validated with its token (WP-09). Fields:
   subscription. */
#define WEBPUSH_EVENT_SUBSCRIPTION_VALIDATED "webpush_subscription_validated"

/* SETMETADATA "" (S/<id> NIL), by a client or doveadm webpush remove
   (WP-11) */
#define WEBPUSH_REMOVED_UNSUBSCRIBED "unsubscribed"
/* not validated within webpush_validation_timeout (WP-10) */
#define WEBPUSH_REMOVED_EXPIRED "expired"
/* its push service answered 404 or 410 (WP-19) */
#define WEBPUSH_REMOVED_GONE "gone"

#endif
