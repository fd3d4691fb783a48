/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "coi-detect.h"

/* How message-ids are found in a header value (RFC 5322 msg-id, read
   leniently):

   - Folding whitespace (SP, HTAB, CR, LF) between ids is skipped.
   - Comments "( ... )" are skipped, nested, with quoted pairs ("\)").
     An unterminated comment runs to the end of the value.
   - Quoted strings outside angle brackets (obsolete phrases in
     References) are skipped.
   - "<...>" is a message-id; whitespace inside it (obsolete folding) is
     removed. An empty "<>" is skipped. An unterminated "<..." holds no
     message-id.
   - Sloppy mailers write ids without brackets: a bare word (up to
     whitespace, '(', '<' or '"') that contains '@' is taken as a
     message-id. Bare words without '@' are phrases and skipped. */

#define COI_CHAT_PREFIX "chat$"
#define COI_DETECT_CHAT_VERSION_LC "chat-version"
#define COI_GROUP_PREFIX "chat$group."

static bool coi_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* p points at '('. Returns the position after the comment (nested
   comments and quoted pairs allowed), or the end of the string when it is
   unterminated. */
static const char *coi_skip_comment(const char *p)
{
	unsigned int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				break;
			p++;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return p;
}

/* p points at '"'. Returns the position after the quoted string, or the
   end of the string when it is unterminated. */
static const char *coi_skip_quoted(const char *p)
{
	for (p++; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				break;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return p;
}

/* Copies [start, end) without whitespace. */
static const char *coi_strdup_no_fws(const char *start, const char *end)
{
	string_t *str = t_str_new(end - start + 1);

	for (; start < end; start++) {
		if (!coi_is_fws(*start))
			str_append_c(str, *start);
	}
	return str_c(str);
}

const char *coi_detect_first_msgid(const char *value)
{
	const char *p = value, *start, *end;

	if (value == NULL)
		return NULL;

	while (*p != '\0') {
		if (coi_is_fws(*p)) {
			p++;
		} else if (*p == '(') {
			p = coi_skip_comment(p);
		} else if (*p == '"') {
			p = coi_skip_quoted(p);
		} else if (*p == '<') {
			start = p + 1;
			end = strchr(start, '>');
			if (end == NULL) {
				/* unterminated: no message-id here, and no
				   '>' can close a later one either */
				return NULL;
			}
			p = end + 1;
			const char *id = coi_strdup_no_fws(start, end);
			if (*id != '\0')
				return id;
		} else {
			/* a bare word */
			bool have_at = FALSE;

			start = p;
			while (*p != '\0' && !coi_is_fws(*p) && *p != '(' &&
			       *p != '<' && *p != '"') {
				if (*p == '@')
					have_at = TRUE;
				p++;
			}
			if (have_at)
				return t_strdup_until(start, p);
		}
	}
	return NULL;
}

static bool coi_msgid_is_chat(const char *id)
{
	return id != NULL && str_begins(id, COI_CHAT_PREFIX);
}

void coi_detect_raw_init(struct coi_detect_raw *raw)
{
	i_zero(raw);
	raw->line_empty = TRUE;
}

/* The octets coi_detect_raw_feed() looks at while no part of the name is
   matched: the line ends, '$' and the name's first letter. */
static const bool coi_detect_raw_special[256] = {
	['\n'] = TRUE, ['\r'] = TRUE, ['$'] = TRUE, ['c'] = TRUE, ['C'] = TRUE,
};

/* The line-start match of the Chat-Version header's name: c follows the
   octets matched so far. Dovecot's parser takes the name up to ':' and
   drops the spaces and tabs before it. */
static void coi_detect_raw_line_name(struct coi_detect_raw *raw,
				     unsigned char c)
{
	static const char name[] = COI_DETECT_CHAT_VERSION_LC;

	if (raw->line_name == COI_DETECT_RAW_NOT_NAME)
		return;
	if (raw->line_name < sizeof(name) - 1) {
		raw->line_name = c == (unsigned char)name[raw->line_name] ?
			raw->line_name + 1 : COI_DETECT_RAW_NOT_NAME;
	} else if (c == ':') {
		raw->chat_version = raw->maybe_chat = TRUE;
	} else if (c != ' ' && c != '\t') {
		raw->line_name = COI_DETECT_RAW_NOT_NAME;
	}
}

void coi_detect_raw_feed(struct coi_detect_raw *raw,
			 const unsigned char *data, size_t size)
{
	static const char name[] = COI_DETECT_CHAT_VERSION_LC;
	unsigned char c;
	size_t i, start;

	for (i = 0; i < size && !raw->chat_version && !raw->eoh; i++) {
		if (raw->matched == 0 && (raw->line_name == 0 ||
		    raw->line_name == COI_DETECT_RAW_NOT_NAME)) {
			/* most octets: skipped in a tight loop */
			for (start = i; i < size; i++) {
				if (coi_detect_raw_special[data[i]])
					break;
			}
			if (i > start) {
				raw->line_empty = FALSE;
				raw->line_name = COI_DETECT_RAW_NOT_NAME;
			}
			if (i == size)
				break;
		}
		c = data[i];
		if (c == '\n') {
			raw->eoh = raw->line_empty;
			raw->line_empty = TRUE;
			raw->line_cr = FALSE;
			raw->matched = 0;
			raw->line_name = 0;
			continue;
		}
		if (c == '\r') {
			/* not part of the name anywhere (a match across it only
			   makes maybe_chat looser); at the line's start it is
			   part of Dovecot's name */
			if (raw->line_cr)
				raw->line_empty = FALSE;
			raw->line_cr = TRUE;
			raw->line_name = COI_DETECT_RAW_NOT_NAME;
			continue;
		}
		raw->line_empty = FALSE;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		coi_detect_raw_line_name(raw, c);
		if (raw->maybe_chat) {
			/* only a Chat-Version header line matters now */
			continue;
		}
		if (c == '$') {
			raw->maybe_chat = TRUE;
			continue;
		}
		if (c == (unsigned char)name[raw->matched]) {
			if (++raw->matched == sizeof(name) - 1) {
				raw->maybe_chat = TRUE;
				raw->matched = 0;
			}
		} else {
			/* 'c' starts the name and occurs in it only there */
			raw->matched = c == 'c' ? 1 : 0;
		}
	}
}

void coi_detect_scan_line(struct coi_detect_scan *scan, const char *name,
			  bool continued, const unsigned char *value,
			  size_t value_size)
{
	static const char prefix[] = COI_CHAT_PREFIX;
	size_t i;

	if (!continued) {
		if (strcasecmp(name, "Chat-Version") == 0)
			scan->maybe_chat = scan->chat_version = TRUE;
		scan->msgid_header = strcasecmp(name, "Message-ID") == 0 ||
			strcasecmp(name, "References") == 0;
		scan->matched = 0;
	}
	if (scan->maybe_chat || !scan->msgid_header)
		return;

	/* "chat$" with folding whitespace anywhere in it: a message-id
	   loses its whitespace. A line ends in a newline, whitespace too. */
	for (i = 0; i < value_size; i++) {
		char c = (char)value[i];

		if (coi_is_fws(c))
			continue;
		if (c == prefix[scan->matched]) {
			if (++scan->matched == sizeof(prefix) - 1) {
				scan->maybe_chat = TRUE;
				return;
			}
		} else {
			/* 'c' starts the prefix and occurs in it only there */
			scan->matched = c == prefix[0] ? 1 : 0;
		}
	}
}

bool coi_detect_is_chat(const struct coi_detect_headers *hdr)
{
	bool ret;

	if (hdr->have_chat_version)
		return TRUE;
	T_BEGIN {
		ret = coi_msgid_is_chat(coi_detect_first_msgid(hdr->message_id)) ||
			coi_msgid_is_chat(coi_detect_first_msgid(hdr->references));
	} T_END;
	return ret;
}

static bool coi_is_group_id_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z') || c == '_' || c == '-';
}

/* Returns the group ID of one message-id, or NULL. */
static const char *coi_msgid_group_id(const char *id)
{
	const char *start, *p;
	size_t len;

	if (id == NULL || !str_begins(id, COI_GROUP_PREFIX))
		return NULL;
	start = id + strlen(COI_GROUP_PREFIX);
	for (p = start; coi_is_group_id_char(*p); p++) ;
	len = p - start;
	if (*p != '.' || len < COI_DETECT_GROUP_ID_MIN_LEN ||
	    len > COI_DETECT_GROUP_ID_MAX_LEN)
		return NULL;
	return t_strdup_until(start, p);
}

const char *coi_detect_group_id(const struct coi_detect_headers *hdr)
{
	const char *group_id;

	group_id = coi_msgid_group_id(coi_detect_first_msgid(hdr->message_id));
	if (group_id == NULL) {
		group_id = coi_msgid_group_id(
			coi_detect_first_msgid(hdr->references));
	}
	return group_id;
}
