/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "test-common.h"
#include "coi-detect.h"

static bool is_chat(bool chat_version, const char *message_id,
		    const char *references)
{
	struct coi_detect_headers hdr = {
		.have_chat_version = chat_version,
		.message_id = message_id,
		.references = references,
	};
	return coi_detect_is_chat(&hdr);
}

static const char *group_id(const char *message_id, const char *references)
{
	struct coi_detect_headers hdr = {
		.message_id = message_id,
		.references = references,
	};
	return coi_detect_group_id(&hdr);
}

static void test_detect_chat_version(void)
{
	test_begin("coi detect: Chat-Version header");
	test_assert(is_chat(TRUE, NULL, NULL));
	test_assert(is_chat(TRUE, "<plain@example.org>", "<a@b> <c@d>"));
	test_assert(!is_chat(FALSE, NULL, NULL));
	test_assert(!is_chat(FALSE, "<plain@example.org>", NULL));
	test_assert(!is_chat(FALSE, "", ""));
	test_end();
}

static void test_detect_message_id(void)
{
	test_begin("coi detect: Message-ID chat$");
	test_assert(is_chat(FALSE, "<chat$abc.def@example.org>", NULL));
	test_assert(is_chat(FALSE, "  \t<chat$abc@example.org>  ", NULL));
	test_assert(is_chat(FALSE, "(comment) <chat$abc@example.org>", NULL));
	test_assert(is_chat(FALSE, "(nested (comment <x@y>) \\) here)\r\n <chat$a@b>", NULL));
	/* obsolete folding inside the brackets */
	test_assert(is_chat(FALSE, "<chat$abc\r\n @example.org>", NULL));
	test_assert(is_chat(FALSE, "<\r\n\tchat$abc@example.org>", NULL));
	/* not at the start of the id */
	test_assert(!is_chat(FALSE, "<x.chat$abc@example.org>", NULL));
	test_assert(!is_chat(FALSE, "<chat@example.org>", NULL));
	test_assert(!is_chat(FALSE, "<chat.abc@example.org>", NULL));
	/* case-sensitive */
	test_assert(!is_chat(FALSE, "<CHAT$abc@example.org>", NULL));
	test_assert(!is_chat(FALSE, "<Chat$abc@example.org>", NULL));
	/* inside a comment it is not the message-id */
	test_assert(!is_chat(FALSE, "(<chat$abc@example.org>) <x@y>", NULL));
	test_assert(!is_chat(FALSE, "(chat$abc@example.org) <x@y>", NULL));
	/* only the first id of Message-ID counts */
	test_assert(!is_chat(FALSE, "<x@y> <chat$abc@example.org>", NULL));
	test_end();
}

static void test_detect_references(void)
{
	test_begin("coi detect: first References id chat$");
	test_assert(is_chat(FALSE, "<plain@example.org>", "<chat$first@example.org>"));
	test_assert(is_chat(FALSE, NULL, "<chat$first@example.org> <other@x>"));
	/* folded over lines, odd spacing, comments */
	test_assert(is_chat(FALSE, NULL, "\r\n <chat$first@example.org>\r\n <other@x>"));
	test_assert(is_chat(FALSE, NULL, "\r\n\t\t<chat$first@example.org>\r\n\t<b@c>\r\n\t<d@e>"));
	test_assert(is_chat(FALSE, NULL, "<chat$first@example.org><b@c><d@e>"));
	test_assert(is_chat(FALSE, NULL, "(thread start)\r\n <chat$first@example.org>"));
	test_assert(is_chat(FALSE, NULL, "  (a) (b (c)) <chat$first@example.org> (d)"));
	/* obsolete phrase before the first id */
	test_assert(is_chat(FALSE, NULL, "\"Re: hi\" <chat$first@example.org>"));
	test_assert(is_chat(FALSE, NULL, "phrase words <chat$first@example.org>"));
	/* only the first id counts */
	test_assert(!is_chat(FALSE, NULL, "<plain@example.org> <chat$second@example.org>"));
	test_assert(!is_chat(FALSE, NULL, "<plain@example.org>\r\n <chat$second@example.org>"));
	test_assert(!is_chat(FALSE, "<plain@example.org>", "<plain2@x> <chat$c@y>"));
	test_end();
}

static void test_detect_broken(void)
{
	test_begin("coi detect: missing and broken headers");
	/* missing */
	test_assert(coi_detect_first_msgid(NULL) == NULL);
	test_assert(coi_detect_first_msgid("") == NULL);
	test_assert(coi_detect_first_msgid("   \r\n\t ") == NULL);
	test_assert(!is_chat(FALSE, NULL, NULL));
	/* no brackets: a bare word with '@' is the id */
	test_assert(is_chat(FALSE, "chat$abc@example.org", NULL));
	test_assert(is_chat(FALSE, NULL, "chat$abc@example.org <x@y>"));
	test_assert_strcmp(coi_detect_first_msgid(" abc@example.org "), "abc@example.org");
	test_assert_strcmp(coi_detect_first_msgid("abc@example.org(c)"), "abc@example.org");
	/* a bare word without '@' is not an id */
	test_assert(!is_chat(FALSE, "chat$abc", NULL));
	test_assert(coi_detect_first_msgid("chat$abc") == NULL);
	/* unterminated */
	test_assert(!is_chat(FALSE, "<chat$abc@example.org", NULL));
	test_assert(!is_chat(FALSE, NULL, "<chat$abc@example.org"));
	test_assert(coi_detect_first_msgid("<abc@example.org") == NULL);
	test_assert(!is_chat(FALSE, "(<chat$abc@example.org>", NULL));
	test_assert(!is_chat(FALSE, "\"<chat$abc@example.org>", NULL));
	test_assert(!is_chat(FALSE, "(\\", NULL));
	test_assert(!is_chat(FALSE, "\"\\", NULL));
	test_assert(coi_detect_first_msgid("(((") == NULL);
	test_assert(coi_detect_first_msgid(")))") == NULL);
	test_assert(coi_detect_first_msgid(">") == NULL);
	/* empty brackets are skipped */
	test_assert(is_chat(FALSE, "<> <chat$abc@example.org>", NULL));
	test_assert(coi_detect_first_msgid("<>") == NULL);
	test_assert(coi_detect_first_msgid("< \r\n >") == NULL);
	test_end();
}

static void test_detect_first_msgid(void)
{
	test_begin("coi detect: first message-id");
	test_assert_strcmp(coi_detect_first_msgid("<a@b>"), "a@b");
	test_assert_strcmp(coi_detect_first_msgid(" <a@b> <c@d>"), "a@b");
	test_assert_strcmp(coi_detect_first_msgid("(x) <a\r\n @b>"), "a@b");
	test_assert_strcmp(coi_detect_first_msgid("\"q\\\"<x@y>\" <a@b>"), "a@b");
	test_assert_strcmp(coi_detect_first_msgid("(a \\( (b)) <a@b>"), "a@b");
	test_assert_strcmp(coi_detect_first_msgid("<chat$x>"), "chat$x");
	test_end();
}

static void test_detect_long_headers(void)
{
	string_t *str = t_str_new(110 * 1024);
	unsigned int i;

	test_begin("coi detect: very long headers");
	/* 100 kB of References, folded */
	str_append(str, "<chat$first@example.org>");
	for (i = 0; str_len(str) < 100 * 1024; i++)
		str_printfa(str, "\r\n <ref.%u.padding-padding@example.org>", i);
	test_assert(is_chat(FALSE, NULL, str_c(str)));

	str_truncate(str, 0);
	for (i = 0; str_len(str) < 100 * 1024; i++)
		str_printfa(str, "<ref.%u@example.org>\r\n ", i);
	str_append(str, "<chat$last@example.org>");
	test_assert(!is_chat(FALSE, NULL, str_c(str)));

	/* 100 kB of comment before the id */
	str_truncate(str, 0);
	str_append_c(str, '(');
	for (i = 0; i < 100 * 1024; i++)
		str_append_c(str, i % 64 == 0 ? '(' : (i % 64 == 1 ? ')' : 'x'));
	str_append(str, ") <chat$a@b>");
	test_assert(is_chat(FALSE, str_c(str), NULL));

	/* one 100 kB message-id */
	str_truncate(str, 0);
	str_append(str, "<chat$group.");
	for (i = 0; i < 100 * 1024; i++)
		str_append_c(str, 'a');
	str_append(str, ".x@example.org>");
	test_assert(is_chat(FALSE, str_c(str), NULL));
	/* too long to be a group ID */
	test_assert(group_id(str_c(str), NULL) == NULL);

	/* 100 kB unterminated */
	str_truncate(str, 0);
	str_append(str, "<chat$");
	for (i = 0; i < 100 * 1024; i++)
		str_append_c(str, 'b');
	test_assert(!is_chat(FALSE, str_c(str), NULL));
	test_assert(group_id(str_c(str), str_c(str)) == NULL);
	test_end();
}

static void test_group_id_vectors(void)
{
	test_begin("coi detect: group-id test vectors");
	test_assert_strcmp(group_id("<chat$group.4321dcba1234.ABSKDJK23223.293892839@example.com>", NULL),
			   "4321dcba1234");
	test_assert_strcmp(group_id("<chat$group.5422989123KJKK.S2571BC.2878&8@sample.com>", NULL),
			   "5422989123KJKK");
	test_assert(group_id("<chat$S2571BC.2878&8@sample.com>", NULL) == NULL);
	test_assert(is_chat(FALSE, "<chat$S2571BC.2878&8@sample.com>", NULL));
	test_end();
}

static void test_group_id_rules(void)
{
	test_begin("coi detect: group-id rules");
	/* 11 characters are too few, 12 are enough */
	test_assert(group_id("<chat$group.abcdefghijk.x@y>", NULL) == NULL);
	test_assert_strcmp(group_id("<chat$group.abcdefghijkl.x@y>", NULL), "abcdefghijkl");
	/* all allowed characters */
	test_assert_strcmp(group_id("<chat$group.AZaz09_-AZaz09.x@y>", NULL), "AZaz09_-AZaz09");
	/* invalid characters end the ID somewhere other than at '.' */
	test_assert(group_id("<chat$group.abcdef!ghijklm.x@y>", NULL) == NULL);
	test_assert(group_id("<chat$group.abcdefghijklm&.x@y>", NULL) == NULL);
	test_assert(group_id("<chat$group.abcdefghijkl\xc3\xa9.x@y>", NULL) == NULL);
	test_assert(group_id("<chat$group.abcdef+ghijklm.x@y>", NULL) == NULL);
	/* the ID must be followed by '.' */
	test_assert(group_id("<chat$group.abcdefghijklm@y>", NULL) == NULL);
	test_assert(group_id("<chat$group.abcdefghijklm>", NULL) == NULL);
	test_assert(group_id("<chat$group..abcdefghijklm.x@y>", NULL) == NULL);
	/* case-sensitive prefix, ID kept as is */
	test_assert(group_id("<chat$Group.abcdefghijklm.x@y>", NULL) == NULL);
	test_assert(group_id("<CHAT$group.abcdefghijklm.x@y>", NULL) == NULL);
	test_assert_strcmp(group_id("<chat$group.ABCdefGHIjkl.x@y>", NULL), "ABCdefGHIjkl");
	/* 128 characters are fine, 129 are not */
	const char *id128 = t_strdup_printf("%0128d", 0);
	test_assert_strcmp(group_id(t_strdup_printf("<chat$group.%s.x@y>", id128), NULL), id128);
	test_assert(group_id(t_strdup_printf("<chat$group.%s0.x@y>", id128), NULL) == NULL);
	/* from References when the Message-ID has none */
	test_assert_strcmp(group_id("<chat$S2571BC.2878&8@sample.com>",
				    "\r\n <chat$group.4321dcba1234.ABSK.29@example.com>\r\n <x@y>"),
			   "4321dcba1234");
	test_assert_strcmp(group_id(NULL, "(c) <chat$group.4321dcba1234.A@x>"), "4321dcba1234");
	test_assert_strcmp(group_id("<plain@x>", "<chat$group.4321dcba1234.A@x>"), "4321dcba1234");
	/* the Message-ID wins */
	test_assert_strcmp(group_id("<chat$group.111111111111.a@x>", "<chat$group.222222222222.b@x>"),
			   "111111111111");
	/* only the first id of References */
	test_assert(group_id(NULL, "<x@y> <chat$group.4321dcba1234.A@x>") == NULL);
	/* folded inside the brackets */
	test_assert_strcmp(group_id("<chat$group.4321dcba\r\n 1234.A@x>", NULL), "4321dcba1234");
	/* non-chat messages have none */
	test_assert(group_id(NULL, NULL) == NULL);
	test_assert(group_id("<group.4321dcba1234.A@x>", NULL) == NULL);
	test_end();
}

/* Scans one header (name: value), value split into lines at "\n" the way
   the header parser hands them over: later lines continued, no newline,
   a CR before the newline dropped. */
static void scan_header(struct coi_detect_scan *scan, const char *name,
			const char *value)
{
	const char *const *lines = t_strsplit(value, "\n");
	bool continued = FALSE;

	if (*lines == NULL) {
		/* t_strsplit() returns no line for "" */
		coi_detect_scan_line(scan, name, FALSE,
				     (const unsigned char *)"", 0);
	}
	for (; *lines != NULL; lines++) {
		size_t len = strlen(*lines);

		if (len > 0 && (*lines)[len - 1] == '\r')
			len--;
		coi_detect_scan_line(scan, name, continued,
				     (const unsigned char *)*lines, len);
		continued = TRUE;
	}
}

static bool scan_may_be_chat(const char *name, const char *value)
{
	struct coi_detect_scan scan;

	i_zero(&scan);
	scan_header(&scan, "From", "a@example.org");
	scan_header(&scan, name, value);
	scan_header(&scan, "Subject", "hi");
	/* only a Chat-Version header makes it certain */
	test_assert(scan.chat_version ==
		    (strcasecmp(name, "Chat-Version") == 0));
	return scan.maybe_chat;
}

static void test_detect_scan(void)
{
	static const char *const values[] = {
		"<chat$abc.def@example.org>", "  \t<chat$abc@example.org>  ",
		"(nested (comment <x@y>) \\) here)\r\n <chat$a@b>",
		"<chat$abc\r\n @example.org>", "<\r\n\tchat$abc@example.org>",
		"<c\r\n hat\r\n\t$x@y>", "<cchat$x@y>", "<chachat$x@y>",
		"\r\n <chat$first@example.org>\r\n <other@x>",
		"\"Re: hi\" <chat$first@example.org>", "chat$abc@example.org",
		"<x.chat$abc@example.org>", "<plain@example.org>",
		"<CHAT$abc@example.org>", "<chat@example.org>", "<cha$t@x>",
		"(<chat$abc@example.org>) <x@y>", "<x@y> <chat$abc@example.org>",
		"", "<>", NULL
	};
	struct coi_detect_scan scan;

	test_begin("coi detect: header scan before detection");
	/* never FALSE where detection says TRUE */
	for (unsigned int i = 0; values[i] != NULL; i++) {
		if (is_chat(FALSE, values[i], NULL))
			test_assert_idx(scan_may_be_chat("Message-ID", values[i]), i);
		if (is_chat(FALSE, NULL, values[i]))
			test_assert_idx(scan_may_be_chat("References", values[i]), i);
	}
	/* folding inside "chat$" */
	test_assert(scan_may_be_chat("message-id", "<c\r\n hat\r\n\t$x@y>"));
	test_assert(scan_may_be_chat("REFERENCES", "<a@b>\n <chachat$x@y>"));
	/* no chat$ anywhere: not a COI message */
	test_assert(!scan_may_be_chat("Message-ID", "<plain@example.org>"));
	test_assert(!scan_may_be_chat("References", "<a@b>\r\n <CHAT$x@y>"));
	test_assert(!scan_may_be_chat("Message-ID", "<chat@example.org>"));
	test_assert(!scan_may_be_chat("Message-ID", "<cha\001t$x@y>"));
	/* chat$ elsewhere does not count */
	test_assert(!scan_may_be_chat("Subject", "<chat$x@y>"));
	test_assert(!scan_may_be_chat("In-Reply-To", "<chat$x@y>"));
	/* a Chat-Version header of any value and case */
	test_assert(scan_may_be_chat("Chat-Version", "1.0"));
	test_assert(scan_may_be_chat("chat-version", ""));
	/* Chat-Version after a chat$ message-id still counts */
	i_zero(&scan);
	scan_header(&scan, "Message-ID", "<chat$x@y>");
	test_assert(scan.maybe_chat && !scan.chat_version);
	scan_header(&scan, "CHAT-VERSION", "1.0");
	test_assert(scan.chat_version);
	/* the match does not run on from one header into the next */
	i_zero(&scan);
	scan_header(&scan, "Message-ID", "<x@cha");
	scan_header(&scan, "References", "t$y@z>");
	test_assert(!scan.maybe_chat);
	i_zero(&scan);
	scan_header(&scan, "Message-ID", "<x@y> chat");
	scan_header(&scan, "X-Other", "$");
	test_assert(!scan.maybe_chat);
	test_end();
}

/* The raw test on header (and body), fed whole and one octet at a time:
   both must agree. */
static void raw_test(const char *message, struct coi_detect_raw *raw_r)
{
	struct coi_detect_raw bytes;
	size_t i, len = strlen(message);

	coi_detect_raw_init(raw_r);
	coi_detect_raw_feed(raw_r, (const unsigned char *)message, len);
	coi_detect_raw_init(&bytes);
	for (i = 0; i < len && !bytes.chat_version && !bytes.eoh; i++)
		coi_detect_raw_feed(&bytes, (const unsigned char *)message + i, 1);
	test_assert(raw_r->maybe_chat == bytes.maybe_chat);
	test_assert(raw_r->chat_version == bytes.chat_version);
	test_assert(raw_r->eoh == bytes.eoh);
	/* a Chat-Version header line is a COI message, so maybe one */
	test_assert(!raw_r->chat_version || raw_r->maybe_chat);
}

static bool raw_may_be_chat(const char *message)
{
	struct coi_detect_raw raw;

	raw_test(message, &raw);
	return raw.maybe_chat;
}

static bool raw_chat_version(const char *message)
{
	struct coi_detect_raw raw;

	raw_test(message, &raw);
	return raw.chat_version;
}

static void test_detect_raw(void)
{
	static const char nuls[] = "X-Chat-Version\0\0: 1\n"
		"Chat-Version\0: 1\nChat-Version: 1\n";
	struct coi_detect_raw raw;

	test_begin("coi detect: raw header test before any parsing");
	/* plain mail: nothing to parse */
	test_assert(!raw_may_be_chat("From: a@example.org\r\nSubject: hi\r\n"
		"Message-ID: <plain@example.org>\r\n\r\nbody\r\n"));
	test_assert(!raw_may_be_chat("From: a@x\nChat: yes\nX-Version: 1\n\n"));
	/* a Chat-Version header, in any case */
	test_assert(raw_may_be_chat("From: a@x\r\nChat-Version: 1.0\r\n\r\n"));
	test_assert(raw_may_be_chat("CHAT-VERSION: 1.0\n\n"));
	test_assert(raw_may_be_chat("From: a@x\nchat-version:\n\n"));
	test_assert(raw_may_be_chat("From: a@x\nchat-chat-version: 1\n\n"));
	/* chat$ message-ids, folded too: every one has a '$' */
	test_assert(raw_may_be_chat("Message-ID: <chat$abc@example.org>\n\n"));
	test_assert(raw_may_be_chat("References: <x@y>\r\n <c\r\n hat\r\n\t$x@y>\r\n\r\n"));
	/* a '$' anywhere in the header: the scan decides */
	test_assert(raw_may_be_chat("Subject: $100\n\n"));
	/* the name split by a line break does not count */
	test_assert(!raw_may_be_chat("X-A: chat-\n version\n\n"));
	/* in the body: not looked at */
	test_assert(!raw_may_be_chat("From: a@x\r\n\r\nChat-Version: 1.0\r\n$5\r\n"));
	test_assert(!raw_may_be_chat("From: a@x\n\nChat-Version: 1.0\n"));
	test_assert(!raw_may_be_chat("\r\nChat-Version: 1.0\r\n"));
	test_assert(!raw_may_be_chat("\nMessage-ID: <chat$x@y>\n"));
	/* only "\n" and "\r\n" end the header: Dovecot's parser reads a
	   line of two CRs (or a CR after text) as a header line */
	test_assert(raw_may_be_chat("\r\r\nMessage-ID: <chat$x@y>\n"));
	test_assert(raw_may_be_chat("A: b\n\r\r\nChat-Version: 1.0\n"));
	test_assert(raw_may_be_chat("A: b\r\n \r\nMessage-ID: <chat$x@y>\n"));
	test_assert(!raw_may_be_chat("A: b\r\n\r\nMessage-ID: <chat$x@y>\n"));
	/* a line that starts with the Chat-Version header's name, as Dovecot's
	   parser reads it: a COI message without parsing */
	test_assert(raw_chat_version("From: a@x\r\nChat-Version: 1.0\r\n\r\n"));
	test_assert(raw_chat_version("chat-VERSION:1\n\n"));
	test_assert(raw_chat_version("Chat-Version \t : 1\n\n"));
	test_assert(raw_chat_version("Message-ID: <chat$x@y>\nSubject: $\n"
				     "Chat-Version: 1.0\n\nbody"));
	test_assert(raw_chat_version("Chat-Version:"));
	/* not the name (the scan decides, where it may be one) */
	test_assert(!raw_chat_version("X-Chat-Version: 1.0\n\n"));
	test_assert(!raw_chat_version("A: b\n Chat-Version: 1.0\n\n"));
	test_assert(!raw_chat_version(" Chat-Version: 1.0\n\n"));
	test_assert(!raw_chat_version("Chat-Versions: 1.0\n\n"));
	test_assert(!raw_chat_version("Chat-Version\r: 1.0\n\n"));
	test_assert(!raw_chat_version("Chat-Version x: 1.0\n\n"));
	test_assert(!raw_chat_version("Chat-Version\n: 1.0\n\n"));
	test_assert(!raw_chat_version("A: b\rChat-Version: 1.0\n\n"));
	test_assert(!raw_chat_version("Subject: Chat-Version: 1\n\n"));
	test_assert(!raw_chat_version("A: b\n\nChat-Version: 1.0\n"));
	test_assert(!raw_chat_version("Chat-Version"));
	test_assert(raw_may_be_chat("X-Chat-Version: 1.0\n\n"));

	/* a header without body, without the empty line */
	test_assert(raw_may_be_chat("Chat-Version: 1.0"));
	test_assert(!raw_may_be_chat("From: a@x"));
	test_assert(!raw_may_be_chat(""));

	/* the end of the header is seen, the rest left alone */
	coi_detect_raw_init(&raw);
	coi_detect_raw_feed(&raw, (const unsigned char *)"A: b\r\n\r\n$", 9);
	test_assert(raw.eoh && !raw.maybe_chat);
	coi_detect_raw_init(&raw);
	coi_detect_raw_feed(&raw, (const unsigned char *)"A: b\n", 5);
	test_assert(!raw.eoh);
	/* a CR alone is not the end of a line, a CR LF line is empty */
	coi_detect_raw_feed(&raw, (const unsigned char *)"\r", 1);
	test_assert(!raw.eoh);
	coi_detect_raw_feed(&raw, (const unsigned char *)"\n", 1);
	test_assert(raw.eoh);
	/* NUL octets are octets like others */
	coi_detect_raw_init(&raw);
	coi_detect_raw_feed(&raw, (const unsigned char *)"A: \0b\nB: $\n\n", 13);
	test_assert(raw.maybe_chat);
	/* after the name is found anywhere, the octets that follow (a NUL
	   too) are still read, for a Chat-Version header line */
	coi_detect_raw_init(&raw);
	coi_detect_raw_feed(&raw, (const unsigned char *)nuls,
			    sizeof(nuls) - 1);
	test_assert(raw.maybe_chat && raw.chat_version && !raw.eoh);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_detect_chat_version,
		test_detect_message_id,
		test_detect_references,
		test_detect_broken,
		test_detect_first_msgid,
		test_detect_long_headers,
		test_detect_scan,
		test_detect_raw,
		test_group_id_vectors,
		test_group_id_rules,
		NULL
	};
	return test_run(test_functions);
}
