#ifndef WEBPUSH_STORAGE_H
#define WEBPUSH_STORAGE_H

#include "mailbox-attribute.h"
#include "webpush-subscription.h"
#include "webpush-abuse.h"

/* WebPush subscriptions in mail storage. They are server METADATA, so they
   live in attributes of the user's INBOX under the server prefix:

     /private/vendor/vendor.dovecot/webpush/subscriptions/<id>  (IMAP)
     vendor/vendor.dovecot/pvt/server/vendor/vendor.dovecot/webpush/
       subscriptions/<id>                                      (storage)

   with <id> in lower case and the canonical JSON as value. The IDs are
   also kept, separated by spaces, in one index attribute under the
   server's pvt/ prefix: listing reads the index instead of iterating the
   attribute dict, which Dovecot's Redis dict cannot do. Every change goes
   through webpush_storage_set(), which updates both in one transaction;
   the index is the truth, so a subscription key outside it is not listed.
   Two servers changing the subscriptions of one user at the same instant
   can race on the index (the last writer wins); a director or proxy that
   keeps each user on one backend avoids that. The abuse
   state (webpush-abuse.h) lives under the server's pvt/ prefix, which no
   IMAP command can reach. Everything here goes to the attribute storage
   directly (the mailbox's attribute vfuncs), below the internal attribute
   layer of webpush-metadata, so it works whether or not imap_metadata is
   enabled. */

/* The IMAP entry names of WP-02 and WP-03 (server entries). */
#define WEBPUSH_METADATA_ENTRY "/private/vendor/vendor.dovecot/webpush"
#define WEBPUSH_METADATA_VAPID WEBPUSH_METADATA_ENTRY "/vapid"
#define WEBPUSH_METADATA_SUBSCRIPTIONS WEBPUSH_METADATA_ENTRY "/subscriptions"

/* Attribute keys (private, in INBOX). */
#define WEBPUSH_ATTR_ROOT \
	MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER \
	"vendor/vendor.dovecot/webpush"
#define WEBPUSH_ATTR_KEY WEBPUSH_ATTR_ROOT "/"
#define WEBPUSH_ATTR_SUBKEY_VAPID "vapid"
#define WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "subscriptions"
#define WEBPUSH_ATTR_SUBSCRIPTIONS \
	WEBPUSH_ATTR_KEY WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "/"
#define WEBPUSH_ATTR_INDEX \
	MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER \
	MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT "webpush-subscriptions"
#define WEBPUSH_ATTR_ABUSE \
	MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER \
	MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT "webpush-abuse"

/* Settings of the IMAP WebPush subscriptions, read by
   webpush_user_settings_read() (the one place that reads them). */
struct webpush_user_settings {
	/* webpush_subscription_limit (default 10): subscriptions per user */
	unsigned int subscription_limit;
	/* webpush_validation_timeout (default 5 min) */
	unsigned int validation_timeout_secs;
	/* webpush_require_validation (default yes): pushes for new mail go
	   only to validated subscriptions */
	bool require_validation;
	/* webpush_validation_secret (default: derived from the VAPID private
	   key): the key of the validation tokens; NULL when unset */
	const char *validation_secret;
	/* webpush_subscription_create_max (default 10) within
	   webpush_subscription_create_interval (default 1 hour);
	   webpush_validation_fail_max (default 5) failures lock new
	   subscriptions out for webpush_validation_lockout (default 1 hour) */
	struct webpush_abuse_settings abuse;
	/* webpush_chat_requires_coi (default no): with COI disabled for the
	   user, subscriptions with msgtype "chat" are dropped (CS-11) */
	bool chat_requires_coi;
};

/* Reads the settings of user into set_r. Returns -1 with error_r naming
   the setting when a value is invalid. */
int webpush_user_settings_read(struct mail_user *user,
			       struct webpush_user_settings *set_r,
			       const char **error_r);

struct webpush_stored_subscription {
	/* Lower-case ID. */
	const char *id;
	/* The stored JSON, as GETMETADATA returns it. */
	const char *json;
	struct webpush_subscription sub;
};
ARRAY_DEFINE_TYPE(webpush_stored_subscription,
		  struct webpush_stored_subscription);

/* Returns TRUE when a subscription was never validated and its validation
   window has passed (WP-10): it counts as gone. */
bool webpush_subscription_is_expired(const struct webpush_subscription *sub,
				     time_t now, unsigned int timeout_secs);

/* Returns TRUE when ids holds id. */
bool webpush_storage_ids_contain(const ARRAY_TYPE(const_string) *ids,
				 const char *id);

/* Opens the INBOX of user for attribute access (server METADATA). */
struct mailbox *webpush_storage_inbox_alloc(struct mail_user *user);

/* Reads subscription id (lower case). Returns 1 when found, 0 when not,
   -1 on storage error (error_r set). A stored value that does not parse
   is logged through event and reported as not found. */
int webpush_storage_get(struct mailbox *box, struct event *event,
			const char *id, pool_t pool,
			struct webpush_stored_subscription *sub_r,
			const char **error_r);

/* Appends every stored subscription to subs (allocated from pool), the
   expired ones too (the caller decides). Returns 0, or -1 on storage
   error. */
int webpush_storage_list(struct mailbox *box, struct event *event,
			 pool_t pool,
			 ARRAY_TYPE(webpush_stored_subscription) *subs,
			 const char **error_r);

/* Stores (sub != NULL) or removes (sub == NULL) subscription id within
   transaction t, and updates the index in t. Returns 0 or -1 (error in
   the storage). */
int webpush_storage_set(struct mailbox_transaction_context *t, const char *id,
			const struct webpush_subscription *sub);

/* Removes subscription id in its own transaction (e.g. after a push
   service answered 404 or 410, or when it expired). Returns 0 or -1. */
int webpush_storage_delete(struct mailbox *box, const char *id,
			   const char **error_r);

/* Reads and writes (in its own transaction, so that it is kept even when
   the command that caused it fails) the abuse state of the user. */
int webpush_storage_abuse_read(struct mailbox *box,
			       struct webpush_abuse_state *state_r,
			       const char **error_r);
int webpush_storage_abuse_write(struct mailbox *box,
				const struct webpush_abuse_state *state,
				const char **error_r);

#endif
