/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "base64.h"
#include "iso8601-date.h"
#include "webpush-b64.h"
#include "webpush-ossl.h"
#include "webpush-json.h"
#include "webpush-subscription.h"

#include <time.h>
#include <jansson.h>

bool webpush_subscription_id_is_valid(const char *id)
{
	size_t len = strlen(id);

	if (len < WEBPUSH_SUBSCRIPTION_ID_MIN_LEN ||
	    len > WEBPUSH_SUBSCRIPTION_ID_MAX_LEN)
		return FALSE;
	for (; *id != '\0'; id++) {
		char c = *id;

		/* ASCII only, whatever the locale */
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
			return FALSE;
	}
	return TRUE;
}

const char *webpush_subscription_id_normalize(const char *id)
{
	return t_str_lcase(id);
}

const char *webpush_msgtype_to_str(enum webpush_msgtype msgtype)
{
	switch (msgtype) {
	case WEBPUSH_MSGTYPE_CHAT:
		return "chat";
	case WEBPUSH_MSGTYPE_MAIL:
		return "mail";
	case WEBPUSH_MSGTYPE_ALL:
		return "all";
	}
	i_unreached();
}

bool webpush_msgtype_parse(const char *str, enum webpush_msgtype *msgtype_r)
{
	if (strcmp(str, "chat") == 0)
		*msgtype_r = WEBPUSH_MSGTYPE_CHAT;
	else if (strcmp(str, "mail") == 0 || strcmp(str, "email") == 0)
		*msgtype_r = WEBPUSH_MSGTYPE_MAIL;
	else if (strcmp(str, "all") == 0 || strcmp(str, "any") == 0)
		*msgtype_r = WEBPUSH_MSGTYPE_ALL;
	else
		return FALSE;
	return TRUE;
}

bool webpush_msgtype_matches(enum webpush_msgtype msgtype, bool chat)
{
	switch (msgtype) {
	case WEBPUSH_MSGTYPE_CHAT:
		return chat;
	case WEBPUSH_MSGTYPE_MAIL:
		return !chat;
	case WEBPUSH_MSGTYPE_ALL:
		return TRUE;
	}
	i_unreached();
}

/* Decodes a key given as base64 or base64url, padded or not, into
   exactly size octets. */
static int webpush_key_decode(const char *text, unsigned char *dest,
			      size_t size)
{
	buffer_t *buf = t_buffer_create(size + 3);
	const char *error;

	if (webpush_b64_decode(text, buf, &error) < 0 || buf->used != size)
		return -1;
	memcpy(dest, buf->data, size);
	return 0;
}

/* Gets a string member of obj; returns 0 when found and valid, -1 with
   error_r otherwise. */
static int
json_get_string(json_t *obj, const char *key, const char *field,
		size_t max_len, bool required, const char **value_r,
		const char **error_r)
{
	json_t *value = json_object_get(obj, key);

	*value_r = NULL;
	if (value == NULL) {
		if (!required)
			return 0;
		*error_r = t_strdup_printf("%s is missing", field);
		return -1;
	}
	if (!json_is_string(value)) {
		*error_r = t_strdup_printf("%s must be a string", field);
		return -1;
	}
	if (max_len > 0 && json_string_length(value) > max_len) {
		*error_r = t_strdup_printf("%s is longer than %zu octets",
					   field, max_len);
		return -1;
	}
	*value_r = json_string_value(value);
	return 0;
}

static int
json_get_object(json_t *obj, const char *key, const char *field,
		json_t **value_r, const char **error_r)
{
	json_t *value = json_object_get(obj, key);

	if (value == NULL) {
		*error_r = t_strdup_printf("%s is missing", field);
		return -1;
	}
	if (!json_is_object(value)) {
		*error_r = t_strdup_printf("%s must be an object", field);
		return -1;
	}
	*value_r = value;
	return 0;
}

/* Validates the parsed JSON and fills sub_r. jansson without
   JSON_ALLOW_NUL never gives a string with a NUL inside, so strlen() is
   the length of every string copied here. */
static int
webpush_subscription_parse_json(pool_t pool, json_t *root, bool stored,
				struct webpush_subscription *sub_r,
				const char **error_r)
{
	json_t *resource, *keys, *validated;
	const char *client, *device, *msgtype, *endpoint, *p256dh, *auth;
	const char *created, *key_error;
	EVP_PKEY *pkey;

	if (!json_is_object(root)) {
		*error_r = "subscription must be a JSON object";
		return -1;
	}
	if (json_get_string(root, "client", "client",
			    WEBPUSH_SUBSCRIPTION_CLIENT_MAX_LEN, TRUE,
			    &client, error_r) < 0 ||
	    json_get_string(root, "device", "device",
			    WEBPUSH_SUBSCRIPTION_DEVICE_MAX_LEN, TRUE,
			    &device, error_r) < 0 ||
	    json_get_string(root, "msgtype", "msgtype", 0, TRUE,
			    &msgtype, error_r) < 0)
		return -1;
	if (!webpush_msgtype_parse(msgtype, &sub_r->msgtype)) {
		*error_r = "msgtype must be one of chat, mail, all";
		return -1;
	}
	if (json_get_object(root, "resource", "resource",
			    &resource, error_r) < 0 ||
	    json_get_string(resource, "endpoint", "resource.endpoint",
			    WEBPUSH_SUBSCRIPTION_ENDPOINT_MAX_LEN, TRUE,
			    &endpoint, error_r) < 0 ||
	    json_get_object(resource, "keys", "resource.keys",
			    &keys, error_r) < 0 ||
	    json_get_string(keys, "p256dh", "resource.keys.p256dh",
			    WEBPUSH_SUBSCRIPTION_P256DH_MAX_LEN, TRUE,
			    &p256dh, error_r) < 0 ||
	    json_get_string(keys, "auth", "resource.keys.auth", 0, TRUE,
			    &auth, error_r) < 0)
		return -1;
	if (endpoint[0] == '\0') {
		*error_r = "resource.endpoint is empty";
		return -1;
	}
	if (webpush_key_decode(p256dh, sub_r->p256dh,
			       sizeof(sub_r->p256dh)) < 0) {
		*error_r = "resource.keys.p256dh must be base64 or base64url "
			"of a 65-octet uncompressed P-256 point";
		return -1;
	}
	if (webpush_ossl_p256_public_from_raw(sub_r->p256dh,
					      sizeof(sub_r->p256dh),
					      &pkey, &key_error) < 0) {
		*error_r = t_strdup_printf("resource.keys.p256dh is not a "
					   "P-256 public key: %s", key_error);
		return -1;
	}
	EVP_PKEY_free(pkey);
	if (webpush_key_decode(auth, sub_r->auth, sizeof(sub_r->auth)) < 0) {
		*error_r = "resource.keys.auth must be base64 or base64url "
			"of 16 octets";
		return -1;
	}

	if (stored) {
		int tz;

		if (json_get_string(root, "created", "created", 0, TRUE,
				    &created, error_r) < 0)
			return -1;
		if (!iso8601_date_parse((const unsigned char *)created,
					strlen(created), &sub_r->created, &tz)) {
			*error_r = "created is not an RFC 3339 time";
			return -1;
		}
		validated = json_object_get(root, "validated");
		if (!json_is_boolean(validated)) {
			*error_r = "validated must be true or false";
			return -1;
		}
		sub_r->validated = json_is_true(validated);
	}

	sub_r->client = p_strdup(pool, client);
	sub_r->device = p_strdup(pool, device);
	sub_r->endpoint = p_strdup(pool, endpoint);
	return 0;
}

static int
webpush_subscription_load(pool_t pool, const void *data, size_t size,
			  bool stored, struct webpush_subscription *sub_r,
			  const char **error_r)
{
	json_error_t jerr;
	json_t *root;
	int ret;

	i_zero(sub_r);
	if (size > WEBPUSH_SUBSCRIPTION_JSON_MAX_SIZE) {
		*error_r = t_strdup_printf(
			"subscription is larger than %u octets",
			WEBPUSH_SUBSCRIPTION_JSON_MAX_SIZE);
		return -1;
	}
	/* jansson rejects invalid UTF-8, \u0000 (no JSON_ALLOW_NUL) and,
	   with this flag, duplicate keys. Nesting is bounded by the size. */
	root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*error_r = t_strdup_printf("invalid JSON: %s (at octet %d)",
					   jerr.text, jerr.position);
		return -1;
	}
	ret = webpush_subscription_parse_json(pool, root, stored,
					      sub_r, error_r);
	json_decref(root);
	return ret;
}

int webpush_subscription_parse(pool_t pool, const void *data, size_t size,
			       time_t now, struct webpush_subscription *sub_r,
			       const char **error_r)
{
	if (webpush_subscription_load(pool, data, size, FALSE,
				      sub_r, error_r) < 0)
		return -1;
	sub_r->created = now;
	sub_r->validated = FALSE;
	return 0;
}

int webpush_subscription_parse_stored(pool_t pool, const char *json,
				      struct webpush_subscription *sub_r,
				      const char **error_r)
{
	return webpush_subscription_load(pool, json, strlen(json), TRUE,
					 sub_r, error_r);
}

struct webpush_subscription_cache_entry {
	/* holds json and the strings of sub; NULL = unused */
	pool_t pool;
	const char *json;
	size_t json_len;
	struct webpush_subscription sub;
};

static struct webpush_subscription_cache_entry
	subscription_cache[WEBPUSH_SUBSCRIPTION_CACHE_SIZE];
/* the entry the next new value replaces (round robin) */
static unsigned int subscription_cache_next;

static void
webpush_subscription_cache_add(const char *json, size_t json_len,
			       const struct webpush_subscription *sub)
{
	struct webpush_subscription_cache_entry *entry =
		&subscription_cache[subscription_cache_next];

	subscription_cache_next = (subscription_cache_next + 1) %
		N_ELEMENTS(subscription_cache);
	if (entry->pool == NULL) {
		entry->pool = pool_alloconly_create("webpush subscription cache",
						    json_len + 512);
	} else {
		p_clear(entry->pool);
	}
	entry->json = p_strndup(entry->pool, json, json_len);
	entry->json_len = json_len;
	entry->sub = *sub;
	entry->sub.client = p_strdup(entry->pool, sub->client);
	entry->sub.device = p_strdup(entry->pool, sub->device);
	entry->sub.endpoint = p_strdup(entry->pool, sub->endpoint);
}

int webpush_subscription_parse_stored_cached(pool_t pool, const char *json,
					     struct webpush_subscription *sub_r,
					     const char **error_r)
{
	const struct webpush_subscription_cache_entry *entry;
	size_t json_len = strlen(json);
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(subscription_cache); i++) {
		entry = &subscription_cache[i];
		if (entry->pool == NULL || entry->json_len != json_len ||
		    memcmp(entry->json, json, json_len) != 0)
			continue;
		*sub_r = entry->sub;
		sub_r->client = p_strdup(pool, entry->sub.client);
		sub_r->device = p_strdup(pool, entry->sub.device);
		sub_r->endpoint = p_strdup(pool, entry->sub.endpoint);
		return 0;
	}
	if (webpush_subscription_load(pool, json, json_len, TRUE,
				      sub_r, error_r) < 0)
		return -1;
	webpush_subscription_cache_add(json, json_len, sub_r);
	return 0;
}

void webpush_subscription_cache_clear(void)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(subscription_cache); i++) {
		pool_unref(&subscription_cache[i].pool);
		i_zero(&subscription_cache[i]);
	}
	subscription_cache_next = 0;
}

static const char *webpush_time_rfc3339(time_t t)
{
	struct tm *tm = gmtime(&t);

	if (tm == NULL)
		return "1970-01-01T00:00:00Z";
	return iso8601_date_create_tm(tm, INT_MAX);
}

const char *webpush_subscription_to_json(const struct webpush_subscription *sub)
{
	json_t *root;
	const char *p256dh, *auth;

	p256dh = str_c(t_base64url_encode(BASE64_ENCODE_FLAG_NO_PADDING, 0,
					  sub->p256dh, sizeof(sub->p256dh)));
	auth = str_c(t_base64url_encode(BASE64_ENCODE_FLAG_NO_PADDING, 0,
					sub->auth, sizeof(sub->auth)));

	root = json_pack("{s:s, s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:s, s:b}",
			 "client", sub->client,
			 "device", sub->device,
			 "msgtype", webpush_msgtype_to_str(sub->msgtype),
			 "resource",
			   "endpoint", sub->endpoint,
			   "keys",
			     "p256dh", p256dh,
			     "auth", auth,
			 "created", webpush_time_rfc3339(sub->created),
			 "validated", sub->validated ? 1 : 0);
	return webpush_json_dump(root, JSON_PRESERVE_ORDER);
}
