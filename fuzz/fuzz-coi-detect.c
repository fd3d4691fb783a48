/* libFuzzer target: COI chat detection and group-id extraction on
   arbitrary Message-ID and References values. Input: message-id NUL
   references [NUL anything: Chat-Version present]. The whole input is
   also read as a raw message: the raw test (coi_detect_raw_feed()) must
   never rule out what the header scan after Dovecot's header parser
   (as coi-mail.c runs it) finds possible, and the Chat-Version header it
   finds must be one to the scan too. The raw test is fed whole and in
   pieces of 7 octets: both must agree. */

#include "fuzz-common.h"
#include "istream.h"
#include "message-header-parser.h"
#include "coi-detect.h"

static void fuzz_check_raw(const uint8_t *data, size_t size)
{
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	struct coi_detect_scan scan;
	struct coi_detect_raw raw, pieces;
	struct istream *input;
	size_t i;

	coi_detect_raw_init(&raw);
	coi_detect_raw_feed(&raw, data, size);
	coi_detect_raw_init(&pieces);
	for (i = 0; i < size && !pieces.chat_version && !pieces.eoh; i += 7)
		coi_detect_raw_feed(&pieces, data + i, I_MIN(7, size - i));
	i_assert(raw.maybe_chat == pieces.maybe_chat);
	i_assert(raw.chat_version == pieces.chat_version);
	i_assert(raw.eoh == pieces.eoh);
	if (raw.maybe_chat && !raw.chat_version)
		return;

	i_zero(&scan);
	input = i_stream_create_from_data(data, size);
	parser = message_parse_header_init(input, NULL,
		MESSAGE_HEADER_PARSER_FLAG_SKIP_INITIAL_LWSP |
		MESSAGE_HEADER_PARSER_FLAG_DROP_CR);
	while (message_parse_header_next(parser, &hdr) > 0 && !hdr->eoh) {
		coi_detect_scan_line(&scan, hdr->name, hdr->continued,
				     hdr->value, hdr->value_len);
	}
	message_parse_header_deinit(&parser);
	i_stream_unref(&input);
	if (raw.chat_version)
		i_assert(scan.chat_version);
	else
		i_assert(!scan.maybe_chat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fields[3];
	struct coi_detect_headers hdr;

	fuzz_lib_init();
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 3);
		i_zero(&hdr);
		hdr.message_id = fields[0];
		hdr.references = fields[1];
		hdr.have_chat_version = fields[2] != NULL;
		(void)coi_detect_is_chat(&hdr);
		const char *gid = coi_detect_group_id(&hdr);
		if (gid != NULL) {
			/* The contract: 12..128 characters of [0-9A-Za-z_-]. */
			size_t len = strlen(gid);
			i_assert(len >= COI_DETECT_GROUP_ID_MIN_LEN &&
				 len <= COI_DETECT_GROUP_ID_MAX_LEN);
			for (size_t i = 0; i < len; i++) {
				i_assert(i_isalnum(gid[i]) || gid[i] == '-' ||
					 gid[i] == '_');
			}
		}
		(void)coi_detect_first_msgid(fields[0]);
		fuzz_check_raw(data, size);
	} T_END;
	return 0;
}
