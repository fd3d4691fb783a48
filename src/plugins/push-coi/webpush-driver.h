#ifndef WEBPUSH_DRIVER_H
#define WEBPUSH_DRIVER_H

/* The push-notification driver "webpush" (push_notification_driver =
   webpush): every message delivered by LMTP or dovecot-lda (saved by a
   delivery, as for push-notification's MessageNew; the driver's own
   event "WebPushNew" keeps its headers and body while it is saved) into
   INBOX or the user's COI Chats folder gets one
   push per subscription whose msgtype matches (chat = it has $Chat), with
   the payload of webpush-payload (WP-13, WP-14). Disposition
   notifications (multipart/report; report-type=disposition-notification)
   get none. Only validated subscriptions get pushes unless
   webpush_require_validation = no; with webpush_chat_requires_coi = yes,
   chat-only subscriptions get none while COI is disabled (CS-11). */

#define WEBPUSH_DRIVER_NAME "webpush"

void webpush_driver_register(void);
void webpush_driver_unregister(void);

#endif
