/* libFuzzer target: the Web Push payload builder on arbitrary header
   values, folder name and body. Input: from NUL subject NUL message-id NUL
   references NUL content-type NUL content-transfer-encoding NUL folder NUL
   body; the input size picks Chat-Version and the date. Checks the
   contract: valid UTF-8 JSON object within WEBPUSH_PAYLOAD_MAX_SIZE, text
   fields within their cut limits; the payload stripped of its content
   (webpush_payload_without_content()) is the payload built without it. */

#include "fuzz-common.h"
#include "unichar.h"
#include "webpush-payload.h"

#include <jansson.h>

static void check_len(json_t *obj, const char *key, size_t max)
{
	json_t *value = json_object_get(obj, key);

	if (value == NULL)
		return;
	i_assert(json_is_string(value));
	/* the cut limit plus the ellipsis (3 octets, not escaped) */
	i_assert(webpush_payload_json_escaped_len(json_string_value(value)) <=
		 max + strlen(WEBPUSH_PAYLOAD_ELLIPSIS));
}

static void check_payload(const char *text)
{
	json_error_t error;
	json_t *obj;

	i_assert(strlen(text) <= WEBPUSH_PAYLOAD_MAX_SIZE);
	i_assert(uni_utf8_str_is_valid(text));
	obj = json_loads(text, 0, &error);
	i_assert(obj != NULL && json_is_object(obj));
	check_len(obj, "from-email", WEBPUSH_PAYLOAD_TEXT_MAX);
	check_len(obj, "from-name", WEBPUSH_PAYLOAD_TEXT_MAX);
	check_len(obj, "subject", WEBPUSH_PAYLOAD_TEXT_MAX);
	check_len(obj, "msg-id", WEBPUSH_PAYLOAD_TEXT_MAX);
	check_len(obj, "content-encoding", WEBPUSH_PAYLOAD_TEXT_MAX);
	check_len(obj, "content-type", WEBPUSH_PAYLOAD_CONTENT_TYPE_MAX);
	check_len(obj, "folder", WEBPUSH_PAYLOAD_FOLDER_MAX -
		  strlen(WEBPUSH_PAYLOAD_ELLIPSIS));
	json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fields[7];
	struct webpush_payload_message msg;
	size_t pos = 0, i;
	unsigned int n;
	const char *payload, *small;
	bool content;

	fuzz_lib_init();
	T_BEGIN {
		n = fuzz_split(data, size, fields, 7);
		/* the body is everything after the 7th NUL, NULs included */
		for (i = 0; i < size && n == 7; i++) {
			if (data[i] == '\0' && ++pos == 7)
				break;
		}
		i_zero(&msg);
		msg.from = fields[0];
		msg.subject = fields[1];
		msg.message_id = fields[2];
		msg.references = fields[3];
		msg.content_type = fields[4];
		msg.content_transfer_encoding = fields[5];
		msg.folder = fields[6];
		if (pos == 7) {
			msg.body = data + i + 1;
			msg.body_size = size - i - 1;
		}
		msg.have_chat_version = (size & 1) != 0;
		msg.have_date = (size & 2) != 0;
		msg.date = (time_t)size * 7919 * ((size & 4) != 0 ? -1 : 1);
		msg.date_tz_offset = (int)(size % 3000) - 1500;
		msg.uid = size;
		msg.uidvalidity = (uint32_t)-1;

		payload = webpush_payload_build(&msg, &content);
		check_payload(payload);
		small = webpush_payload_build_without_content(&msg);
		check_payload(small);
		/* after a 413: the payload stripped of its content is the one
		   built without it */
		i_assert(strcmp(webpush_payload_without_content(payload),
				small) == 0);
		if (fields[0] != NULL)
			check_payload(webpush_payload_build_validation(fields[0]));
	} T_END;
	return 0;
}
