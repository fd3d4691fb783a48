/* libFuzzer target: a line of the protocol between the mail processes and
   the Web Push service (webpush-job.h), which the service reads from any
   process that can open its socket. A line that parses must survive the
   round trip through the line the other side would write. Input: the
   line (up to the first NUL; TAB-separated, tab-escaped fields). */

#include "fuzz-common.h"
#include "webpush-job.h"

static void fuzz_check_round_trip(const struct webpush_job_line *line)
{
	struct webpush_job_line again;
	const char *text, *error;

	switch (line->type) {
	case WEBPUSH_JOB_LINE_PUSH:
		text = webpush_job_push_line(&line->push);
		i_assert(webpush_job_parse_line(text, pool_datastack_create(),
						&again, &error) == 0);
		i_assert(again.push.id == line->push.id &&
			 again.push.content == line->push.content);
		i_assert(strcmp(again.push.payload, line->push.payload) == 0);
		i_assert(memcmp(again.push.p256dh, line->push.p256dh,
				sizeof(line->push.p256dh)) == 0);
		i_assert(strcmp(webpush_job_push_line(&again.push), text) == 0);
		break;
	case WEBPUSH_JOB_LINE_OUTCOME:
		text = webpush_job_outcome_line(line->outcome_id,
						&line->outcome);
		i_assert(webpush_job_parse_line(text, pool_datastack_create(),
						&again, &error) == 0);
		i_assert(again.outcome_id == line->outcome_id &&
			 again.outcome.result == line->outcome.result);
		break;
	case WEBPUSH_JOB_LINE_GONE:
		text = webpush_job_gone_line(line->gone_owner,
					     line->gone_subscription,
					     line->gone_endpoint,
					     line->gone_status);
		i_assert(webpush_job_parse_line(text, pool_datastack_create(),
						&again, &error) == 0);
		break;
	case WEBPUSH_JOB_LINE_SETTINGS:
		text = webpush_job_settings_line(webpush_job_settings_lookup,
						 (void *)line->settings);
		i_assert(webpush_job_parse_line(text, pool_datastack_create(),
						&again, &error) == 0);
		break;
	case WEBPUSH_JOB_LINE_RESUME:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webpush_job_line line;
	const char *fields[1], *error;

	fuzz_lib_init();
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 1);
		if (fields[0] != NULL &&
		    webpush_job_parse_line(fields[0], pool_datastack_create(),
					   &line, &error) == 0)
			fuzz_check_round_trip(&line);
	} T_END;
	return 0;
}
