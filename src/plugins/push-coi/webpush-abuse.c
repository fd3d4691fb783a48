/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "strnum.h"
#include "webpush-abuse.h"

/* Stored form: "1 <create_start> <create_count> <fail_start> <fail_count>
   <locked_until>" (the leading 1 is the format version). */

bool webpush_abuse_state_parse(const char *text,
			       struct webpush_abuse_state *state_r)
{
	const char *const *args;
	uintmax_t v[5];
	unsigned int i;

	i_zero(state_r);
	if (text == NULL || text[0] == '\0')
		return TRUE;
	args = t_strsplit(text, " ");
	if (str_array_length(args) != 6 || strcmp(args[0], "1") != 0)
		return FALSE;
	for (i = 0; i < 5; i++) {
		if (str_to_uintmax(args[i + 1], &v[i]) < 0 ||
		    v[i] > (uintmax_t)INT32_MAX * 4)
			return FALSE;
	}
	state_r->create_start = (time_t)v[0];
	state_r->create_count = v[1] > UINT_MAX ? UINT_MAX : (unsigned int)v[1];
	state_r->fail_start = (time_t)v[2];
	state_r->fail_count = v[3] > UINT_MAX ? UINT_MAX : (unsigned int)v[3];
	state_r->locked_until = (time_t)v[4];
	return TRUE;
}

const char *webpush_abuse_state_to_str(const struct webpush_abuse_state *state)
{
	return t_strdup_printf("1 %lld %u %lld %u %lld",
			       (long long)state->create_start,
			       state->create_count,
			       (long long)state->fail_start,
			       state->fail_count,
			       (long long)state->locked_until);
}

static bool window_expired(time_t start, unsigned int length, time_t now)
{
	return now < start || now - start >= (time_t)length;
}

int webpush_abuse_check_create(const struct webpush_abuse_state *state,
			       const struct webpush_abuse_settings *set,
			       time_t now, const char **error_r)
{
	if (set->fail_max > 0 && now < state->locked_until) {
		*error_r = t_strdup_printf(
			"too many failed WebPush subscriptions or validations: "
			"new subscriptions are refused for %lld more seconds",
			(long long)(state->locked_until - now));
		return -1;
	}
	if (set->create_max > 0 &&
	    !window_expired(state->create_start, set->create_interval_secs,
			    now) &&
	    state->create_count >= set->create_max) {
		*error_r = t_strdup_printf(
			"too many WebPush subscriptions created: at most %u "
			"in %u seconds, try again in %lld seconds",
			set->create_max, set->create_interval_secs,
			(long long)(state->create_start +
				    set->create_interval_secs - now));
		return -1;
	}
	return 0;
}

void webpush_abuse_note_create(struct webpush_abuse_state *state,
			       const struct webpush_abuse_settings *set,
			       time_t now)
{
	if (window_expired(state->create_start, set->create_interval_secs,
			   now)) {
		state->create_start = now;
		state->create_count = 0;
	}
	if (state->create_count < UINT_MAX)
		state->create_count++;
}

bool webpush_abuse_note_failure(struct webpush_abuse_state *state,
				const struct webpush_abuse_settings *set,
				time_t now)
{
	if (set->fail_max == 0)
		return FALSE;
	if (window_expired(state->fail_start, set->lockout_secs, now)) {
		state->fail_start = now;
		state->fail_count = 0;
	}
	if (state->fail_count < UINT_MAX)
		state->fail_count++;
	if (state->fail_count < set->fail_max || now < state->locked_until)
		return FALSE;
	/* locked out; failures are counted afresh */
	state->locked_until = now + set->lockout_secs;
	state->fail_start = now;
	state->fail_count = 0;
	return TRUE;
}
