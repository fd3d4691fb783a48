/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "unichar.h"
#include "message-address.h"
#include "message-header-decode.h"
#include "coi-detect.h"
#include "webpush-payload.h"
#include "webpush-json.h"

#include <time.h>
#include <jansson.h>

/*
 * Text helpers
 */

static size_t escaped_char_len(const unsigned char *p, unsigned int n)
{
	if (n > 1)
		return n;
	switch (*p) {
	case '"':
	case '\\':
	case '\b':
	case '\f':
	case '\n':
	case '\r':
	case '\t':
		return 2;
	default:
		return *p < 0x20 ? 6 : 1;
	}
}

/* The length of the (valid UTF-8) character at p, never past the end. */
static unsigned int char_len(const unsigned char *p)
{
	unsigned int i, n = uni_utf8_char_bytes(*p);

	for (i = 1; i < n; i++) {
		if (p[i] == '\0')
			return i;
	}
	return n;
}

size_t webpush_payload_json_escaped_len(const char *str)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t len = 0;
	unsigned int n;

	while (*p != '\0') {
		n = char_len(p);
		len += escaped_char_len(p, n);
		p += n;
	}
	return len;
}

const char *webpush_payload_cut_text(const char *str, size_t max_escaped)
{
	const unsigned char *start = (const unsigned char *)str, *p = start;
	size_t len = 0, clen;
	unsigned int n;

	while (*p != '\0') {
		n = char_len(p);
		clen = escaped_char_len(p, n);
		if (len + clen > max_escaped) {
			return t_strconcat(t_strdup_until(start, p),
					   WEBPUSH_PAYLOAD_ELLIPSIS, NULL);
		}
		len += clen;
		p += n;
	}
	return str;
}

/* Returns data as valid UTF-8 (invalid sequences replaced by U+FFFD). */
static const char *t_valid_utf8(const unsigned char *data, size_t size)
{
	buffer_t *buf;

	/* the data stack string ends at the first NUL */
	size = strnlen((const char *)data, size);
	buf = t_buffer_create(size + 16);
	if (uni_utf8_get_valid_data(data, size, buf))
		return t_strndup(data, size);
	return str_c(buf);
}

static const char *t_valid_utf8_str(const char *str)
{
	return t_valid_utf8((const unsigned char *)str, strlen(str));
}

/* Removes CR and LF (unfolding keeps the whitespace after them). */
static const char *t_unfold(const char *value)
{
	string_t *str;
	const char *p;

	if (strpbrk(value, "\r\n") == NULL)
		return value;
	str = t_str_new(strlen(value));
	for (p = value; *p != '\0'; p++) {
		if (*p != '\r' && *p != '\n')
			str_append_c(str, *p);
	}
	return str_c(str);
}

static const char *t_trim(const char *value)
{
	const char *end;

	while (*value == ' ' || *value == '\t')
		value++;
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return t_strdup_until(value, end);
}

/* Unfolds, decodes RFC 2047 encoded words to UTF-8, trims; the result is
   valid UTF-8. */
static const char *t_decode_header(const char *value)
{
	string_t *dest;

	value = t_unfold(value);
	dest = t_str_new(strlen(value) + 32);
	message_header_decode_utf8((const unsigned char *)value,
				   strlen(value), dest, NULL);
	return t_trim(t_valid_utf8(dest->data, dest->used));
}

/*
 * Fields
 */

static void
set_string(json_t *obj, const char *key, const char *value)
{
	json_t *jstr;

	/* value is valid UTF-8; json_string() would return NULL otherwise
	   and the field is then left out rather than crash */
	jstr = json_string(value);
	if (jstr != NULL)
		(void)json_object_set_new(obj, key, jstr);
}

static void
set_text(json_t *obj, const char *key, const char *value, size_t max)
{
	if (value == NULL || *value == '\0')
		return;
	set_string(obj, key, webpush_payload_cut_text(value, max));
}

static void
add_from(json_t *obj, const char *from)
{
	struct message_address *addr;
	const char *email = NULL, *name = NULL;

	if (from == NULL)
		return;
	addr = message_address_parse(pool_datastack_create(),
				     (const unsigned char *)from, strlen(from),
				     UINT_MAX, 0);
	/* the first mailbox: skip group start/end markers (domain NULL) */
	for (; addr != NULL; addr = addr->next) {
		if (addr->domain != NULL)
			break;
	}
	if (addr == NULL)
		return;
	if (addr->mailbox != NULL && *addr->mailbox != '\0' &&
	    *addr->domain != '\0') {
		email = t_str_lcase(t_valid_utf8_str(
			t_strconcat(addr->mailbox, "@", addr->domain, NULL)));
	}
	/* with invalid syntax and no name the parser copies the mailbox
	   into the name: that is no display name */
	if (addr->name != NULL && addr->name != addr->mailbox)
		name = t_decode_header(addr->name);

	set_text(obj, "from-email", email, WEBPUSH_PAYLOAD_TEXT_MAX);
	set_text(obj, "from-name", name, WEBPUSH_PAYLOAD_TEXT_MAX);
}

static void add_date(json_t *obj, const struct webpush_payload_message *msg)
{
	struct tm tm;
	time_t local;
	int offset = msg->date_tz_offset;
	char sign = '+';

	if (!msg->have_date)
		return;
	/* RFC 5322 offsets are at most 99:59 */
	if (offset < -(99 * 60 + 59) || offset > 99 * 60 + 59)
		return;
	local = msg->date + (time_t)offset * 60;
	if (gmtime_r(&local, &tm) == NULL)
		return;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return;
	if (offset < 0) {
		sign = '-';
		offset = -offset;
	}
	set_string(obj, "date", t_strdup_printf(
		"%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec,
		sign, offset / 60, offset % 60));
}

static void add_uint(json_t *obj, const char *key, uint32_t value)
{
	json_t *num = json_integer((json_int_t)value);

	if (num != NULL)
		(void)json_object_set_new(obj, key, num);
}

static bool charset_param_is_default(const char *param)
{
	const char *value;
	size_t len;

	param = t_trim(param);
	if (strncasecmp(param, "charset", 7) != 0)
		return FALSE;
	value = t_trim(param + 7);
	if (*value != '=')
		return FALSE;
	value = t_trim(value + 1);
	len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
		value = t_strndup(value + 1, len - 2);
	return strcasecmp(value, "utf-8") == 0 ||
		strcasecmp(value, "us-ascii") == 0;
}

/* TRUE when the Content-Type means plain text in UTF-8 or ASCII, which a
   client assumes when content-type is absent. */
static bool content_type_is_default(const char *value)
{
	const char *const *parts;

	parts = t_strsplit(value, ";");
	if (strcasecmp(t_trim(parts[0]), "text/plain") != 0)
		return FALSE;
	for (parts++; *parts != NULL; parts++) {
		if (*t_trim(*parts) == '\0')
			continue;
		if (!charset_param_is_default(*parts))
			return FALSE;
	}
	return TRUE;
}

static void add_content(json_t *obj, const struct webpush_payload_message *msg)
{
	const char *value;
	json_t *jstr;

	jstr = json_stringn((const char *)msg->body, msg->body_size);
	if (jstr == NULL)
		return;
	(void)json_object_set_new(obj, "content", jstr);

	if (msg->content_type != NULL) {
		value = t_trim(t_valid_utf8_str(t_unfold(msg->content_type)));
		if (*value != '\0' && !content_type_is_default(value)) {
			set_text(obj, "content-type", value,
				 WEBPUSH_PAYLOAD_CONTENT_TYPE_MAX);
		}
	}
	if (msg->content_transfer_encoding != NULL) {
		value = t_str_lcase(t_trim(t_valid_utf8_str(
			t_unfold(msg->content_transfer_encoding))));
		if (strcmp(value, "8bit") != 0 && strcmp(value, "7bit") != 0 &&
		    strcmp(value, "binary") != 0)
			set_text(obj, "content-encoding", value,
				 WEBPUSH_PAYLOAD_TEXT_MAX);
	}
}

static bool content_may_fit(const struct webpush_payload_message *msg)
{
	/* NUL would be escaped as \u0000, which many JSON parsers (jansson
	   among them, by default) refuse */
	return msg->body != NULL &&
		msg->body_size <= WEBPUSH_PAYLOAD_MAX_SIZE &&
		memchr(msg->body, '\0', msg->body_size) == NULL &&
		uni_utf8_data_is_valid(msg->body, msg->body_size);
}

static json_t *
payload_object(const struct webpush_payload_message *msg, bool with_content)
{
	struct coi_detect_headers hdr;
	const char *value;
	json_t *obj;

	obj = json_object();
	if (obj == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "jansson: out of memory");

	add_from(obj, msg->from);
	if (msg->subject != NULL) {
		set_text(obj, "subject", t_decode_header(msg->subject),
			 WEBPUSH_PAYLOAD_TEXT_MAX);
	}
	add_date(obj, msg);
	if (msg->message_id != NULL) {
		value = coi_detect_first_msgid(msg->message_id);
		if (value != NULL) {
			set_text(obj, "msg-id", t_valid_utf8_str(value),
				 WEBPUSH_PAYLOAD_TEXT_MAX);
		}
	}
	add_uint(obj, "uid", msg->uid);
	add_uint(obj, "uidvalidity", msg->uidvalidity);
	if (msg->folder != NULL) {
		value = t_valid_utf8_str(msg->folder);
		if (webpush_payload_json_escaped_len(value) <=
		    WEBPUSH_PAYLOAD_FOLDER_MAX)
			set_string(obj, "folder", value);
	}

	i_zero(&hdr);
	hdr.have_chat_version = msg->have_chat_version;
	hdr.message_id = msg->message_id;
	hdr.references = msg->references;
	value = coi_detect_group_id(&hdr);
	if (value != NULL && strlen(value) <= WEBPUSH_PAYLOAD_GROUP_ID_MAX &&
	    uni_utf8_str_is_valid(value))
		set_string(obj, "group-id", value);

	if (with_content)
		add_content(obj, msg);
	return obj;
}

static const char *payload_dump(json_t *obj)
{
	return webpush_json_dump(obj, JSON_PRESERVE_ORDER);
}

const char *
webpush_payload_build_without_content(const struct webpush_payload_message *msg)
{
	return payload_dump(payload_object(msg, FALSE));
}

const char *webpush_payload_without_content(const char *payload)
{
	json_t *obj;

	/* jansson keeps the members in the order they were read */
	obj = json_loads(payload, 0, NULL);
	if (obj == NULL)
		return NULL;
	if (!json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	(void)json_object_del(obj, "content");
	(void)json_object_del(obj, "content-type");
	(void)json_object_del(obj, "content-encoding");
	return payload_dump(obj);
}

const char *webpush_payload_build(const struct webpush_payload_message *msg,
				  bool *content_included_r)
{
	const char *text;

	if (content_may_fit(msg)) {
		text = payload_dump(payload_object(msg, TRUE));
		if (strlen(text) <= WEBPUSH_PAYLOAD_MAX_SIZE) {
			if (content_included_r != NULL)
				*content_included_r = TRUE;
			return text;
		}
	}
	if (content_included_r != NULL)
		*content_included_r = FALSE;
	return webpush_payload_build_without_content(msg);
}

const char *webpush_payload_build_validation(const char *token)
{
	json_t *obj;

	obj = json_object();
	if (obj == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "jansson: out of memory");
	set_string(obj, "validation", t_valid_utf8_str(token));
	return payload_dump(obj);
}
