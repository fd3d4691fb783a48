/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "ioloop.h"
#include "mail-user.h"
#include "mail-storage-private.h"
#include "webpush-endpoint.h"
#include "webpush-validation.h"
#include "webpush-vapid.h"
#include "webpush-storage.h"
#include "str-sanitize.h"
#include "webpush-notify.h"
#include "push-coi-plugin.h"
#include "push-coi-events.h"
#include "coi-attr-iter.h"
#include "webpush-metadata.h"

#define WEBPUSH_SUBKEY_VALIDATE "validate"

#define WEBPUSH_METADATA_TRANS_CONTEXT(obj) \
	MODULE_CONTEXT(obj, webpush_metadata_storage_module)

#define WEBPUSH_METADATA_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, webpush_metadata_storage_module)

struct webpush_metadata_mailbox {
	union mailbox_module_context module_ctx;
};

/* The subscriptions set and removed earlier in the same transaction (one
   SETMETADATA with several entries): the storage shows them only after the
   commit, so the limit (WP-07) counts them from here. */
struct webpush_metadata_trans {
	union mailbox_transaction_module_context module_ctx;
	ARRAY_TYPE(const_string) added, removed;

	/* The abuse state (WP-20) as this transaction changed it. It is
	   written in a transaction of its own after this one ended, committed
	   or not (a refused subscription counts as a failure): not while this
	   one is open, since a dict may allow only one open transaction per
	   connection (Dovecot's Redis dict panics on a second one). */
	struct webpush_abuse_state abuse;
	bool abuse_read:1;
	bool abuse_changed:1;
};

static MODULE_CONTEXT_DEFINE_INIT(webpush_metadata_storage_module,
				  &mail_storage_module_register);
#define WEBPUSH_INVALID_VALIDATION "invalid validation"

static struct webpush_metadata_trans *
webpush_metadata_trans_get(struct mailbox_transaction_context *t)
{
	struct webpush_metadata_trans *wt = WEBPUSH_METADATA_TRANS_CONTEXT(t);

	if (wt == NULL) {
		/* the mailbox lives at least as long as its transaction */
		wt = p_new(t->box->pool, struct webpush_metadata_trans, 1);
		p_array_init(&wt->added, t->box->pool, 4);
		p_array_init(&wt->removed, t->box->pool, 4);
		MODULE_CONTEXT_SET(t, webpush_metadata_storage_module, wt);
	}
	return wt;
}

static void ids_remove(ARRAY_TYPE(const_string) *ids, const char *id)
{
	const char *const *cur;
	unsigned int i, count;

	cur = array_get(ids, &count);
	for (i = 0; i < count; i++) {
		if (strcmp(cur[i], id) == 0) {
			array_delete(ids, i, 1);
			return;
		}
	}
}

/* Notes in t that id was set (added) or removed. */
static void
webpush_metadata_trans_note(struct mailbox_transaction_context *t,
			    const char *id, bool added)
{
	struct webpush_metadata_trans *wt = webpush_metadata_trans_get(t);

	id = p_strdup(t->box->pool, id);
	ids_remove(added ? &wt->removed : &wt->added, id);
	if (!webpush_storage_ids_contain(added ? &wt->added : &wt->removed, id))
		array_push_back(added ? &wt->added : &wt->removed, &id);
}

static int
webpush_metadata_error(struct mailbox *box, enum mail_error error,
		       const char *text)
{
	mail_storage_set_error(box->storage, error, text);
	return -1;
}

static struct push_coi_user *webpush_metadata_user(struct mailbox *box)
{
	struct push_coi_user *puser =
		PUSH_COI_USER_CONTEXT(box->storage->user);

	if (puser == NULL || !push_coi_user_webpush_ready(puser))
		return NULL;
	return puser;
}

/* Reads a SETMETADATA value of at most max_size octets. Returns 1 with
   str_r, 0 for NIL, -1 when it is too large, has NULs or cannot be read
   (error_r set). */
static int
webpush_metadata_value(struct mailbox *box,
		       const struct mail_attribute_value *value,
		       size_t max_size, const char **str_r,
		       const char **error_r)
{
	uoff_t size;

	if (value->value == NULL && value->value_stream == NULL)
		return 0;
	if (value->value != NULL) {
		*str_r = value->value;
	} else {
		if (i_stream_get_size(value->value_stream, TRUE, &size) > 0 &&
		    size > max_size) {
			*error_r = t_strdup_printf(
				"value is larger than %zu octets", max_size);
			return -1;
		}
		if (mailbox_attribute_value_to_string(box->storage, value,
						      str_r) < 0) {
			*error_r = mailbox_get_last_error(box, NULL);
			return -1;
		}
	}
	if (strlen(*str_r) > max_size) {
		*error_r = t_strdup_printf("value is larger than %zu octets",
					   max_size);
		return -1;
	}
	return 1;
}

/* The abuse state as transaction t sees it, in state_r. Returns 0, or -1
   with the error set in the storage. */
static int
webpush_metadata_abuse_get(struct mailbox_transaction_context *t,
			   struct push_coi_user *puser,
			   struct webpush_abuse_state *state_r)
{
	struct webpush_metadata_trans *wt = webpush_metadata_trans_get(t);
	const char *error;

	if (!wt->abuse_read) {
		if (webpush_storage_abuse_read(t->box, &wt->abuse,
					       &error) < 0) {
			e_error(puser->event,
				"Reading the WebPush abuse state: %s", error);
			return webpush_metadata_error(t->box, MAIL_ERROR_TEMP,
				MAIL_ERRSTR_CRITICAL_MSG);
		}
		wt->abuse_read = TRUE;
	}
	*state_r = wt->abuse;
	return 0;
}

/* Keeps state as the abuse state to write when t ends. */
static void
webpush_metadata_abuse_set(struct mailbox_transaction_context *t,
			   const struct webpush_abuse_state *state)
{
	struct webpush_metadata_trans *wt = webpush_metadata_trans_get(t);

	wt->abuse = *state;
	wt->abuse_changed = TRUE;
}

/* Records a failed subscription or validation for the lockout (WP-20). */
static void
webpush_metadata_note_failure(struct push_coi_user *puser,
			      struct mailbox_transaction_context *t)
{
	struct webpush_abuse_state state;

	if (puser->wp_set.abuse.fail_max == 0)
		return;
	if (webpush_metadata_abuse_get(t, puser, &state) < 0)
		return;
	if (webpush_abuse_note_failure(&state, &puser->wp_set.abuse,
				       ioloop_time)) {
		e_info(puser->event, "Too many failed WebPush subscriptions "
		       "or validations: new subscriptions refused for %u s",
		       puser->wp_set.abuse.lockout_secs);
	}
	webpush_metadata_abuse_set(t, &state);
}

static int
webpush_metadata_validate(struct mailbox_transaction_context *t,
			  struct push_coi_user *puser, const char *id,
			  const struct mail_attribute_value *value)
{
	struct mailbox *box = t->box;
	struct mail_user *user = box->storage->user;
	struct webpush_stored_subscription stored;
	const char *token = NULL, *error;
	int ret;

	i_zero(&stored);
	ret = webpush_metadata_value(box, value,
				     WEBPUSH_VALIDATION_TOKEN_MAX_LEN,
				     &token, &error);
	if (ret > 0) {
		ret = webpush_storage_get(box, puser->event, id,
					  pool_datastack_create(), &stored,
					  &error);
		if (ret < 0) {
			e_error(puser->event, "Reading subscription %s: %s",
				id, error);
			return webpush_metadata_error(box, MAIL_ERROR_TEMP,
				MAIL_ERRSTR_CRITICAL_MSG);
		}
	}
	if (ret <= 0 ||
	    webpush_subscription_is_expired(&stored.sub, ioloop_time,
		puser->wp_set.validation_timeout_secs) ||
	    !webpush_validation_token_check(puser->validation_secret,
		sizeof(puser->validation_secret), user->username, id,
		stored.sub.endpoint, token, ioloop_time,
		puser->wp_set.validation_timeout_secs)) {
		e_debug(puser->event, "Invalid validation for subscription %s",
			id);
		webpush_metadata_note_failure(puser, t);
		return webpush_metadata_error(box, MAIL_ERROR_PARAMS,
					      WEBPUSH_INVALID_VALIDATION);
	}

	if (!stored.sub.validated) {
		stored.sub.validated = TRUE;
		if (webpush_storage_set(t, id, &stored.sub) < 0)
			return -1;
	}
	e_debug(event_create_passthrough(puser->event)->
		set_name(WEBPUSH_EVENT_SUBSCRIPTION_VALIDATED)->
		add_str("subscription", id)->event(),
		"Subscription %s validated", id);
	return 0;
}

/* Counts the subscriptions other than id that still count (WP-07);
   discards those whose validation window has passed (WP-10). */
static int
webpush_metadata_count_others(struct mailbox_transaction_context *t,
			      struct push_coi_user *puser, const char *id,
			      unsigned int *count_r)
{
	struct webpush_metadata_trans *wt = webpush_metadata_trans_get(t);
	ARRAY_TYPE(webpush_stored_subscription) subs;
	const struct webpush_stored_subscription *sub;
	ARRAY_TYPE(const_string) stored_ids;
	const char *error, *added;

	*count_r = 0;
	t_array_init(&subs, 8);
	t_array_init(&stored_ids, 8);
	if (webpush_storage_list(t->box, puser->event,
				 pool_datastack_create(), &subs, &error) < 0) {
		e_error(puser->event, "Listing subscriptions: %s", error);
		return webpush_metadata_error(t->box, MAIL_ERROR_TEMP,
					      MAIL_ERRSTR_CRITICAL_MSG);
	}
	array_foreach(&subs, sub) {
		array_push_back(&stored_ids, &sub->id);
		if (strcmp(sub->id, id) == 0 ||
		    webpush_storage_ids_contain(&wt->removed, sub->id))
			continue;
		if (webpush_subscription_is_expired(&sub->sub, ioloop_time,
				puser->wp_set.validation_timeout_secs)) {
			e_debug(event_create_passthrough(puser->event)->
				set_name(WEBPUSH_EVENT_SUBSCRIPTION_REMOVED)->
				add_str("subscription", sub->id)->
				add_str("reason", WEBPUSH_REMOVED_EXPIRED)->
				event(), "Discarding subscription %s: "
				"not validated in time", sub->id);
			if (webpush_storage_set(t, sub->id, NULL) < 0)
				return -1;
			continue;
		}
		(*count_r)++;
	}
	/* set earlier in this transaction, not committed yet */
	array_foreach_elem(&wt->added, added) {
		if (strcmp(added, id) != 0 &&
		    !webpush_storage_ids_contain(&stored_ids, added))
			(*count_r)++;
	}
	return 0;
}

static int
webpush_metadata_subscribe(struct mailbox_transaction_context *t,
			   struct push_coi_user *puser, const char *id,
			   const struct mail_attribute_value *value)
{
	struct mailbox *box = t->box;
	struct webpush_subscription sub;
	struct webpush_endpoint *endpoint;
	struct webpush_abuse_state state;
	const char *json, *error, *token;
	unsigned int count;
	int ret;

	ret = webpush_metadata_value(box, value,
				     WEBPUSH_SUBSCRIPTION_JSON_MAX_SIZE,
				     &json, &error);
	if (ret == 0) {
		/* NIL: remove (WP-11) */
		e_debug(event_create_passthrough(puser->event)->
			set_name(WEBPUSH_EVENT_SUBSCRIPTION_REMOVED)->
			add_str("subscription", id)->
			add_str("reason", WEBPUSH_REMOVED_UNSUBSCRIBED)->
			event(), "Removing subscription %s", id);
		if (webpush_storage_set(t, id, NULL) < 0)
			return -1;
		webpush_metadata_trans_note(t, id, FALSE);
		return 0;
	}

	if (webpush_metadata_abuse_get(t, puser, &state) < 0)
		return -1;
	if (webpush_abuse_check_create(&state, &puser->wp_set.abuse,
				       ioloop_time, &error) < 0) {
		e_info(puser->event, "Subscription %s refused: %s", id, error);
		return webpush_metadata_error(box, MAIL_ERROR_LIMIT, error);
	}

	if (ret < 0 ||
	    webpush_subscription_parse(pool_datastack_create(), json,
				       strlen(json), ioloop_time, &sub,
				       &error) < 0) {
		webpush_metadata_note_failure(puser, t);
		return webpush_metadata_error(box, MAIL_ERROR_PARAMS,
			t_strdup_printf("invalid subscription: %s", error));
	}
	if (webpush_endpoint_parse(sub.endpoint, puser->endpoint_set,
				   pool_datastack_create(), &endpoint,
				   &error) < 0) {
		webpush_metadata_note_failure(puser, t);
		return webpush_metadata_error(box, MAIL_ERROR_PARAMS,
			t_strdup_printf("invalid subscription: "
					"resource.endpoint: %s", error));
	}

	if (webpush_metadata_count_others(t, puser, id, &count) < 0)
		return -1;
	if (count >= puser->wp_set.subscription_limit) {
		return webpush_metadata_error(box, MAIL_ERROR_LIMIT,
			t_strdup_printf("subscription limit reached: at most %u "
					"subscriptions per user",
					puser->wp_set.subscription_limit));
	}

	/* a new subscription, or one that replaces the old one with this
	   ID: either way it starts unvalidated */
	if (webpush_storage_set(t, id, &sub) < 0)
		return -1;
	webpush_metadata_trans_note(t, id, TRUE);

	webpush_abuse_note_create(&state, &puser->wp_set.abuse, ioloop_time);
	webpush_metadata_abuse_set(t, &state);

	/* the validation push (WP-08) goes out from the ioloop: the
	   command does not wait for the push service */
	token = webpush_validation_token_create(puser->validation_secret,
		sizeof(puser->validation_secret), box->storage->user->username,
		id, sub.endpoint, sub.created);
	e_debug(event_create_passthrough(puser->event)->
		set_name(WEBPUSH_EVENT_SUBSCRIPTION_ADDED)->
		add_str("subscription", id)->
		add_str("msgtype", webpush_msgtype_to_str(sub.msgtype))->
		add_str("endpoint_origin", endpoint->origin)->event(),
		"Subscription %s stored (msgtype %s), sending its validation push", id,
		webpush_msgtype_to_str(sub.msgtype));
	webpush_notify_validation(box->storage->user, id, &sub, token);
	return 0;
}

static int
webpush_metadata_iset(struct mailbox_transaction_context *t, const char *key,
		      const struct mail_attribute_value *value)
{
	struct mailbox *box = t->box;
	struct push_coi_user *puser = webpush_metadata_user(box);
	const char *rel = key + strlen(WEBPUSH_ATTR_KEY);
	const char *id, *rest, *slash;

	if (puser == NULL) {
		return webpush_metadata_error(box, MAIL_ERROR_NOTPOSSIBLE,
			"WebPush is not available on this server");
	}
	if (strcmp(rel, WEBPUSH_ATTR_SUBKEY_VAPID) == 0) {
		return webpush_metadata_error(box, MAIL_ERROR_NOTPOSSIBLE,
			WEBPUSH_METADATA_VAPID " is read-only");
	}
	if (!str_begins(rel, WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "/")) {
		return webpush_metadata_error(box, MAIL_ERROR_PARAMS,
			t_strdup_printf("unknown WebPush entry %s/%s",
					WEBPUSH_METADATA_ENTRY, rel));
	}
	rest = rel + strlen(WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "/");
	slash = strchr(rest, '/');
	id = slash == NULL ? rest : t_strdup_until(rest, slash);
	if (!webpush_subscription_id_is_valid(id)) {
		return webpush_metadata_error(box, MAIL_ERROR_PARAMS,
			t_strdup_printf("invalid subscription ID \"%s\": "
				"10 to 36 characters of [0-9A-Za-z_-]",
				str_sanitize_utf8(id, 64)));
	}
	id = webpush_subscription_id_normalize(id);
	if (slash == NULL)
		return webpush_metadata_subscribe(t, puser, id, value);
	if (strcmp(slash + 1, WEBPUSH_SUBKEY_VALIDATE) == 0)
		return webpush_metadata_validate(t, puser, id, value);
	return webpush_metadata_error(box, MAIL_ERROR_PARAMS,
		t_strdup_printf("unknown WebPush entry %s/%s",
				WEBPUSH_METADATA_ENTRY, rel));
}

static int
webpush_metadata_iget(struct mailbox *box, const char *key,
		      struct mail_attribute_value *value_r)
{
	struct push_coi_user *puser = webpush_metadata_user(box);
	struct webpush_stored_subscription stored;
	const char *rel = key + strlen(WEBPUSH_ATTR_KEY);
	const char *id, *error;
	int ret;

	if (puser == NULL)
		return 0;
	if (strcmp(rel, WEBPUSH_ATTR_SUBKEY_VAPID) == 0) {
		/* only the public key: the private key is never readable */
		value_r->value = webpush_vapid_get_public_key_pem(puser->vapid);
		return 1;
	}
	if (!str_begins(rel, WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "/"))
		return 0;
	id = rel + strlen(WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "/");
	if (!webpush_subscription_id_is_valid(id))
		return 0;
	ret = webpush_storage_get(box, puser->event,
				  webpush_subscription_id_normalize(id),
				  pool_datastack_create(), &stored, &error);
	if (ret < 0) {
		mail_storage_set_critical(box->storage,
			"Reading WebPush subscription %s: %s", id, error);
		return -1;
	}
	if (ret == 0 ||
	    webpush_subscription_is_expired(&stored.sub, ioloop_time,
		puser->wp_set.validation_timeout_secs))
		return 0;
	value_r->value = stored.json;
	return 1;
}

static void
webpush_metadata_iter_add(ARRAY_TYPE(const_string) *keys, pool_t pool,
			  const char *key_prefix, const char *key)
{
	size_t len = strlen(key_prefix);

	if (len == 0)
		;
	else if (strcmp(key, key_prefix) == 0)
		key = "";
	else if (strncmp(key, key_prefix, len) == 0 && key[len] == '/')
		key += len + 1;
	else
		return;
	key = p_strdup(pool, key);
	array_push_back(keys, &key);
}

static int
webpush_metadata_iter(struct mailbox *box, const char *key_prefix,
		      pool_t pool, ARRAY_TYPE(const_string) *keys)
{
	struct push_coi_user *puser = webpush_metadata_user(box);
	ARRAY_TYPE(webpush_stored_subscription) subs;
	const struct webpush_stored_subscription *sub;
	const char *error;

	if (puser == NULL)
		return 0;
	webpush_metadata_iter_add(keys, pool, key_prefix,
				  WEBPUSH_ATTR_SUBKEY_VAPID);

	t_array_init(&subs, 8);
	if (webpush_storage_list(box, puser->event, pool_datastack_create(),
				 &subs, &error) < 0) {
		mail_storage_set_critical(box->storage,
			"Listing WebPush subscriptions: %s", error);
		return -1;
	}
	array_foreach(&subs, sub) {
		/* not validated in time: gone (WP-10) */
		if (webpush_subscription_is_expired(&sub->sub, ioloop_time,
				puser->wp_set.validation_timeout_secs))
			continue;
		webpush_metadata_iter_add(keys, pool, key_prefix,
			t_strconcat(WEBPUSH_ATTR_SUBKEY_SUBSCRIPTIONS "/",
				    sub->id, NULL));
	}
	return 0;
}

/* /private/vendor/vendor.dovecot/webpush itself holds no value. */
static int
webpush_metadata_root_iset(struct mailbox_transaction_context *t,
			   const char *key ATTR_UNUSED,
			   const struct mail_attribute_value *value ATTR_UNUSED)
{
	return webpush_metadata_error(t->box, MAIL_ERROR_PARAMS,
		"unknown WebPush entry " WEBPUSH_METADATA_ENTRY);
}

static int
webpush_metadata_root_iget(struct mailbox *box ATTR_UNUSED,
			   const char *key ATTR_UNUSED,
			   struct mail_attribute_value *value_r ATTR_UNUSED)
{
	return 0;
}

static const struct mailbox_attribute_internal webpush_root_iattr = {
	.type = MAIL_ATTRIBUTE_TYPE_PRIVATE,
	.key = WEBPUSH_ATTR_ROOT,
	.rank = MAIL_ATTRIBUTE_INTERNAL_RANK_AUTHORITY,
	.flags = MAIL_ATTRIBUTE_INTERNAL_FLAG_VALIDATED,
	.get = webpush_metadata_root_iget,
	.set = webpush_metadata_root_iset,
};

static const struct mailbox_attribute_internal webpush_iattr = {
	.type = MAIL_ATTRIBUTE_TYPE_PRIVATE,
	.key = WEBPUSH_ATTR_KEY,
	.rank = MAIL_ATTRIBUTE_INTERNAL_RANK_AUTHORITY,
	.flags = MAIL_ATTRIBUTE_INTERNAL_FLAG_CHILDREN |
		MAIL_ATTRIBUTE_INTERNAL_FLAG_VALIDATED,
	.get = webpush_metadata_iget,
	.set = webpush_metadata_iset,
	.iter = webpush_metadata_iter,
};

/* Writes the abuse state that the ended transaction changed (wt). */
static void
webpush_metadata_trans_ended(struct mailbox *box,
			     struct webpush_metadata_trans *wt)
{
	struct push_coi_user *puser =
		PUSH_COI_USER_CONTEXT(box->storage->user);
	const char *error;

	if (wt == NULL || !wt->abuse_changed)
		return;
	wt->abuse_changed = FALSE;
	if (webpush_storage_abuse_write(box, &wt->abuse, &error) < 0) {
		e_error(puser != NULL ? puser->event : box->event,
			"Writing the WebPush abuse state: %s", error);
	}
}

static int
webpush_metadata_transaction_commit(struct mailbox_transaction_context *t,
	struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	struct webpush_metadata_mailbox *wbox = WEBPUSH_METADATA_CONTEXT(box);
	struct webpush_metadata_trans *wt = WEBPUSH_METADATA_TRANS_CONTEXT(t);
	int ret;

	ret = wbox->module_ctx.super.transaction_commit(t, changes_r);
	webpush_metadata_trans_ended(box, wt);
	return ret;
}

static void
webpush_metadata_transaction_rollback(struct mailbox_transaction_context *t)
{
	struct mailbox *box = t->box;
	struct webpush_metadata_mailbox *wbox = WEBPUSH_METADATA_CONTEXT(box);
	struct webpush_metadata_trans *wt = WEBPUSH_METADATA_TRANS_CONTEXT(t);

	wbox->module_ctx.super.transaction_rollback(t);
	webpush_metadata_trans_ended(box, wt);
}

/* Everything stored below webpush/ is listed by webpush_metadata_iter()
   (the VAPID key and the subscription index), so an iteration there does
   not ask the attribute dict: Dovecot's Redis dict cannot iterate, and
   GETMETADATA DEPTH on the WebPush entries (WP-12) works on it too. */
static struct mailbox_attribute_iter *
webpush_metadata_attribute_iter_init(struct mailbox *box,
				     enum mail_attribute_type type_flags,
				     const char *prefix)
{
	struct webpush_metadata_mailbox *wbox = WEBPUSH_METADATA_CONTEXT(box);

	return coi_attr_iter_skip_dict_init(&wbox->module_ctx.super, box,
					    type_flags, prefix,
					    WEBPUSH_ATTR_KEY);
}

static const char *
webpush_metadata_attribute_iter_next(struct mailbox_attribute_iter *iter)
{
	struct webpush_metadata_mailbox *wbox =
		WEBPUSH_METADATA_CONTEXT(iter->box);

	return coi_attr_iter_skip_dict_next(&wbox->module_ctx.super, iter);
}

static int
webpush_metadata_attribute_iter_deinit(struct mailbox_attribute_iter *iter)
{
	struct webpush_metadata_mailbox *wbox =
		WEBPUSH_METADATA_CONTEXT(iter->box);

	return coi_attr_iter_skip_dict_deinit(&wbox->module_ctx.super, iter);
}

void webpush_metadata_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v = box->vlast;
	struct webpush_metadata_mailbox *wbox;

	if (!coi_attr_box_has_metadata_access(box))
		return;
	wbox = p_new(box->pool, struct webpush_metadata_mailbox, 1);
	wbox->module_ctx.super = *v;
	box->vlast = &wbox->module_ctx.super;
	v->transaction_commit = webpush_metadata_transaction_commit;
	v->transaction_rollback = webpush_metadata_transaction_rollback;
	v->attribute_iter_init = webpush_metadata_attribute_iter_init;
	v->attribute_iter_next = webpush_metadata_attribute_iter_next;
	v->attribute_iter_deinit = webpush_metadata_attribute_iter_deinit;
	MODULE_CONTEXT_SET(box, webpush_metadata_storage_module, wbox);
}

void webpush_metadata_register(void)
{
	mailbox_attribute_register_internal(&webpush_root_iattr);
	mailbox_attribute_register_internal(&webpush_iattr);
}

void webpush_metadata_unregister(void)
{
	mailbox_attribute_unregister_internal(&webpush_iattr);
	mailbox_attribute_unregister_internal(&webpush_root_iattr);
}
