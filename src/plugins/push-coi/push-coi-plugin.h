#ifndef PUSH_COI_PLUGIN_H
#define PUSH_COI_PLUGIN_H

#include "module-context.h"
#include "mail-user.h"

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
};

extern MODULE_CONTEXT_DEFINE(push_coi_user_module, &mail_user_module_register);

/* Category "push-coi" of every event the plugin creates. */
extern struct event_category event_category_push_coi;

extern const char *push_coi_plugin_version;
extern const char *push_coi_plugin_dependencies[];

void push_coi_plugin_init(struct module *module);
void push_coi_plugin_deinit(void);

#endif
