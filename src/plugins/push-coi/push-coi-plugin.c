/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "mail-user.h"
#include "mail-storage.h"
#include "mail-storage-hooks.h"
#include "safe-memset.h"
#include "webpush-endpoint.h"
#include "webpush-ossl.h"
#include "webpush-subscription.h"
#include "webpush-vapid.h"
#include "webpush-metadata.h"
#include "webpush-notify.h"
#include "webpush-driver.h"
#include "push-coi-plugin.h"

const char *push_coi_plugin_version = DOVECOT_ABI_VERSION;
const char *push_coi_plugin_dependencies[] = { "push_notification", NULL };

struct event_category event_category_push_coi = {
	.name = "push-coi",
};

struct push_coi_user_module push_coi_user_module =
	MODULE_CONTEXT_INIT(&mail_user_module_register);

static void push_coi_user_deinit(struct mail_user *user)
{
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT_REQUIRE(user);

	webpush_notify_user_deinit(puser);
	webpush_vapid_unref(&puser->vapid);
	event_unref(&puser->event);
	puser->module_ctx.super.deinit(user);
}

/* The one place where the endpoint policy settings are read. */
static void push_coi_read_endpoint_settings(struct mail_user *user,
					    struct push_coi_user *puser)
{
	const char *error;

	if (webpush_endpoint_settings_parse(
		mail_user_plugin_getenv(user, WEBPUSH_SETTING_ALLOW_HTTP),
		mail_user_plugin_getenv(user, WEBPUSH_SETTING_ALLOWED_NETWORKS),
		user->pool, &puser->endpoint_set, &error) < 0) {
		e_error(puser->event, "%s: no Web Push for this user", error);
		puser->endpoint_set = NULL;
	}
}

/* The one place where the VAPID settings are read. The key is loaded once
   per process and settings (webpush_vapid_get_shared()), so that signed
   JWTs are reused across users and deliveries. */
static void push_coi_read_vapid_settings(struct mail_user *user,
					 struct push_coi_user *puser)
{
	const char *key_path, *error;

	key_path = mail_user_plugin_getenv(user, WEBPUSH_VAPID_SETTING_KEY);
	if (key_path == NULL || *key_path == '\0') {
		e_debug(puser->event, WEBPUSH_VAPID_SETTING_KEY
			" is not set: no Web Push for this user");
		return;
	}
	if (webpush_vapid_get_shared(key_path,
		mail_user_plugin_getenv(user, WEBPUSH_VAPID_SETTING_SUBJECT),
		mail_user_plugin_getenv(user, WEBPUSH_VAPID_SETTING_EXPIRE),
		&puser->vapid, &error) < 0) {
		e_error(puser->event, "%s: no Web Push for this user", error);
		puser->vapid = NULL;
		return;
	}
	e_debug(puser->event, "VAPID key %s, public key %s", key_path,
		webpush_vapid_get_public_key_b64url(puser->vapid));
}

/* The one place where the settings of the IMAP WebPush subscriptions are
   read; also derives the key of the validation tokens. Needs the VAPID
   key (read before). */
static void push_coi_read_subscription_settings(struct mail_user *user,
						struct push_coi_user *puser)
{
	unsigned char key[32];
	const char *error;

	if (webpush_user_settings_read(user, &puser->wp_set, &error) < 0) {
		e_error(puser->event, "%s: no Web Push for this user", error);
		return;
	}
	if (puser->wp_set.validation_secret != NULL) {
		webpush_validation_derive_secret(puser->wp_set.validation_secret,
			strlen(puser->wp_set.validation_secret),
			puser->validation_secret);
	} else if (puser->vapid != NULL) {
		if (webpush_vapid_get_private_key_raw(puser->vapid, key,
						      &error) < 0) {
			e_error(puser->event, "Deriving the validation secret "
				"from the VAPID key: %s: no Web Push for this "
				"user", error);
			return;
		}
		webpush_validation_derive_secret(key, sizeof(key),
						 puser->validation_secret);
		safe_memset(key, 0, sizeof(key));
	}
	puser->wp_set_ok = TRUE;
}

bool push_coi_user_webpush_ready(struct push_coi_user *puser)
{
	return puser->vapid != NULL && puser->endpoint_set != NULL &&
		puser->wp_set_ok;
}

bool push_coi_webpush_available(struct mail_user *user)
{
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT(user);

	return puser != NULL && push_coi_user_webpush_ready(puser);
}

int push_coi_subscriptions_list(struct mail_user *user, pool_t pool,
				ARRAY_TYPE(webpush_stored_subscription) *subs,
				const char **error_r)
{
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT(user);
	ARRAY_TYPE(webpush_stored_subscription) all;
	const struct webpush_stored_subscription *sub;
	struct mailbox *box;
	int ret;

	if (puser == NULL) {
		*error_r = "push_coi is not active for the user";
		return -1;
	}
	if (!puser->wp_set_ok) {
		*error_r = "the WebPush settings are invalid (see the log)";
		return -1;
	}
	box = webpush_storage_inbox_alloc(user);
	t_array_init(&all, 8);
	ret = webpush_storage_list(box, puser->event, pool, &all, error_r);
	mailbox_free(&box);
	if (ret < 0)
		return -1;
	array_foreach(&all, sub) {
		if (!webpush_subscription_is_expired(&sub->sub, ioloop_time,
			puser->wp_set.validation_timeout_secs))
			array_push_back(subs, sub);
	}
	return 0;
}

static void push_coi_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct push_coi_user *puser;

	puser = p_new(user->pool, struct push_coi_user, 1);
	puser->user = user;
	puser->module_ctx.super = *v;
	user->vlast = &puser->module_ctx.super;
	v->deinit = push_coi_user_deinit;

	puser->event = event_create(user->event);
	event_add_category(puser->event, &event_category_push_coi);
	event_set_append_log_prefix(puser->event, "push-coi: ");

	push_coi_read_endpoint_settings(user, puser);
	push_coi_read_vapid_settings(user, puser);
	push_coi_read_subscription_settings(user, puser);

	MODULE_CONTEXT_SET(user, push_coi_user_module, puser);
	if (push_coi_user_webpush_ready(puser))
		puser->sender_ok = webpush_notify_user_init(user, puser) == 0;
	e_debug(puser->event, "plugin loaded for user");
}

static void push_coi_mail_namespaces_created(struct mail_namespace *namespaces)
{
	struct mail_user *user = namespaces->user;
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT(user);

	if (puser != NULL)
		webpush_notify_user_ready(user, puser);
}

static struct mail_storage_hooks push_coi_mail_storage_hooks = {
	.mail_user_created = push_coi_mail_user_created,
	.mail_namespaces_created = push_coi_mail_namespaces_created,
	.mailbox_allocated = webpush_metadata_mailbox_allocated,
};

void push_coi_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &push_coi_mail_storage_hooks);
	webpush_metadata_register();
	webpush_driver_register();
}

void push_coi_plugin_deinit(void)
{
	webpush_driver_unregister();
	webpush_metadata_unregister();
	/* The process ends: wait a bounded time for pushes in flight and
	   keep the rest in the spool. */
	webpush_notify_deinit();
	mail_storage_hooks_remove(&push_coi_mail_storage_hooks);
	webpush_vapid_shared_deinit();
	webpush_subscription_cache_clear();
	webpush_ossl_deinit();
}
