#ifndef COI_EVENTS_H
#define COI_EVENTS_H

/* Names and field values of the named events of the coi plugin, for
   metric { } filters of Dovecot's stats (see doc/events.md). Each is sent
   with the log line of the moment it names, as a passthrough event of the
   user's coi event (category "coi", field "user"). */

/* A chat message was filed into <root>/Chats.
   Fields: mode (active|seen), mailbox (the Chats mailbox). */
#define COI_EVENT_CHAT_FILED "coi_chat_filed"
/* A chat message that COI meant to file stays in (or goes to) INBOX.
   Fields: mode (active|seen; absent when the configuration could not be
   read), reason (one of the COI_FALLBACK_REASON_*), mailbox (the Chats
   mailbox it was meant for, when known), error (what failed). */
#define COI_EVENT_FILING_FALLBACK "coi_chat_filing_fallback"

#define COI_FALLBACK_REASON_CONFIG "config_unreadable"
#define COI_FALLBACK_REASON_CHATS_UNAVAILABLE "chats_unavailable"
#define COI_FALLBACK_REASON_SAVE_FAILED "save_failed"
#define COI_FALLBACK_REASON_MOVE_FAILED "move_failed"

#define COI_EVENT_MODE_ACTIVE "active"
#define COI_EVENT_MODE_SEEN "seen"

#endif
