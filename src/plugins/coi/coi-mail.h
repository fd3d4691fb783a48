#ifndef COI_MAIL_H
#define COI_MAIL_H

/* COI detection (CS-15) on a stored or delivered mail: reads the
   Chat-Version, Message-ID and References headers and asks coi-detect.
   Only headers are read, never the body. */

struct mail;
struct event;

/* The $Chat keyword every detected COI message gets (CS-19). */
#define COI_KEYWORD_CHAT "$Chat"

/* Returns TRUE when mail is a COI message. A header that cannot be read
   counts as missing (logged at debug level on event). Logs the decision
   at debug level on event. */
bool coi_mail_is_chat(struct mail *mail, struct event *event);

/* Returns the message's Message-ID for log lines (sanitized, shortened),
   or "(none)". Allocated from the data stack. */
const char *coi_mail_log_id(struct mail *mail);

#endif
