/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "istream.h"
#include "str-sanitize.h"
#include "message-header-parser.h"
#include "mail-storage-private.h"
#include "raw-storage.h"
#include "coi-detect.h"
#include "coi-mail.h"

#define COI_LOG_ID_MAX_LEN 80

/* The headers detection reads. */
static const char *const coi_mail_detect_headers[] = {
	"Chat-Version", "Message-ID", "References", NULL
};

static const char *
coi_mail_header(struct mail *mail, struct event *event, const char *field,
		bool *found_r)
{
	const char *value;
	int ret;

	ret = mail_get_first_header(mail, field, &value);
	if (ret < 0) {
		e_debug(event, "Cannot read the %s header of uid %u, "
			"taken as missing: %s", field, mail->uid,
			mailbox_get_last_internal_error(mail->box, NULL));
	}
	*found_r = ret > 0;
	return ret > 0 ? value : NULL;
}

const char *coi_mail_log_id(struct mail *mail)
{
	const char *value;

	if (mail_get_first_header(mail, "Message-ID", &value) <= 0)
		return "(none)";
	/* a copy: the value belongs to the mail, str_sanitize() may return
	   it as it is */
	return t_strdup(str_sanitize(value, COI_LOG_ID_MAX_LEN));
}

/* The raw test (coi_detect_raw_feed()) on the header read from input (at
   its start). The caller checks input->stream_errno. */
static void coi_mail_raw_test(struct istream *input,
			      struct coi_detect_raw *raw_r)
{
	const unsigned char *data;
	size_t size;

	coi_detect_raw_init(raw_r);
	while (!raw_r->chat_version && !raw_r->eoh &&
	       i_stream_read_more(input, &data, &size) > 0) {
		coi_detect_raw_feed(raw_r, data, size);
		i_stream_skip(input, size);
	}
}

/* A message being delivered (raw storage) has nothing cached: looking up
   a header not yet parsed parses the whole header again. A look at the
   raw octets tells most mail from mail that may be a COI message, and
   finds most Chat-Version headers; for the rest, one quick pass over the
   header lines tells whether it can be one at all, and finds the
   Chat-Version header that makes it one. Returns
   the scan; when the header cannot be read, maybe_chat is TRUE (the full
   reading then decides and logs). */
static void
coi_mail_raw_scan(struct mail *mail, struct coi_detect_scan *scan_r)
{
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	struct coi_detect_raw raw;
	struct istream *input;

	i_zero(scan_r);
	if (mail_get_hdr_stream(mail, NULL, &input) < 0) {
		scan_r->maybe_chat = TRUE;
		return;
	}
	coi_mail_raw_test(input, &raw);
	if (input->stream_errno != 0) {
		scan_r->maybe_chat = TRUE;
		return;
	}
	if (raw.chat_version) {
		/* the header parser would find the same header line */
		scan_r->maybe_chat = scan_r->chat_version = TRUE;
		return;
	}
	if (!raw.maybe_chat)
		return;
	i_stream_seek(input, 0);
	/* the flags Dovecot's own header parsing uses */
	parser = message_parse_header_init(input, NULL,
		MESSAGE_HEADER_PARSER_FLAG_SKIP_INITIAL_LWSP |
		MESSAGE_HEADER_PARSER_FLAG_DROP_CR);
	while (!scan_r->chat_version &&
	       message_parse_header_next(parser, &hdr) > 0) {
		if (hdr->eoh)
			break;
		coi_detect_scan_line(scan_r, hdr->name, hdr->continued,
				     hdr->value, hdr->value_len);
	}
	message_parse_header_deinit(&parser);
	if (input->stream_errno != 0) {
		scan_r->maybe_chat = TRUE;
		scan_r->chat_version = FALSE;
	}
}

static const char *coi_mail_debug_id(const char *message_id)
{
	return message_id == NULL ? "(no Message-ID)" :
		str_sanitize(message_id, COI_LOG_ID_MAX_LEN);
}

bool coi_mail_is_chat(struct mail *mail, struct event *event)
{
	struct mailbox_header_lookup_ctx *headers;
	struct coi_detect_scan scan;
	struct coi_detect_headers hdr;
	const char *message_id;
	bool found, chat;

	if (strcmp(mail->box->storage->name, RAW_STORAGE_NAME) == 0) {
		coi_mail_raw_scan(mail, &scan);
		if (!scan.maybe_chat || scan.chat_version) {
			e_debug(event, "Message %s %s",
				coi_mail_debug_id(mail_get_first_header(mail,
					"Message-ID", &message_id) > 0 ?
					message_id : NULL),
				scan.chat_version ? "is a COI message "
				"(Chat-Version header)" :
				"is not a COI message");
			return scan.chat_version;
		}
	}

	/* One parse of the header for all three: a header that is neither
	   cached nor wanted is parsed for on its own. */
	headers = mailbox_header_lookup_init(mail->box,
					     coi_mail_detect_headers);
	mail_add_temp_wanted_fields(mail, 0, headers);
	mailbox_header_lookup_unref(&headers);

	i_zero(&hdr);
	T_BEGIN {
		(void)coi_mail_header(mail, event, "Chat-Version",
				      &hdr.have_chat_version);
		hdr.message_id = coi_mail_header(mail, event, "Message-ID",
						 &found);
		hdr.references = coi_mail_header(mail, event, "References",
						 &found);
		chat = coi_detect_is_chat(&hdr);
		e_debug(event, "Message %s %s a COI message%s",
			coi_mail_debug_id(hdr.message_id),
			chat ? "is" : "is not",
			!chat ? "" : hdr.have_chat_version ?
			" (Chat-Version header)" : " (chat$ message-id)");
	} T_END;
	return chat;
}
