#ifndef WEBPUSH_PAYLOAD_H
#define WEBPUSH_PAYLOAD_H

/* The JSON payload of a Web Push notification for a new message (WP-14,
   WP-15), built with jansson. Pure code: callers pass raw header values
   and, when they have it, the message body; no mail storage here.

   The payload is one JSON object with these members, in this order:

   from-email   The first address of From: local-part@domain in lower case.
                Omitted when From is missing or holds no address.
   from-name    The display name of that address, RFC 2047 decoded to UTF-8.
                Omitted when empty.
   subject      Subject, RFC 2047 decoded to UTF-8, surrounding whitespace
                trimmed. Omitted when empty or missing.
   date         The Date header as RFC 3339 with the header's own offset
                ("2026-11-28T15:53:30+01:00"). Omitted without a (parseable)
                Date header or outside the years 0000..9999.
   msg-id       The first message-id of Message-ID without angle brackets.
                Omitted when missing.
   uid          The message's UID (number).
   uidvalidity  The mailbox's UIDVALIDITY (number).
   folder       The mailbox name (UTF-8). Omitted when its JSON-escaped form
                is over 200 octets (never cut: a cut name names another
                folder).
   group-id     For COI group messages only: coi_detect_group_id() of
                Message-ID/References (at most 128 octets).
   content      The message body exactly as stored after the header (still
                in its Content-Transfer-Encoding, CRLF line ends), so that
                a client can show or decrypt it without fetching. It is
                included whole or not at all, never cut: a cut body would
                break base64, MIME boundaries and OpenPGP data, and a client
                could not tell it from the real one. It is included only
                when the body is valid UTF-8 without NUL octets (\u0000 is
                refused by many JSON parsers) and the whole payload with it
                is at most WEBPUSH_PAYLOAD_MAX_SIZE octets, so that the
                RFC 8291 body stays within 4096 octets.
   content-type The Content-Type header value (unfolded, trimmed), only with
                content. Omitted for text/plain without parameters or with
                only charset=utf-8 or us-ascii, and when Content-Type is
                missing (text/plain by default). Cut at 200 octets.
   content-encoding
                The Content-Transfer-Encoding in lower case, only with
                content. Omitted for 8bit and for the other identity
                encodings 7bit and binary, and when the header is missing.

   Cutting (WP-15): from-email, from-name, subject, msg-id and
   content-encoding are cut so that their JSON-escaped form is at most 100
   octets (content-type: 200), and then "…" (U+2026) is appended. A cut
   happens only between whole characters: it never splits a UTF-8
   sequence nor an escape such as \" or \u001f. An escaped form of exactly
   100 octets is not cut.

   Hostile input: invalid UTF-8 in any header (or the folder name) is
   replaced by U+FFFD, so the payload is always valid UTF-8 JSON; a body
   with invalid UTF-8 or a NUL octet is left out. Nothing here fails or aborts on input.
*/

/* Largest payload (plaintext) in octets: 4096 octets of RFC 8291 body
   minus its 86-octet header, the 1-octet padding delimiter and the
   16-octet tag. */
#define WEBPUSH_PAYLOAD_MAX_SIZE (4096 - 86 - 1 - 16)
/* Text fields are cut at this many octets of their JSON-escaped form. */
#define WEBPUSH_PAYLOAD_TEXT_MAX 100
/* content-type is cut at this many octets of its JSON-escaped form. */
#define WEBPUSH_PAYLOAD_CONTENT_TYPE_MAX 200
/* folder is omitted when its JSON-escaped form is longer. */
#define WEBPUSH_PAYLOAD_FOLDER_MAX 200
/* group-id is omitted when longer. */
#define WEBPUSH_PAYLOAD_GROUP_ID_MAX 128
/* Appended to a cut field: U+2026 HORIZONTAL ELLIPSIS. */
#define WEBPUSH_PAYLOAD_ELLIPSIS "\xE2\x80\xA6"

struct webpush_payload_message {
	/* Raw header values as found in the message (folded or not, with
	   RFC 2047 encoded words, any octets), NULL when the header is
	   missing. Content-Type and Content-Transfer-Encoding are those of
	   the message's top-level header. */
	const char *from;
	const char *subject;
	const char *message_id;
	const char *references;
	const char *content_type;
	const char *content_transfer_encoding;
	/* TRUE when the message has a Chat-Version header (for group-id). */
	bool have_chat_version;

	/* The Date header as mail_get_date() gives it: have_date FALSE when
	   missing or unparseable (mail_get_date() then gives date 0); date
	   in seconds since the epoch (UTC), date_tz_offset the header's
	   offset from UTC in minutes. */
	bool have_date;
	time_t date;
	int date_tz_offset;

	uint32_t uid;
	uint32_t uidvalidity;
	/* Mailbox name (vname), UTF-8. NULL omits the field. */
	const char *folder;

	/* The body after the header's empty line, as stored (e.g. read from
	   mail_get_stream() after skipping hdr_size.physical_size octets);
	   NULL when the caller does not have it. Bodies larger than
	   WEBPUSH_PAYLOAD_MAX_SIZE octets (mail_get_stream()'s body_size)
	   never fit: callers need not read them and may pass NULL. */
	const unsigned char *body;
	size_t body_size;
};

/* Builds the payload with content when it fits (see above), without it
   otherwise. Returns the JSON text (compact, no trailing newline),
   allocated from the data stack; it is never longer than
   WEBPUSH_PAYLOAD_MAX_SIZE. *content_included_r (may be NULL) tells
   whether content is in it: when a push service answers 413 and it was,
   resend without (webpush_payload_without_content()). */
const char *webpush_payload_build(const struct webpush_payload_message *msg,
				  bool *content_included_r);

/* Builds the payload without content, content-type and
   content-encoding (for a resend after 413 Payload Too Large). Data
   stack. */
const char *
webpush_payload_build_without_content(const struct webpush_payload_message *msg);

/* Returns payload (as webpush_payload_build() made it, with content)
   without content, content-type and content-encoding: the same text as
   webpush_payload_build_without_content() of the same message, made
   only when a push service answered 413 (or before the push is kept in
   the spool). NULL when payload is not a JSON object. Data stack. */
const char *webpush_payload_without_content(const char *payload);

/* Builds the validation payload {"validation":"<token>"} (WP-08).
   Invalid UTF-8 in token is replaced. Data stack. */
const char *webpush_payload_build_validation(const char *token);

/* Returns the length of str (valid UTF-8) once JSON-escaped as jansson
   writes it, without the quotes: '"' and '\' and \b \f \n \r \t take 2
   octets, other characters below 0x20 take 6 (\u00XX), anything else its
   UTF-8 length. */
size_t webpush_payload_json_escaped_len(const char *str);

/* Returns str (valid UTF-8) cut so that its JSON-escaped form is at most
   max_escaped octets, followed by WEBPUSH_PAYLOAD_ELLIPSIS when it was
   cut; str itself when it fits. Cuts only between characters. Data
   stack. */
const char *webpush_payload_cut_text(const char *str, size_t max_escaped);

#endif
