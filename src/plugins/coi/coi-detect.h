#ifndef COI_DETECT_H
#define COI_DETECT_H

/* Pure COI message detection (CS-15) and group-id extraction. No mail
   storage here: callers pass raw header values (as found in the message,
   possibly folded, possibly NULL when the header is missing). Used by the
   coi plugin at delivery and by push_coi for the push payload. */

/* A group ID has this many characters of [0-9A-Za-z_-] at least. */
#define COI_DETECT_GROUP_ID_MIN_LEN 12
/* Longer IDs are not taken as group IDs (the push payload carries at most
   128 octets, and a cut ID would name another group). */
#define COI_DETECT_GROUP_ID_MAX_LEN 128

struct coi_detect_headers {
	/* TRUE when a Chat-Version header is present (any value). */
	bool have_chat_version;
	/* Raw values of Message-ID and References, or NULL when missing. */
	const char *message_id;
	const char *references;
};

/* Returns TRUE when the message is a COI message: a Chat-Version header
   is present, or the Message-ID starts with "chat$" inside its angle
   brackets, or the first message-id of References does ("chat$" is
   matched case-sensitively). */
bool coi_detect_is_chat(const struct coi_detect_headers *hdr);

/* A quicker test before any header parsing, on the raw message as stored
   (header lines, then an empty line, then the body): a COI message has a
   Chat-Version header or "chat$" in a message-id, so a header without
   "Chat-Version" (in any case, anywhere) and without a '$' cannot be
   one. Feed the message from its start in pieces of any size, while
   neither chat_version nor eoh is set: maybe_chat is set once the header
   has either (then the scan below decides), chat_version once a line
   starts with the Chat-Version header's name (in any case, then only
   spaces or tabs before ':'), which is one to Dovecot's header parser
   too: a COI message, no scan needed. eoh is set at the empty line that
   ends the header (later octets are not looked at). */
struct coi_detect_raw {
	/* the header has "Chat-Version" or a '$' */
	bool maybe_chat;
	/* the header has a Chat-Version header line */
	bool chat_version;
	/* the end of the header was seen */
	bool eoh;
	/* the line since the last LF (or the start) is empty or one CR:
	   the empty line that ends the header, as Dovecot's header parser
	   sees it ("\r\r\n" is a header line to it, not the end) */
	bool line_empty;
	/* that one CR was seen */
	bool line_cr;
	/* octets of "chat-version" matched so far, anywhere (while
	   maybe_chat is not set) */
	unsigned int matched;
	/* octets of "chat-version" the line starts with (all of them: then
	   only spaces and tabs so far), or COI_DETECT_RAW_NOT_NAME */
	unsigned int line_name;
};
#define COI_DETECT_RAW_NOT_NAME UINT_MAX

void coi_detect_raw_init(struct coi_detect_raw *raw);
void coi_detect_raw_feed(struct coi_detect_raw *raw,
			 const unsigned char *data, size_t size);

/* A quick scan of a message's header lines, for skipping the full reading
   of the three headers above when it cannot be a COI message. Feed every
   header line (continued lines too) to coi_detect_scan_line(). maybe_chat
   stays FALSE only when coi_detect_is_chat() is FALSE however the values
   are read from those lines: there is no Chat-Version header, and no
   Message-ID or References header holds "chat$" once folding whitespace
   is removed. */
struct coi_detect_scan {
	/* TRUE once a line made a COI message possible */
	bool maybe_chat;
	/* TRUE once a Chat-Version header was seen: then it is one (a
	   header line with a name always has its colon) */
	bool chat_version;
	/* the current header is Message-ID or References */
	bool msgid_header;
	/* octets of "chat$" matched at the end of the header so far */
	unsigned int matched;
};

/* Scans one header line: name is the header's name (case-insensitive),
   continued is TRUE for a folded continuation line of the header before,
   value the line's value without the newline. */
void coi_detect_scan_line(struct coi_detect_scan *scan, const char *name,
			  bool continued, const unsigned char *value,
			  size_t value_size);

/* Returns the group ID ("chat$group.<ID>." with <ID> at least 12
   characters of [0-9A-Za-z_-], case-sensitive, at most
   COI_DETECT_GROUP_ID_MAX_LEN) taken from the Message-ID
   or, failing that, from the first message-id of References. Returns NULL
   for one-to-one chats and non-chat messages. The result is allocated from
   the data stack. */
const char *coi_detect_group_id(const struct coi_detect_headers *hdr);

/* Returns the first message-id (without angle brackets, comments and
   whitespace skipped, folding allowed) of a Message-ID or References
   value, or NULL when there is none. Quoted strings and bare words without
   '@' outside brackets (obsolete phrases) are skipped; a bare word with '@'
   counts as a message-id written without brackets; an unterminated "<..."
   holds none. Allocated from the data stack. */
const char *coi_detect_first_msgid(const char *value);

#endif
