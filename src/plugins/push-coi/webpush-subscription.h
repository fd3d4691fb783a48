#ifndef WEBPUSH_SUBSCRIPTION_H
#define WEBPUSH_SUBSCRIPTION_H

/* Pure IMAP WebPush subscription handling (WP-03..WP-06): the subscription
   ID rule, parsing and validation of the JSON a client sets with
   SETMETADATA, and the canonical JSON that is stored. No mail storage
   here. */

/* Limits of WP-03 and WP-04, in octets. */
#define WEBPUSH_SUBSCRIPTION_ID_MIN_LEN 10
#define WEBPUSH_SUBSCRIPTION_ID_MAX_LEN 36
#define WEBPUSH_SUBSCRIPTION_CLIENT_MAX_LEN 128
#define WEBPUSH_SUBSCRIPTION_DEVICE_MAX_LEN 128
#define WEBPUSH_SUBSCRIPTION_ENDPOINT_MAX_LEN 512
#define WEBPUSH_SUBSCRIPTION_P256DH_MAX_LEN 256
/* A JSON value larger than this is refused before it is parsed: the
   largest valid subscription is well below it. */
#define WEBPUSH_SUBSCRIPTION_JSON_MAX_SIZE 4096

/* Uncompressed P-256 point (0x04 || X || Y) and auth secret sizes. */
#define WEBPUSH_P256DH_SIZE 65
#define WEBPUSH_AUTH_SIZE 16

enum webpush_msgtype {
	/* Only messages with the $Chat keyword. */
	WEBPUSH_MSGTYPE_CHAT = 0,
	/* Only messages without $Chat. */
	WEBPUSH_MSGTYPE_MAIL,
	/* Every message. */
	WEBPUSH_MSGTYPE_ALL,
};

struct webpush_subscription {
	const char *client;
	const char *device;
	enum webpush_msgtype msgtype;
	/* resource.endpoint, as given (the push service's URL). */
	const char *endpoint;
	/* resource.keys, decoded: the user agent's ECDH public key (an
	   uncompressed point on P-256) and its authentication secret. */
	unsigned char p256dh[WEBPUSH_P256DH_SIZE];
	unsigned char auth[WEBPUSH_AUTH_SIZE];

	/* Time the subscription was created (set), and whether the client
	   proved with the validation token that it receives its pushes. */
	time_t created;
	bool validated;
};

/* Returns TRUE when id is a valid subscription ID: 10 to 36 characters of
   [0-9A-Za-z_-]. */
bool webpush_subscription_id_is_valid(const char *id);

/* Returns the canonical (lower case) form of a valid ID. Dovecot
   lowercases METADATA entry names, so IDs compare case-insensitively.
   Allocated from the data stack. */
const char *webpush_subscription_id_normalize(const char *id);

/* Parses the JSON value of a SETMETADATA S/<ID> (WP-04): client, device,
   msgtype (legacy "email" and "any" read as "mail" and "all"),
   resource.endpoint and resource.keys.p256dh/auth (base64 or base64url,
   padded or not). Unknown members are ignored (WP-05); "created" and
   "validated" of the input are ignored too: sub_r->created is set to now
   and sub_r->validated to FALSE. Strings are allocated from pool.
   Returns 0 on success, -1 with error_r naming the broken field (e.g.
   "msgtype must be one of chat, mail, all"). */
int webpush_subscription_parse(pool_t pool, const void *data, size_t size,
			       time_t now, struct webpush_subscription *sub_r,
			       const char **error_r);

/* Parses a stored value (as written by webpush_subscription_to_json()),
   including created and validated. Returns 0 or -1 with error_r. */
int webpush_subscription_parse_stored(pool_t pool, const char *json,
				      struct webpush_subscription *sub_r,
				      const char **error_r);

/* webpush_subscription_parse_stored() through a process-wide cache of
   the last WEBPUSH_SUBSCRIPTION_CACHE_SIZE values that parsed: every
   delivery lists the user's subscriptions again, and parsing one (JSON,
   base64, the key's check) cost the delivering process more than the
   rest of its push. The cache holds parsed copies keyed by the whole
   stored text, so a changed value is parsed anew; values that do not
   parse are not kept. Not thread-safe (Dovecot's processes have one
   thread). */
#define WEBPUSH_SUBSCRIPTION_CACHE_SIZE 32
int webpush_subscription_parse_stored_cached(pool_t pool, const char *json,
					     struct webpush_subscription *sub_r,
					     const char **error_r);
/* Frees the cache (at plugin deinit). */
void webpush_subscription_cache_clear(void);

/* Returns the canonical JSON stored for a subscription (WP-05, WP-06):
   only client, device, msgtype, resource.endpoint, resource.keys (both as
   unpadded base64url), created (RFC 3339, UTC) and validated. Allocated
   from the data stack. */
const char *webpush_subscription_to_json(const struct webpush_subscription *sub);

const char *webpush_msgtype_to_str(enum webpush_msgtype msgtype);
/* Parses "chat", "mail", "all" (case-sensitive) and the legacy "email"
   and "any". Returns FALSE for anything else. */
bool webpush_msgtype_parse(const char *str, enum webpush_msgtype *msgtype_r);

/* Returns TRUE when a message (chat = it has $Chat) matches msgtype. */
bool webpush_msgtype_matches(enum webpush_msgtype msgtype, bool chat);

#endif
