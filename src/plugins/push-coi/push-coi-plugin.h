#ifndef PUSH_COI_PLUGIN_H
#define PUSH_COI_PLUGIN_H

#include "module-context.h"
#include "mail-user.h"
#include "webpush-validation.h"
#include "webpush-storage.h"

/* Plugin "push_coi": IMAP WebPush for COI. WebPush METADATA (VAPID key,
   subscriptions, validation), the push-notification driver "webpush",
   payload building, RFC 8291 encryption, RFC 8292 VAPID signing and HTTP
   delivery. Named lib30_push_coi_plugin.so so that it loads after
   push_notification (lib20), whose driver registry it uses. */

#define PUSH_COI_PLUGIN_NAME "push_coi"

#define PUSH_COI_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, push_coi_user_module)
#define PUSH_COI_USER_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, push_coi_user_module)

struct push_coi_user {
	union mail_user_module_context module_ctx;
	struct mail_user *user;

	/* Event with the "push-coi" category for this user. */
	struct event *event;
	/* Endpoint policy settings (webpush_allow_http,
	   webpush_allowed_networks), or NULL when they are invalid: the
	   error was logged and no push may be sent for this user. */
	struct webpush_endpoint_settings *endpoint_set;
	/* VAPID signing context (webpush_vapid_key, webpush_vapid_subject,
	   webpush_vapid_expire), shared by the process, or NULL when
	   webpush_vapid_key is not set or the settings are invalid (the
	   error was logged): then no push may be sent for this user and no
	   VAPID public key can be shown. */
	struct webpush_vapid *vapid;

	/* Settings of the IMAP WebPush subscriptions (webpush-storage.h);
	   wp_set_ok is FALSE when they are invalid (the error was logged). */
	struct webpush_user_settings wp_set;
	bool wp_set_ok;
	/* The key of validation tokens: from webpush_validation_secret, or
	   derived from the VAPID private key. */
	unsigned char validation_secret[WEBPUSH_VALIDATION_SECRET_SIZE];
	/* Where this user's push retries wait (webpush_spool_dir), or NULL. */
	const char *spool_dir;
	/* webpush_service: the Web Push service's socket and the settings
	   line its pushes are handed over with (webpush-client.h), or NULL
	   when the process sends the user's pushes itself. */
	const char *service_socket;
	const char *service_settings;
	/* TRUE when the sender is ready for this user (webpush-notify). */
	bool sender_ok;
};

extern MODULE_CONTEXT_DEFINE(push_coi_user_module, &mail_user_module_register);

/* Category "push-coi" of every event the plugin creates. */
extern struct event_category event_category_push_coi;

/* Returns TRUE when WebPush is configured for the user (VAPID key loaded,
   settings valid): only then are the WebPush METADATA entries and the
   WEBPUSH capability offered. */
bool push_coi_user_webpush_ready(struct push_coi_user *puser);

/* Returns TRUE when push_coi is loaded and WebPush is configured for
   user. Looked up by name (dlsym) by imap_coi to announce WEBPUSH, so
   that imap_coi needs no link-time dependency on push_coi. */
bool push_coi_webpush_available(struct mail_user *user);

/* Appends the user's subscriptions to subs (allocated from pool), without
   the unvalidated ones whose validation window has passed (WP-10: they
   count as gone). Returns 0, or -1 with error_r when push_coi is not
   active for the user, its subscription settings are invalid or the
   storage fails. For doveadm: looked up by name (dlsym) by the doveadm
   plugin of coi, so that it needs no link-time dependency on push_coi. */
int push_coi_subscriptions_list(struct mail_user *user, pool_t pool,
				ARRAY_TYPE(webpush_stored_subscription) *subs,
				const char **error_r);

extern const char *push_coi_plugin_version;
extern const char *push_coi_plugin_dependencies[];

void push_coi_plugin_init(struct module *module);
void push_coi_plugin_deinit(void);

#endif
