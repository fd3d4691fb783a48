/* libFuzzer target: a line of the protocol between the mail processes and
   the Web Push service (webpush-job.h), which the service reads from any
   process that can open its socket. A line that parses must survive the
   round trip through the line the other side would write. Input: the
   line (up to the first NUL). */

#include "fuzz-common.h"
#include "webpush-job.h"

static void fuzz_check_round_trip(const struct webpush_job_line *line)
{
	struct webpush_job_line again;
	const char *text, *error;

	switch (line->type) {
	case WEBPUSH_JOB_LINE_PUSH: {
		/* the payload lines that would follow */
		struct webpush_job_push push = line->push;
		const char *const *lines;
		unsigned int missing;

		push.payload = "{\"subject\":\"x\"}";
		push.small_payload = line->push_lines_missing == 2 ? "{}" : NULL;
		text = webpush_job_push_line(&push);
		lines = t_strsplit(text, "\n");
		i_assert(webpush_job_parse_line(lines[0], pool_datastack_create(),
						&again, &error) == 0);
		i_assert(again.push_lines_missing == line->push_lines_missing);
		missing = again.push_lines_missing;
		i_assert(webpush_job_push_add_line(&again, pool_datastack_create(),
						   lines[1]) ==
			 (missing == 1 ? 1 : 0));
		if (lines[2] != NULL) {
			i_assert(webpush_job_push_add_line(&again,
				pool_datastack_create(), lines[2]) == 1);
		}
		i_assert(strcmp(webpush_job_push_line(&again.push), text) == 0);
		break;
	}
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
