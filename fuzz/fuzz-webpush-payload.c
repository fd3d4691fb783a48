/* libFuzzer target: the push payload builder (WP-14, WP-15) on arbitrary
   header values and bodies. Whatever the input, the payload is valid
   JSON no longer than WEBPUSH_PAYLOAD_MAX_SIZE. Input: from NUL subject
   NUL message-id NUL references NUL content-type NUL cte NUL folder NUL
   body. */

#include "fuzz-common.h"
#include "webpush-payload.h"

#include <jansson.h>

static void check_json(const char *json)
{
	json_error_t jerr;
	json_t *root;

	i_assert(strlen(json) <= WEBPUSH_PAYLOAD_MAX_SIZE);
	root = json_loads(json, 0, &jerr);
	i_assert(root != NULL && json_is_object(root));
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webpush_payload_message msg;
	const char *fields[8];
	bool content;

	fuzz_lib_init();
	T_BEGIN {
		unsigned int n = fuzz_split(data, size, fields, 8);

		i_zero(&msg);
		msg.from = fields[0];
		msg.subject = fields[1];
		msg.message_id = fields[2];
		msg.references = fields[3];
		msg.content_type = fields[4];
		msg.content_transfer_encoding = fields[5];
		msg.folder = fields[6];
		if (n == 8) {
			msg.body = (const unsigned char *)fields[7];
			msg.body_size = strlen(fields[7]);
		}
		msg.have_chat_version = size > 0 && (data[0] & 1) != 0;
		msg.have_date = size > 1 && (data[1] & 1) != 0;
		msg.date = (time_t)size * 1000003;
		msg.date_tz_offset = (int)(size % 1500) - 750;
		msg.uid = (uint32_t)size;
		msg.uidvalidity = 1234567;
		check_json(webpush_payload_build(&msg, &content));
		check_json(webpush_payload_build_without_content(&msg));
	} T_END;
	return 0;
}
