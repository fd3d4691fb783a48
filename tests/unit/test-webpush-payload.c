/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "strescape.h"
#include "unichar.h"
#include "test-common.h"
#include "webpush-payload.h"

#include <jansson.h>

#define ELLIPSIS WEBPUSH_PAYLOAD_ELLIPSIS

/* The last object parse() returned. */
static json_t *last_parsed = NULL;

static bool str_ends_with(const char *str, const char *suffix)
{
	size_t len = strlen(str), slen = strlen(suffix);

	return len >= slen && strcmp(str + len - slen, suffix) == 0;
}

static const char *t_repeat(const char *s, unsigned int count)
{
	string_t *str = t_str_new(strlen(s) * count + 1);

	while (count-- > 0)
		str_append(str, s);
	return str_c(str);
}

static void msg_init(struct webpush_payload_message *msg)
{
	i_zero(msg);
	msg->uid = 7;
	msg->uidvalidity = 1234567890;
	msg->folder = "INBOX";
}

/* Parses payload text back with jansson; the object stays referenced
   until the next call. */
static json_t *parse(const char *text)
{
	json_error_t error;

	if (last_parsed != NULL)
		json_decref(last_parsed);
	test_assert(uni_utf8_str_is_valid(text));
	last_parsed = json_loads(text, 0, &error);
	if (last_parsed == NULL)
		i_error("payload is not JSON (%s): %s", error.text, text);
	test_assert(last_parsed != NULL && json_is_object(last_parsed));
	return last_parsed;
}

static const char *get_str(json_t *obj, const char *key)
{
	json_t *value = obj == NULL ? NULL : json_object_get(obj, key);

	if (value == NULL)
		return NULL;
	test_assert(json_is_string(value));
	return json_string_value(value);
}

/* The field is expected (NULL: absent). */
static void
check_field(json_t *obj, const char *key, const char *expected, unsigned int i)
{
	if (expected == NULL)
		test_assert_idx(json_object_get(obj, key) == NULL, i);
	else
		test_assert_strcmp_idx(get_str(obj, key), expected, i);
}

static json_t *build(const struct webpush_payload_message *msg)
{
	return parse(webpush_payload_build(msg, NULL));
}

static size_t jansson_escaped_len(const char *s)
{
	json_t *str = json_string(s);
	char *text;
	size_t len;

	i_assert(str != NULL);
	text = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
	len = strlen(text) - 2;
	free(text);
	json_decref(str);
	return len;
}

/* out is what the payload holds for in (valid UTF-8): in itself when its
   escaped form fits max, otherwise the longest whole-character prefix
   that fits, followed by the ellipsis. */
static void check_cut(const char *in, const char *out, size_t max)
{
	size_t in_len = jansson_escaped_len(in), prefix_len;
	const char *prefix;

	test_assert(out != NULL);
	if (out == NULL)
		return;
	if (in_len <= max) {
		test_assert_strcmp(out, in);
		return;
	}
	test_assert(str_ends_with(out, ELLIPSIS));
	prefix = t_strndup(out, strlen(out) - strlen(ELLIPSIS));
	prefix_len = strlen(prefix);
	test_assert(strncmp(in, prefix, prefix_len) == 0);
	test_assert(jansson_escaped_len(prefix) <= max);
	/* maximal: the next whole character would not fit */
	test_assert(jansson_escaped_len(t_strndup(in, prefix_len +
		uni_utf8_char_bytes(in[prefix_len]))) > max);
	/* a whole number of characters */
	test_assert(uni_utf8_str_is_valid(prefix));
}

/* The payload stripped of its content after a 413 is the payload built
   without content. */
static void check_without_content(const struct webpush_payload_message *msg,
				  unsigned int idx)
{
	const char *payload = webpush_payload_build(msg, NULL);

	test_assert_strcmp_idx(webpush_payload_without_content(payload),
			       webpush_payload_build_without_content(msg), idx);
}

static void test_full_payload(void)
{
	struct webpush_payload_message msg;
	static const unsigned char body[] = "Hi Bob,\r\nsee you \"soon\".\r\n";
	bool content;

	test_begin("payload with every field");
	msg_init(&msg);
	msg.from = "Alice Example <Alice@Example.COM>";
	msg.subject = "Lunch?";
	msg.message_id = "<chat$group.4321dcba1234.ABSKDJK23223.293892839@example.com>";
	msg.have_chat_version = TRUE;
	msg.have_date = TRUE;
	msg.date = 1795881210; /* 2026-11-28T15:53:30Z */
	msg.date_tz_offset = 60;
	msg.folder = "COI/Chats";
	msg.body = body;
	msg.body_size = sizeof(body) - 1;
	msg.content_type = "text/plain; charset=utf-8";
	msg.content_transfer_encoding = "8bit";
	test_assert_strcmp(webpush_payload_build(&msg, &content),
		"{\"from-email\":\"alice@example.com\","
		"\"from-name\":\"Alice Example\","
		"\"subject\":\"Lunch?\","
		"\"date\":\"2026-11-28T16:53:30+01:00\","
		"\"msg-id\":\"chat$group.4321dcba1234.ABSKDJK23223.293892839@example.com\","
		"\"uid\":7,\"uidvalidity\":1234567890,"
		"\"folder\":\"COI/Chats\","
		"\"group-id\":\"4321dcba1234\","
		"\"content\":\"Hi Bob,\\r\\nsee you \\\"soon\\\".\\r\\n\"}");
	test_assert(content);
	test_assert_strcmp(webpush_payload_build_without_content(&msg),
		"{\"from-email\":\"alice@example.com\","
		"\"from-name\":\"Alice Example\","
		"\"subject\":\"Lunch?\","
		"\"date\":\"2026-11-28T16:53:30+01:00\","
		"\"msg-id\":\"chat$group.4321dcba1234.ABSKDJK23223.293892839@example.com\","
		"\"uid\":7,\"uidvalidity\":1234567890,"
		"\"folder\":\"COI/Chats\","
		"\"group-id\":\"4321dcba1234\"}");
	check_without_content(&msg, 0);
	/* not a payload */
	test_assert(webpush_payload_without_content("[1]") == NULL);
	test_assert(webpush_payload_without_content("{\"a\":") == NULL);
	test_end();
}

static void test_minimal_payload(void)
{
	struct webpush_payload_message msg;
	json_t *obj;
	bool content = TRUE;

	test_begin("missing headers are omitted");
	msg_init(&msg);
	msg.uid = 4294967295U;
	msg.uidvalidity = 1;
	test_assert_strcmp(webpush_payload_build(&msg, &content),
			   "{\"uid\":4294967295,\"uidvalidity\":1,\"folder\":\"INBOX\"}");
	test_assert(!content);

	/* empty headers are omitted too */
	msg.from = "";
	msg.subject = "";
	msg.message_id = "";
	msg.references = "";
	msg.content_type = "";
	msg.content_transfer_encoding = "";
	msg.folder = NULL;
	test_assert_strcmp(webpush_payload_build(&msg, &content),
			   "{\"uid\":4294967295,\"uidvalidity\":1}");

	/* whitespace only, an empty message-id, a name without address */
	msg.from = "  ";
	msg.subject = " \t \r\n ";
	msg.message_id = "<>";
	obj = build(&msg);
	test_assert(json_object_size(obj) == 2);

	msg.from = "Just A Name";
	obj = build(&msg);
	test_assert(get_str(obj, "from-email") == NULL);

	msg.from = "undisclosed-recipients:;";
	obj = build(&msg);
	test_assert(get_str(obj, "from-email") == NULL);
	test_assert(get_str(obj, "from-name") == NULL);

	msg.from = "Friends: Carol <carol@example.org>, dave@example.org;";
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-email"), "carol@example.org");
	test_assert_strcmp(get_str(obj, "from-name"), "Carol");

	msg.from = "bob@example.org";
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-email"), "bob@example.org");
	test_assert(get_str(obj, "from-name") == NULL);

	msg.from = "\"\" <bob@example.org>";
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-email"), "bob@example.org");
	test_assert(get_str(obj, "from-name") == NULL);

	msg.from = "Bob <BOB@EXAMPLE.ORG>, Eve <eve@example.org>";
	msg.message_id = "  <Some.ID@Example.ORG>  ";
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-email"), "bob@example.org");
	test_assert_strcmp(get_str(obj, "msg-id"), "Some.ID@Example.ORG");
	test_end();
}

static void test_escaped_len(void)
{
	static const char *samples[] = {
		"", "a", "\"", "\\", "/", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x82", "\xe2\x80\xa8", "\xef\xbf\xbd",
		"a\"b\\c\nd\te\x01" "f\x1f", "\b\f\n\r\t",
	};
	char s[2];
	unsigned int i;

	test_begin("escaped length is jansson's");
	for (i = 1; i < 0x80; i++) {
		s[0] = (char)i;
		s[1] = '\0';
		test_assert_idx(webpush_payload_json_escaped_len(s) ==
				jansson_escaped_len(s), i);
	}
	for (i = 0; i < N_ELEMENTS(samples); i++) {
		test_assert_idx(webpush_payload_json_escaped_len(samples[i]) ==
				jansson_escaped_len(samples[i]), i);
	}
	test_end();
}

static void test_cut_text(void)
{
	/* prefixes of 'a' followed by a character of escaped length 1..6,
	   straddling the 100-octet limit from every side */
	static const char *tails[] = {
		"b", "\"", "\\", "\t", "\n", "\x01", "\x1f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x82",
		"\"\"", "\xc3\xa9\xc3\xa9", "\x01z",
	};
	static const struct {
		unsigned int n;
		const char *tail;
		bool cut;
	} straddle[] = {
		{ 99, "\"", TRUE }, { 98, "\"", FALSE },
		{ 99, "\\", TRUE }, { 98, "\\", FALSE },
		{ 95, "\x01", TRUE }, { 94, "\x01", FALSE },
		{ 99, "\xc3\xa9", TRUE }, { 98, "\xc3\xa9", FALSE },
		{ 98, "\xe2\x82\xac", TRUE }, { 97, "\xe2\x82\xac", FALSE },
		{ 97, "\xf0\x9f\x98\x82", TRUE },
		{ 96, "\xf0\x9f\x98\x82", FALSE },
	};
	const char *in, *out;
	unsigned int i, n;

	test_begin("cut at 100 escaped octets, never inside a character or escape");
	/* 99, 100, 101 octets */
	in = t_repeat("a", 99);
	test_assert_strcmp(webpush_payload_cut_text(in, 100), in);
	in = t_repeat("a", 100);
	test_assert_strcmp(webpush_payload_cut_text(in, 100), in);
	in = t_repeat("a", 101);
	test_assert_strcmp(webpush_payload_cut_text(in, 100),
			   t_strconcat(t_repeat("a", 100), ELLIPSIS, NULL));

	/* exact cuts of characters straddling the limit: n 'a's and the
	   tail; cut means only the 'a's remain */
	for (i = 0; i < N_ELEMENTS(straddle); i++) {
		const char *prefix = t_repeat("a", straddle[i].n);

		in = t_strconcat(prefix, straddle[i].tail, NULL);
		test_assert_strcmp_idx(webpush_payload_cut_text(in, 100),
			straddle[i].cut ? t_strconcat(prefix, ELLIPSIS, NULL) : in, i);
	}
	/* all multi-byte: 50 x 2 octets fit, 51 do not */
	in = t_repeat("\xc3\xa9", 50);
	test_assert_strcmp(webpush_payload_cut_text(in, 100), in);
	in = t_repeat("\xc3\xa9", 51);
	test_assert_strcmp(webpush_payload_cut_text(in, 100),
			   t_strconcat(t_repeat("\xc3\xa9", 50), ELLIPSIS, NULL));
	/* 34 x 3 octets = 102: 33 fit */
	in = t_repeat("\xe2\x82\xac", 34);
	test_assert_strcmp(webpush_payload_cut_text(in, 100),
			   t_strconcat(t_repeat("\xe2\x82\xac", 33), ELLIPSIS, NULL));
	/* 17 x 6 octets = 102: 16 fit */
	in = t_repeat("\x02", 17);
	test_assert_strcmp(webpush_payload_cut_text(in, 100),
			   t_strconcat(t_repeat("\x02", 16), ELLIPSIS, NULL));

	/* every tail at every position around the limit */
	for (i = 0; i < N_ELEMENTS(tails); i++) {
		for (n = 90; n <= 101; n++) {
			in = t_strconcat(t_repeat("a", n), tails[i], "tail", NULL);
			out = webpush_payload_cut_text(in, 100);
			check_cut(in, out, 100);
			in = t_strconcat(t_repeat("a", n), tails[i], NULL);
			out = webpush_payload_cut_text(in, 100);
			check_cut(in, out, 100);
		}
	}
	test_assert_strcmp(webpush_payload_cut_text("", 100), "");
	test_end();
}

/* Each text field of the payload, fed through its header. */
static void test_text_fields_cut(void)
{
	static const char *tails[] = {
		"b", "\"", "\\", "\x01", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x82",
	};
	struct webpush_payload_message msg;
	const char *text, *local;
	json_t *obj;
	unsigned int i, n;

	test_begin("from-name, subject, msg-id, from-email cut at 100");
	for (i = 0; i < N_ELEMENTS(tails); i++) {
		for (n = 94; n <= 101; n++) {
			text = t_strconcat(t_repeat("x", n), tails[i], NULL);
			msg_init(&msg);
			msg.subject = t_strconcat("y", text, "z", NULL);
			msg.from = t_strconcat("\"", str_escape(text),
					       "\" <a@example.org>", NULL);
			if (tails[i][0] != '\x01' && tails[i][0] != '\\' &&
			    tails[i][0] != '"')
				msg.message_id = t_strconcat("<", text, "@m>", NULL);
			msg.body = (const unsigned char *)text;
			msg.body_size = strlen(text);
			obj = build(&msg);
			check_without_content(&msg, i * 1000 + n);
			check_cut(t_strconcat("y", text, "z", NULL),
				  get_str(obj, "subject"), 100);
			check_cut(text, get_str(obj, "from-name"), 100);
			if (msg.message_id != NULL) {
				check_cut(t_strconcat(text, "@m", NULL),
					  get_str(obj, "msg-id"), 100);
			}
		}
	}
	/* exactly 99/100/101 octets per field */
	for (n = 99; n <= 101; n++) {
		text = t_repeat("s", n);
		local = t_repeat("l", n - strlen("@example.org"));
		msg_init(&msg);
		msg.subject = text;
		msg.from = t_strdup_printf("%s <%s@EXAMPLE.org>", text, local);
		msg.message_id = t_strdup_printf("<%s>", text);
		obj = build(&msg);
		text = n <= 100 ? text :
			t_strconcat(t_repeat("s", 100), ELLIPSIS, NULL);
		test_assert_strcmp_idx(get_str(obj, "subject"), text, n);
		test_assert_strcmp_idx(get_str(obj, "from-name"), text, n);
		test_assert_strcmp_idx(get_str(obj, "msg-id"), text, n);
		local = t_strconcat(local, "@example.org", NULL);
		test_assert_strcmp_idx(get_str(obj, "from-email"),
			n <= 100 ? local : t_strconcat(t_strndup(local, 100),
						       ELLIPSIS, NULL), n);
	}
	test_end();
}

static void test_rfc2047(void)
{
	struct webpush_payload_message msg;
	json_t *obj;

	test_begin("RFC 2047 encoded From and Subject");
	msg_init(&msg);
	msg.from = "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen.Mueller@Example.COM>";
	msg.subject = "=?ISO-8859-1?Q?Gr=FC=DFe?= =?UTF-8?B?8J+Ygg==?=";
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-name"), "J\xc3\xbcrgen M\xc3\xbcller");
	test_assert_strcmp(get_str(obj, "from-email"), "juergen.mueller@example.com");
	test_assert_strcmp(get_str(obj, "subject"), "Gr\xc3\xbc\xc3\x9f" "e\xf0\x9f\x98\x82");

	/* folded, mixed with plain words, quoted display name */
	msg.from = "\"Smith, =?iso-8859-1?q?Andr=E9?=\" <andre@example.org>";
	msg.subject = "Re: =?utf-8?q?caf=C3=A9?=\r\n =?utf-8?q?_cr=C3=A8me?= and\r\n\tmore";
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-name"), "Smith, Andr\xc3\xa9");
	test_assert_strcmp(get_str(obj, "subject"),
			   "Re: caf\xc3\xa9 cr\xc3\xa8me and\tmore");

	/* a decoded name longer than 100 octets is cut after decoding */
	msg.from = t_strdup_printf("=?UTF-8?B?%s?= <a@b.example>",
		"w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqQ==");
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-name"),
			   t_strconcat(t_repeat("\xc3\xa9", 50), ELLIPSIS, NULL));

	/* unknown charset and broken encoded words do not break anything */
	msg.from = "=?x-unknown?Q?abc?= <a@b.example>";
	msg.subject = "=?utf-8?B?****?= =?utf-8?Q?unterminated";
	obj = build(&msg);
	test_assert(get_str(obj, "from-email") != NULL);
	test_assert(get_str(obj, "subject") != NULL);
	test_end();
}

static void test_invalid_utf8(void)
{
	struct webpush_payload_message msg;
	json_t *obj;
	bool content;

	test_begin("invalid UTF-8 gives valid JSON");
	msg_init(&msg);
	msg.from = "\xff\xfe N\xc3 <b\xe9@ex\x80mple.org>";
	msg.subject = "caf\xe9 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 end\xc3";
	msg.message_id = "<\xff\xfe@x>";
	msg.folder = "INBOX/\xff";
	msg.content_type = "text/html; name=\"\xff\"";
	msg.content_transfer_encoding = "\xfe";
	msg.body = (const unsigned char *)"ok body";
	msg.body_size = 7;
	obj = parse(webpush_payload_build(&msg, &content));
	test_assert(content);
	test_assert(strstr(get_str(obj, "subject"), "\xef\xbf\xbd") != NULL);
	test_assert(str_begins(get_str(obj, "subject"), "caf\xef\xbf\xbd "));
	test_assert(str_ends_with(get_str(obj, "subject"), " end\xef\xbf\xbd"));
	test_assert(get_str(obj, "from-email") != NULL);
	test_assert(get_str(obj, "from-name") != NULL);
	test_assert(str_begins(get_str(obj, "msg-id"), "\xef\xbf\xbd"));
	test_assert(str_ends_with(get_str(obj, "msg-id"), "@x"));
	test_assert_strcmp(get_str(obj, "folder"), "INBOX/\xef\xbf\xbd");
	test_assert_strcmp(get_str(obj, "content-type"),
			   "text/html; name=\"\xef\xbf\xbd\"");
	test_assert_strcmp(get_str(obj, "content-encoding"), "\xef\xbf\xbd");
	check_without_content(&msg, 0);

	/* RFC 2047 words that decode to invalid UTF-8 */
	msg_init(&msg);
	msg.subject = "=?UTF-8?B?/w==?= x =?utf-8?q?=ED=A0=80?=";
	msg.from = "=?UTF-8?Q?=C3?= <a@b.example>";
	obj = build(&msg);
	test_assert(get_str(obj, "subject") != NULL);
	test_assert(get_str(obj, "from-name") != NULL);

	/* a body with invalid UTF-8 is left out */
	msg_init(&msg);
	msg.body = (const unsigned char *)"caf\xe9";
	msg.body_size = 4;
	obj = parse(webpush_payload_build(&msg, &content));
	test_assert(!content);
	test_assert(json_object_get(obj, "content") == NULL);

	/* hostile structure */
	msg_init(&msg);
	msg.from = "<<<@>>>,,,\"\\";
	msg.subject = t_repeat("=?", 3000);
	msg.message_id = "<<<<";
	msg.references = "<chat$group.";
	(void)build(&msg);
	msg.from = t_repeat("a@b, ", 4000);
	msg.subject = t_repeat("\xe2\x82", 4000);
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "from-email"), "a@b");
	test_end();
}

static void test_date(void)
{
	static const struct {
		time_t date;
		int tz;
		const char *expected;
	} tests[] = {
		{ 1795881210, 0, "2026-11-28T15:53:30+00:00" },
		{ 1795881210, 60, "2026-11-28T16:53:30+01:00" },
		{ 1795881210, -330, "2026-11-28T10:23:30-05:30" },
		{ 1795881210, 14 * 60, "2026-11-29T05:53:30+14:00" },
		{ 1795881210, -(99 * 60 + 59), "2026-11-24T11:54:30-99:59" },
		{ 0, 0, "1970-01-01T00:00:00+00:00" },
		{ -1, 0, "1969-12-31T23:59:59+00:00" },
		{ 951782400, 0, "2000-02-29T00:00:00+00:00" },
		{ 253402300799LL, 0, "9999-12-31T23:59:59+00:00" },
		{ 253402300800LL, 0, NULL },
		{ 253402300799LL, 60, NULL },
		{ -62167219201LL, 0, NULL },
		{ 1795881210, 100 * 60, NULL },
	};
	struct webpush_payload_message msg;
	json_t *obj;
	unsigned int i;

	test_begin("date as RFC 3339");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		msg_init(&msg);
		msg.have_date = TRUE;
		msg.date = tests[i].date;
		msg.date_tz_offset = tests[i].tz;
		obj = build(&msg);
		check_field(obj, "date", tests[i].expected, i);
	}
	msg_init(&msg);
	msg.have_date = FALSE;
	msg.date = 1795881210;
	obj = build(&msg);
	test_assert(get_str(obj, "date") == NULL);
	test_end();
}

static void test_folder(void)
{
	struct webpush_payload_message msg;
	json_t *obj;

	test_begin("folder omitted over 200 octets");
	msg_init(&msg);
	msg.folder = t_repeat("f", 199);
	test_assert_strcmp(get_str(build(&msg), "folder"), msg.folder);
	msg.folder = t_repeat("f", 200);
	test_assert_strcmp(get_str(build(&msg), "folder"), msg.folder);
	msg.folder = t_repeat("f", 201);
	test_assert(get_str(build(&msg), "folder") == NULL);
	/* 200 octets of two-byte characters */
	msg.folder = t_repeat("\xc3\xa4", 100);
	test_assert_strcmp(get_str(build(&msg), "folder"), msg.folder);
	msg.folder = t_strconcat(t_repeat("\xc3\xa4", 100), "x", NULL);
	test_assert(get_str(build(&msg), "folder") == NULL);
	/* the escaped form counts: 199 + \" = 201 */
	msg.folder = t_strconcat(t_repeat("f", 198), "\"", NULL);
	test_assert_strcmp(get_str(build(&msg), "folder"), msg.folder);
	msg.folder = t_strconcat(t_repeat("f", 199), "\"", NULL);
	obj = build(&msg);
	test_assert(get_str(obj, "folder") == NULL);
	test_assert(json_integer_value(json_object_get(obj, "uid")) == 7);
	test_end();
}

static void test_group_id(void)
{
	static const struct {
		bool chat_version;
		const char *message_id, *references, *group_id;
	} tests[] = {
		/* the test vectors */
		{ FALSE, "<chat$group.4321dcba1234.ABSKDJK23223.293892839@example.com>",
		  NULL, "4321dcba1234" },
		{ FALSE, "<chat$group.5422989123KJKK.S2571BC.2878&8@sample.com>",
		  NULL, "5422989123KJKK" },
		{ FALSE, "<chat$S2571BC.2878&8@sample.com>", NULL, NULL },
		/* a reply: the group from References */
		{ TRUE, "<reply.1@example.com>",
		  "<chat$group.5422989123KJKK.S2571BC.2878&8@sample.com>\r\n <x@y>",
		  "5422989123KJKK" },
		/* not chat at all */
		{ FALSE, "<plain@example.com>", NULL, NULL },
		{ TRUE, "<plain@example.com>", NULL, NULL },
		/* too short an ID */
		{ TRUE, "<chat$group.short.x@example.com>", NULL, NULL },
	};
	struct webpush_payload_message msg;
	json_t *obj;
	unsigned int i;

	test_begin("group-id from the COI detector");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		msg_init(&msg);
		msg.have_chat_version = tests[i].chat_version;
		msg.message_id = tests[i].message_id;
		msg.references = tests[i].references;
		obj = build(&msg);
		check_field(obj, "group-id", tests[i].group_id, i);
	}
	/* 128 octets: kept; 129: omitted */
	msg_init(&msg);
	msg.message_id = t_strdup_printf("<chat$group.%s.x@example.com>",
					 t_repeat("G", 128));
	test_assert_strcmp(get_str(build(&msg), "group-id"), t_repeat("G", 128));
	msg.message_id = t_strdup_printf("<chat$group.%s.x@example.com>",
					 t_repeat("G", 129));
	test_assert(get_str(build(&msg), "group-id") == NULL);
	test_end();
}

static void test_content_fields(void)
{
	static const struct {
		const char *content_type, *cte;
		const char *exp_type, *exp_encoding;
	} tests[] = {
		{ NULL, NULL, NULL, NULL },
		{ "text/plain", "8bit", NULL, NULL },
		{ "TEXT/PLAIN", "7BIT", NULL, NULL },
		{ "text/plain; charset=utf-8", "binary", NULL, NULL },
		{ "text/plain;\r\n charset=\"UTF-8\"", " 8bit ", NULL, NULL },
		{ "text/plain; charset=us-ascii;", "8Bit", NULL, NULL },
		{ "text/plain; charset=iso-8859-1", "Quoted-Printable",
		  "text/plain; charset=iso-8859-1", "quoted-printable" },
		{ "text/plain; format=flowed", "base64",
		  "text/plain; format=flowed", "base64" },
		{ "text/html", NULL, "text/html", NULL },
		{ "multipart/mixed;\r\n\tboundary=\"b1\"", "7bit",
		  "multipart/mixed;\tboundary=\"b1\"", NULL },
		{ "  application/pgp-encrypted  ", "x-uuencode",
		  "application/pgp-encrypted", "x-uuencode" },
	};
	struct webpush_payload_message msg;
	json_t *obj;
	unsigned int i;
	bool content;

	test_begin("content, content-type, content-encoding");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		msg_init(&msg);
		msg.body = (const unsigned char *)"SGVsbG8=\r\n";
		msg.body_size = 10;
		msg.content_type = tests[i].content_type;
		msg.content_transfer_encoding = tests[i].cte;
		obj = parse(webpush_payload_build(&msg, &content));
		test_assert_idx(content, i);
		test_assert_strcmp_idx(get_str(obj, "content"), "SGVsbG8=\r\n", i);
		check_field(obj, "content-type", tests[i].exp_type, i);
		check_field(obj, "content-encoding", tests[i].exp_encoding, i);
		/* without content: none of the three */
		obj = parse(webpush_payload_build_without_content(&msg));
		test_assert_idx(json_object_get(obj, "content") == NULL, i);
		test_assert_idx(json_object_get(obj, "content-type") == NULL, i);
		test_assert_idx(json_object_get(obj, "content-encoding") == NULL, i);
		check_without_content(&msg, i);
	}

	/* content-type is cut at 200 escaped octets */
	msg_init(&msg);
	msg.body = (const unsigned char *)"x";
	msg.body_size = 1;
	msg.content_type = t_strconcat("text/html; name=", t_repeat("n", 183), NULL);
	test_assert(strlen(msg.content_type) == 199);
	test_assert_strcmp(get_str(build(&msg), "content-type"),
			   msg.content_type);
	msg.content_type = t_strconcat("text/html; name=", t_repeat("n", 184), NULL);
	test_assert_strcmp(get_str(build(&msg), "content-type"),
			   msg.content_type);
	msg.content_type = t_strconcat("text/html; name=", t_repeat("n", 185), NULL);
	test_assert_strcmp(get_str(build(&msg), "content-type"),
		t_strconcat("text/html; name=", t_repeat("n", 184), ELLIPSIS, NULL));
	/* quotes count twice: 16 + 1 + 181 + 1 = 199 octets, 201 escaped */
	msg.content_type = t_strconcat("text/html; name=\"", t_repeat("n", 181),
				       "\"", NULL);
	obj = build(&msg);
	test_assert_strcmp(get_str(obj, "content-type"),
		t_strconcat("text/html; name=\"", t_repeat("n", 181), ELLIPSIS, NULL));
	check_cut(msg.content_type, get_str(obj, "content-type"), 200);
	/* an empty body is still content */
	msg.body = (const unsigned char *)"";
	msg.body_size = 0;
	msg.content_type = NULL;
	test_assert_strcmp(get_str(build(&msg), "content"), "");
	/* a NUL in the body leaves content out (\u0000 is refused by many
	   JSON parsers, jansson's json_loads() among them) */
	msg.body = (const unsigned char *)"a\0b";
	msg.body_size = 3;
	obj = parse(webpush_payload_build(&msg, &content));
	test_assert(!content);
	test_assert(json_object_get(obj, "content") == NULL);
	test_end();
}

static void test_content_limit(void)
{
	struct webpush_payload_message msg;
	const char *text, *units[] = { "b", "\r\n", "\"", "\x01", "\xe2\x82\xac" };
	size_t base_len, unit_len, fill;
	unsigned char *body;
	string_t *str;
	unsigned int i;
	bool content;
	json_t *obj;

	test_begin("content only while the payload fits 3993 octets");
	test_assert(WEBPUSH_PAYLOAD_MAX_SIZE == 3993);
	msg_init(&msg);
	msg.from = "Alice <alice@example.com>";
	msg.subject = "size test";
	msg.content_type = "text/html";
	base_len = strlen(webpush_payload_build_without_content(&msg)) +
		strlen(",\"content\":\"\",\"content-type\":\"text/html\"");

	for (i = 0; i < N_ELEMENTS(units); i++) {
		unit_len = webpush_payload_json_escaped_len(units[i]);
		/* a body of "a"s and units whose payload is exactly 3993 */
		fill = (WEBPUSH_PAYLOAD_MAX_SIZE - base_len) / unit_len;
		str = t_str_new(4096);
		while (fill-- > 0)
			str_append(str, units[i]);
		while (base_len + webpush_payload_json_escaped_len(str_c(str)) <
		       WEBPUSH_PAYLOAD_MAX_SIZE)
			str_insert(str, 0, "a");
		body = t_malloc_no0(str_len(str) + 1);
		memcpy(body, str_data(str), str_len(str) + 1);
		msg.body = body;
		msg.body_size = str_len(str);
		text = webpush_payload_build(&msg, &content);
		test_assert_idx(content, i);
		test_assert_idx(strlen(text) == WEBPUSH_PAYLOAD_MAX_SIZE, i);
		obj = parse(text);
		test_assert_strcmp_idx(get_str(obj, "content"), str_c(str), i);

		/* one unit more: 3993 + unit_len, so no content */
		str_insert(str, 0, units[i]);
		body = t_malloc_no0(str_len(str) + 1);
		memcpy(body, str_data(str), str_len(str) + 1);
		msg.body = body;
		msg.body_size = str_len(str);
		text = webpush_payload_build(&msg, &content);
		test_assert_idx(!content, i);
		test_assert_strcmp_idx(text,
			webpush_payload_build_without_content(&msg), i);
		obj = parse(text);
		test_assert_idx(json_object_get(obj, "content") == NULL, i);
		test_assert_idx(json_object_get(obj, "content-type") == NULL, i);
		test_assert_strcmp_idx(get_str(obj, "subject"), "size test", i);
	}

	/* bodies over 3993 octets never fit; NULL means no body */
	body = t_malloc0(5000);
	memset(body, 'a', 4999);
	msg.body = body;
	msg.body_size = 3994;
	(void)webpush_payload_build(&msg, &content);
	test_assert(!content);
	msg.body = NULL;
	msg.body_size = 10;
	(void)webpush_payload_build(&msg, &content);
	test_assert(!content);
	test_end();
}

static void test_largest_without_content(void)
{
	struct webpush_payload_message msg;
	const char *text, *big = t_repeat("\x01\"", 400);
	json_t *obj;

	test_begin("payload without content always fits");
	msg_init(&msg);
	msg.from = t_strdup_printf("\"%s\" <%s@example.org>",
				   t_repeat("\\\"", 300), t_repeat("l", 300));
	msg.subject = big;
	msg.message_id = t_strdup_printf("<chat$group.%s.%s@x>",
					 t_repeat("G", 128), t_repeat("m", 300));
	msg.have_date = TRUE;
	msg.date = 1795881210;
	msg.date_tz_offset = -(99 * 60 + 59);
	msg.uid = 4294967295U;
	msg.uidvalidity = 4294967295U;
	msg.folder = t_repeat("\xc3\xa4", 100);
	msg.content_type = big;
	msg.content_transfer_encoding = big;
	text = webpush_payload_build_without_content(&msg);
	test_assert(strlen(text) <= 1024);
	obj = parse(text);
	test_assert(json_object_size(obj) == 9);
	test_end();
}

static void test_validation(void)
{
	json_t *obj;

	test_begin("validation payload");
	test_assert_strcmp(webpush_payload_build_validation("tok-123_ABC"),
			   "{\"validation\":\"tok-123_ABC\"}");
	obj = parse(webpush_payload_build_validation("a\"b\xff"));
	test_assert_strcmp(get_str(obj, "validation"), "a\"b\xef\xbf\xbd");
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_full_payload,
		test_minimal_payload,
		test_escaped_len,
		test_cut_text,
		test_text_fields_cut,
		test_rfc2047,
		test_invalid_utf8,
		test_date,
		test_folder,
		test_group_id,
		test_content_fields,
		test_content_limit,
		test_largest_without_content,
		test_validation,
		NULL
	};
	int ret = test_run(test_functions);

	if (last_parsed != NULL)
		json_decref(last_parsed);
	return ret;
}
