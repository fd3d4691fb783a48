/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strnum.h"
#include "settings-parser.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "webpush-storage.h"

#define WEBPUSH_DEFAULT_SUBSCRIPTION_LIMIT 10
#define WEBPUSH_DEFAULT_VALIDATION_TIMEOUT_SECS (5 * 60)
#define WEBPUSH_DEFAULT_CREATE_MAX 20
#define WEBPUSH_DEFAULT_CREATE_INTERVAL_SECS (60 * 60)
#define WEBPUSH_DEFAULT_FAIL_MAX 5
#define WEBPUSH_DEFAULT_LOCKOUT_SECS (60 * 60)

#define WEBPUSH_STORAGE_TRANS_CONTEXT(obj) \
	MODULE_CONTEXT(obj, webpush_storage_module)

/* The subscription index of a transaction that changes it. */
struct webpush_storage_trans {
	union mailbox_transaction_module_context module_ctx;
	ARRAY_TYPE(const_string) ids;
};

static MODULE_CONTEXT_DEFINE_INIT(webpush_storage_module,
				  &mail_storage_module_register);

static int
setting_uint(struct mail_user *user, const char *name, unsigned int def,
	     unsigned int *value_r, const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, name);

	if (value == NULL || value[0] == '\0') {
		*value_r = def;
		return 0;
	}
	if (str_to_uint(value, value_r) < 0) {
		*error_r = t_strdup_printf("%s: not a number: %s", name, value);
		return -1;
	}
	return 0;
}

static int
setting_time(struct mail_user *user, const char *name, unsigned int def,
	     unsigned int *value_r, const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, name);
	const char *error;

	if (value == NULL || value[0] == '\0') {
		*value_r = def;
		return 0;
	}
	if (settings_get_time(value, value_r, &error) < 0) {
		*error_r = t_strdup_printf("%s: %s", name, error);
		return -1;
	}
	return 0;
}

static int
setting_bool(struct mail_user *user, const char *name, bool def,
	     bool *value_r, const char **error_r)
{
	const char *value = mail_user_plugin_getenv(user, name);

	if (value == NULL || value[0] == '\0') {
		*value_r = def;
		return 0;
	}
	if (strcasecmp(value, "yes") == 0)
		*value_r = TRUE;
	else if (strcasecmp(value, "no") == 0)
		*value_r = FALSE;
	else {
		*error_r = t_strdup_printf("%s: must be yes or no, not %s",
					   name, value);
		return -1;
	}
	return 0;
}

int webpush_user_settings_read(struct mail_user *user,
			       struct webpush_user_settings *set_r,
			       const char **error_r)
{
	const char *secret;

	i_zero(set_r);
	if (setting_uint(user, "webpush_subscription_limit",
			 WEBPUSH_DEFAULT_SUBSCRIPTION_LIMIT,
			 &set_r->subscription_limit, error_r) < 0 ||
	    setting_time(user, "webpush_validation_timeout",
			 WEBPUSH_DEFAULT_VALIDATION_TIMEOUT_SECS,
			 &set_r->validation_timeout_secs, error_r) < 0 ||
	    setting_bool(user, "webpush_require_validation", TRUE,
			 &set_r->require_validation, error_r) < 0 ||
	    setting_uint(user, "webpush_subscription_create_max",
			 WEBPUSH_DEFAULT_CREATE_MAX,
			 &set_r->abuse.create_max, error_r) < 0 ||
	    setting_time(user, "webpush_subscription_create_interval",
			 WEBPUSH_DEFAULT_CREATE_INTERVAL_SECS,
			 &set_r->abuse.create_interval_secs, error_r) < 0 ||
	    setting_uint(user, "webpush_validation_fail_max",
			 WEBPUSH_DEFAULT_FAIL_MAX,
			 &set_r->abuse.fail_max, error_r) < 0 ||
	    setting_time(user, "webpush_validation_lockout",
			 WEBPUSH_DEFAULT_LOCKOUT_SECS,
			 &set_r->abuse.lockout_secs, error_r) < 0 ||
	    setting_bool(user, "webpush_chat_requires_coi", FALSE,
			 &set_r->chat_requires_coi, error_r) < 0)
		return -1;
	if (set_r->validation_timeout_secs == 0) {
		*error_r = "webpush_validation_timeout: must not be 0";
		return -1;
	}
	secret = mail_user_plugin_getenv(user, "webpush_validation_secret");
	if (secret != NULL && secret[0] != '\0') {
		if (strlen(secret) < 16) {
			*error_r = "webpush_validation_secret: "
				"use at least 16 characters";
			return -1;
		}
		set_r->validation_secret = p_strdup(user->pool, secret);
	}
	return 0;
}

bool webpush_subscription_is_expired(const struct webpush_subscription *sub,
				     time_t now, unsigned int timeout_secs)
{
	return !sub->validated && now > sub->created + (time_t)timeout_secs;
}

struct mailbox *webpush_storage_inbox_alloc(struct mail_user *user)
{
	struct mail_namespace *ns = mail_namespace_find_inbox(user->namespaces);

	/* Server metadata does not depend on the INBOX's ACLs. */
	return mailbox_alloc(ns->list, "INBOX", MAILBOX_FLAG_IGNORE_ACLS |
			     MAILBOX_FLAG_ATTRIBUTE_SESSION);
}

bool webpush_storage_ids_contain(const ARRAY_TYPE(const_string) *ids,
				 const char *id)
{
	const char *cur;

	array_foreach_elem(ids, cur) {
		if (strcmp(cur, id) == 0)
			return TRUE;
	}
	return FALSE;
}

static const char *webpush_storage_key(const char *id)
{
	return t_strconcat(WEBPUSH_ATTR_SUBSCRIPTIONS, id, NULL);
}

/* Reads a string attribute below the internal attribute layer. */
static int
webpush_attr_get(struct mailbox *box, const char *key, const char **value_r,
		 const char **error_r)
{
	struct mail_attribute_value value;
	int ret;

	i_zero(&value);
	ret = box->v.attribute_get(box, MAIL_ATTRIBUTE_TYPE_PRIVATE, key,
				   &value);
	if (ret < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	if (ret == 0 || value.value == NULL) {
		*value_r = NULL;
		return 0;
	}
	*value_r = value.value;
	return 1;
}

static int
webpush_attr_set(struct mailbox_transaction_context *t, const char *key,
		 const char *value)
{
	struct mail_attribute_value attr;

	i_zero(&attr);
	attr.value = value;
	return t->box->v.attribute_set(t, MAIL_ATTRIBUTE_TYPE_PRIVATE, key,
				       &attr);
}

static int
webpush_storage_parse(struct event *event, const char *id, const char *json,
		      pool_t pool, struct webpush_stored_subscription *sub_r)
{
	const char *error;

	i_zero(sub_r);
	if (webpush_subscription_parse_stored_cached(pool, json, &sub_r->sub,
					      &error) < 0) {
		e_warning(event, "Ignoring unreadable stored subscription %s: %s",
			  id, error);
		return -1;
	}
	sub_r->id = p_strdup(pool, id);
	sub_r->json = p_strdup(pool, json);
	return 0;
}

int webpush_storage_get(struct mailbox *box, struct event *event,
			const char *id, pool_t pool,
			struct webpush_stored_subscription *sub_r,
			const char **error_r)
{
	const char *json;
	int ret;

	ret = webpush_attr_get(box, webpush_storage_key(id), &json, error_r);
	if (ret <= 0)
		return ret;
	if (webpush_storage_parse(event, id, json, pool, sub_r) < 0)
		return 0;
	return 1;
}

/* Splits the stored index into IDs, skipping anything that is not one. */
static void
webpush_storage_index_parse(const char *text, pool_t pool,
			    ARRAY_TYPE(const_string) *ids)
{
	const char *const *words, *id;

	if (text == NULL)
		return;
	for (words = t_strsplit_spaces(text, " "); *words != NULL; words++) {
		if (!webpush_subscription_id_is_valid(*words))
			continue;
		id = p_strdup(pool, webpush_subscription_id_normalize(*words));
		if (!webpush_storage_ids_contain(ids, id))
			array_push_back(ids, &id);
	}
}

int webpush_storage_list(struct mailbox *box, struct event *event,
			 pool_t pool,
			 ARRAY_TYPE(webpush_stored_subscription) *subs,
			 const char **error_r)
{
	struct webpush_stored_subscription sub;
	ARRAY_TYPE(const_string) ids;
	const char *text, *id, *json;
	int ret;

	/* The index, not an iteration of the attribute dict: a dict that
	   cannot iterate (Redis) works too, and it costs one lookup. */
	if (webpush_attr_get(box, WEBPUSH_ATTR_INDEX, &text, error_r) < 0)
		return -1;
	t_array_init(&ids, 8);
	webpush_storage_index_parse(text, pool_datastack_create(), &ids);

	array_foreach_elem(&ids, id) {
		ret = webpush_attr_get(box, webpush_storage_key(id), &json,
				       error_r);
		if (ret < 0)
			return -1;
		/* ret == 0: removed by a writer whose index update lost a
		   race; the next change of the index drops it */
		if (ret > 0 &&
		    webpush_storage_parse(event, id, json, pool, &sub) == 0)
			array_push_back(subs, &sub);
	}
	return 0;
}

/* The index as transaction t leaves it: read at the first change in t,
   since the attribute storage shows t's own changes only after the
   commit. */
static ARRAY_TYPE(const_string) *
webpush_storage_trans_index(struct mailbox_transaction_context *t)
{
	struct webpush_storage_trans *wt = WEBPUSH_STORAGE_TRANS_CONTEXT(t);
	const char *text, *error;

	if (wt != NULL)
		return &wt->ids;
	if (webpush_attr_get(t->box, WEBPUSH_ATTR_INDEX, &text, &error) < 0)
		return NULL;
	/* the mailbox lives at least as long as its transaction */
	wt = p_new(t->box->pool, struct webpush_storage_trans, 1);
	p_array_init(&wt->ids, t->box->pool, 8);
	webpush_storage_index_parse(text, t->box->pool, &wt->ids);
	MODULE_CONTEXT_SET(t, webpush_storage_module, wt);
	return &wt->ids;
}

int webpush_storage_set(struct mailbox_transaction_context *t, const char *id,
			const struct webpush_subscription *sub)
{
	ARRAY_TYPE(const_string) *ids;
	const char *const *cur;
	unsigned int i, count;
	bool changed = FALSE;

	ids = webpush_storage_trans_index(t);
	if (ids == NULL)
		return -1;
	if (webpush_attr_set(t, webpush_storage_key(id),
			     sub == NULL ? NULL :
			     webpush_subscription_to_json(sub)) < 0)
		return -1;

	if (sub != NULL && !webpush_storage_ids_contain(ids, id)) {
		id = p_strdup(t->box->pool, id);
		array_push_back(ids, &id);
		changed = TRUE;
	} else if (sub == NULL) {
		cur = array_get(ids, &count);
		for (i = 0; i < count; i++) {
			if (strcmp(cur[i], id) == 0) {
				array_delete(ids, i, 1);
				changed = TRUE;
				break;
			}
		}
	}
	if (!changed)
		return 0;
	return webpush_attr_set(t, WEBPUSH_ATTR_INDEX, array_count(ids) == 0 ?
				NULL : t_array_const_string_join(ids, " "));
}

static int
webpush_storage_trans_begin(struct mailbox *box,
			    struct mailbox_transaction_context **t_r,
			    const char **error_r)
{
	if (mailbox_open(box) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	*t_r = mailbox_transaction_begin(box, MAILBOX_TRANSACTION_FLAG_EXTERNAL,
					 "webpush attribute");
	return 0;
}

/* Commits t when ret is 0, rolls it back otherwise. */
static int
webpush_storage_trans_end(struct mailbox_transaction_context **_t, int ret,
			  const char **error_r)
{
	struct mailbox *box = (*_t)->box;

	if (ret < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		mailbox_transaction_rollback(_t);
		return -1;
	}
	if (mailbox_transaction_commit(_t) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		return -1;
	}
	return 0;
}

int webpush_storage_delete(struct mailbox *box, const char *id,
			   const char **error_r)
{
	struct mailbox_transaction_context *t;

	if (webpush_storage_trans_begin(box, &t, error_r) < 0)
		return -1;
	return webpush_storage_trans_end(&t, webpush_storage_set(t, id, NULL),
					 error_r);
}

int webpush_storage_abuse_read(struct mailbox *box,
			       struct webpush_abuse_state *state_r,
			       const char **error_r)
{
	const char *text;

	if (webpush_attr_get(box, WEBPUSH_ATTR_ABUSE, &text, error_r) < 0)
		return -1;
	/* an unreadable state starts afresh */
	(void)webpush_abuse_state_parse(text, state_r);
	return 0;
}

int webpush_storage_abuse_write(struct mailbox *box,
				const struct webpush_abuse_state *state,
				const char **error_r)
{
	struct mailbox_transaction_context *t;

	if (webpush_storage_trans_begin(box, &t, error_r) < 0)
		return -1;
	return webpush_storage_trans_end(&t, webpush_attr_set(t,
		WEBPUSH_ATTR_ABUSE, webpush_abuse_state_to_str(state)),
		error_r);
}
