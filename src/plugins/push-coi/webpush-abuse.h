#ifndef WEBPUSH_ABUSE_H
#define WEBPUSH_ABUSE_H

/* Pure abuse limits of WebPush subscriptions (WP-20): creation is
   throttled per user (at most create_max subscriptions set within
   create_interval), and a user whose validations or subscriptions keep
   failing (fail_max failures within the lockout time) may not create new
   subscriptions until the lockout time has passed. The state is a short
   text that the caller stores per user. */

struct webpush_abuse_settings {
	/* 0 = no creation throttle */
	unsigned int create_max;
	unsigned int create_interval_secs;
	/* 0 = no lockout */
	unsigned int fail_max;
	unsigned int lockout_secs;
};

struct webpush_abuse_state {
	/* Start of the current creation window and creations in it. */
	time_t create_start;
	unsigned int create_count;
	/* Start of the current failure window and failures in it. */
	time_t fail_start;
	unsigned int fail_count;
	/* New subscriptions are refused until this time. */
	time_t locked_until;
};

/* Parses the stored form; an empty or unreadable text gives a zero
   state (and FALSE for unreadable text). */
bool webpush_abuse_state_parse(const char *text,
			       struct webpush_abuse_state *state_r);
/* The stored form, allocated from the data stack. */
const char *webpush_abuse_state_to_str(const struct webpush_abuse_state *state);

/* Returns 0 when a new subscription may be created now, -1 with a client
   error text when the user is locked out or over the creation limit. */
int webpush_abuse_check_create(const struct webpush_abuse_state *state,
			       const struct webpush_abuse_settings *set,
			       time_t now, const char **error_r);
/* Records a created subscription. */
void webpush_abuse_note_create(struct webpush_abuse_state *state,
			       const struct webpush_abuse_settings *set,
			       time_t now);
/* Records a failure (refused subscription, wrong validation); returns TRUE
   when this failure started a lockout. */
bool webpush_abuse_note_failure(struct webpush_abuse_state *state,
				const struct webpush_abuse_settings *set,
				time_t now);

#endif
