/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "webpush-abuse.h"

static const struct webpush_abuse_settings set = {
	.create_max = 3,
	.create_interval_secs = 100,
	.fail_max = 2,
	.lockout_secs = 50,
};

static void test_state_roundtrip(void)
{
	struct webpush_abuse_state state, state2;

	test_begin("abuse state: stored form");
	test_assert(webpush_abuse_state_parse(NULL, &state));
	test_assert(state.create_count == 0 && state.locked_until == 0);
	test_assert(webpush_abuse_state_parse("", &state));
	state.create_start = 1000;
	state.create_count = 2;
	state.fail_start = 1100;
	state.fail_count = 1;
	state.locked_until = 1200;
	test_assert_strcmp(webpush_abuse_state_to_str(&state),
			   "1 1000 2 1100 1 1200");
	test_assert(webpush_abuse_state_parse("1 1000 2 1100 1 1200", &state2));
	test_assert(memcmp(&state, &state2, sizeof(state)) == 0);
	test_assert(!webpush_abuse_state_parse("2 1000 2 1100 1 1200", &state2));
	test_assert(state2.create_count == 0);
	test_assert(!webpush_abuse_state_parse("1 1000 2 1100 1", &state2));
	test_assert(!webpush_abuse_state_parse("1 x 2 1100 1 1200", &state2));
	test_assert(!webpush_abuse_state_parse("1 -5 2 1100 1 1200", &state2));
	test_assert(!webpush_abuse_state_parse("1 99999999999999999999 2 1 1 1", &state2));
	test_end();
}

static void test_create_throttle(void)
{
	struct webpush_abuse_state state;
	const char *error;

	test_begin("abuse: creation throttle");
	i_zero(&state);
	for (unsigned int i = 0; i < 3; i++) {
		test_assert(webpush_abuse_check_create(&state, &set, 1000 + i,
						       &error) == 0);
		webpush_abuse_note_create(&state, &set, 1000 + i);
	}
	test_assert(webpush_abuse_check_create(&state, &set, 1050, &error) < 0);
	test_assert(strstr(error, "at most 3") != NULL);
	test_assert(webpush_abuse_check_create(&state, &set, 1099, &error) < 0);
	/* the window has passed */
	test_assert(webpush_abuse_check_create(&state, &set, 1100, &error) == 0);
	webpush_abuse_note_create(&state, &set, 1100);
	test_assert(state.create_count == 1 && state.create_start == 1100);

	/* no throttle when create_max is 0 */
	struct webpush_abuse_settings set0 = set;
	set0.create_max = 0;
	state.create_count = 1000;
	test_assert(webpush_abuse_check_create(&state, &set0, 1101, &error) == 0);
	test_end();
}

static void test_lockout(void)
{
	struct webpush_abuse_state state;
	const char *error;

	test_begin("abuse: lockout after repeated failures");
	i_zero(&state);
	test_assert(!webpush_abuse_note_failure(&state, &set, 1000));
	test_assert(webpush_abuse_check_create(&state, &set, 1001, &error) == 0);
	test_assert(webpush_abuse_note_failure(&state, &set, 1010));
	test_assert(state.locked_until == 1060);
	test_assert(webpush_abuse_check_create(&state, &set, 1011, &error) < 0);
	test_assert(strstr(error, "refused for 49 more seconds") != NULL);
	test_assert(webpush_abuse_check_create(&state, &set, 1059, &error) < 0);
	test_assert(webpush_abuse_check_create(&state, &set, 1060, &error) == 0);

	/* failures far apart do not add up */
	i_zero(&state);
	test_assert(!webpush_abuse_note_failure(&state, &set, 1000));
	test_assert(!webpush_abuse_note_failure(&state, &set, 1050));
	test_assert(!webpush_abuse_note_failure(&state, &set, 1100));
	test_assert(webpush_abuse_check_create(&state, &set, 1101, &error) == 0);

	/* no lockout when fail_max is 0 */
	struct webpush_abuse_settings set0 = set;
	set0.fail_max = 0;
	i_zero(&state);
	for (unsigned int i = 0; i < 10; i++)
		test_assert(!webpush_abuse_note_failure(&state, &set0, 1000 + i));
	test_assert(webpush_abuse_check_create(&state, &set0, 1011, &error) == 0);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_state_roundtrip,
		test_create_throttle,
		test_lockout,
		NULL
	};
	return test_run(test_functions);
}
