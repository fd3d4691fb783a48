/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str-sanitize.h"
#include "mail-storage.h"
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

bool coi_mail_is_chat(struct mail *mail, struct event *event)
{
	struct mailbox_header_lookup_ctx *headers;
	struct coi_detect_headers hdr;
	bool found, chat;

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
			hdr.message_id == NULL ? "(no Message-ID)" :
			str_sanitize(hdr.message_id, COI_LOG_ID_MAX_LEN),
			chat ? "is" : "is not",
			!chat ? "" : hdr.have_chat_version ?
			" (Chat-Version header)" : " (chat$ message-id)");
	} T_END;
	return chat;
}
