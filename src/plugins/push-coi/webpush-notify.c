/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "str.h"
#include "ioloop.h"
#include "mail-user.h"
#include "mail-storage.h"
#include "mail-storage-service.h"
#include "webpush-client.h"
#include "webpush-endpoint.h"
#include "webpush-prepare.h"
#include "webpush-vapid.h"
#include "webpush-sender.h"
#include "webpush-spool.h"
#include "webpush-subscription.h"
#include "webpush-storage.h"
#include "push-coi-plugin.h"
#include "push-coi-events.h"
#include "webpush-notify.h"

#include <unistd.h>
#include <jansson.h>

/* The header of a validation push has no value; "Name;" is how libcurl
   sends a header with an empty value. */
#define WEBPUSH_VALIDATION_HEADER "WebPush-Validation;"

/* Process-wide state of the sender: it outlives the users, so what its
   hooks need is kept here. */
static struct webpush_sender *notify_sender;
/* the Web Push service's client (webpush_service), or NULL */
static struct webpush_client *notify_client;
static struct event *notify_event;
static pool_t notify_pool;
static struct webpush_endpoint_settings *notify_endpoint_set;
static struct webpush_vapid *notify_vapid;
static struct mail_storage_service_ctx *notify_service_ctx;
static const char *notify_service_name;
static ARRAY(struct push_coi_user *) notify_users;
static bool notify_deinitializing;
/* TRUE while notify_gone() opens a user whose session has ended */
static bool notify_reopening;

static const char *notify_setting_lookup(const char *name, void *context)
{
	struct mail_user *user = context;

	return mail_user_plugin_getenv(user, name);
}

static struct push_coi_user *notify_find_user(const char *username)
{
	struct push_coi_user *puser;

	if (!array_is_created(&notify_users))
		return NULL;
	array_foreach_elem(&notify_users, puser) {
		if (strcmp(puser->user->username, username) == 0)
			return puser;
	}
	return NULL;
}

/* Removes subscription id of user when it still has this endpoint (the
   client may have set it anew meanwhile) and, when answered is not 0, was
   created before the push service answered then. */
static void
notify_remove_gone(struct mail_user *user, struct event *event,
		   const char *id, const char *endpoint, unsigned int status,
		   time_t answered)
{
	struct webpush_stored_subscription stored;
	struct mailbox *box;
	const char *error;
	int ret;

	box = webpush_storage_inbox_alloc(user);
	ret = webpush_storage_get(box, event, id, pool_datastack_create(),
				  &stored, &error);
	if (ret < 0) {
		e_error(event, "Removing subscription %s after HTTP %u: %s",
			id, status, error);
	} else if (ret > 0 && strcmp(stored.sub.endpoint, endpoint) == 0 &&
		   (answered == 0 || stored.sub.created <= answered)) {
		if (webpush_storage_delete(box, id, &error) < 0) {
			e_error(event, "Removing subscription %s after "
				"HTTP %u: %s", id, status, error);
		} else {
			e_info(event_create_passthrough(event)->
			       set_name(WEBPUSH_EVENT_SUBSCRIPTION_REMOVED)->
			       add_str("subscription", id)->
			       add_str("reason", WEBPUSH_REMOVED_GONE)->event(),
			       "Subscription %s removed: its push "
			       "service answered %u (gone)", id, status);
		}
	}
	mailbox_free(&box);
}

static void
notify_gone(const char *owner, const char *subscription, const char *endpoint,
	    unsigned int status, void *context ATTR_UNUSED)
{
	struct push_coi_user *puser = notify_find_user(owner);
	struct mail_storage_service_input input;
	struct mail_storage_service_user *service_user;
	struct mail_user *user;
	const char *error;
	uid_t old_euid;
	int ret;

	if (puser != NULL) {
		notify_remove_gone(puser->user, puser->event, subscription,
				   endpoint, status, 0);
		return;
	}
	if (notify_deinitializing || notify_service_ctx == NULL) {
		e_info(notify_event, "Subscription %s of %s is gone (HTTP %u); "
		       "the process ends: it is removed when the user's next "
		       "session starts", subscription, owner, status);
		return;
	}
	/* the user's session already ended: open the user again (as the
	   user: a process serving many users, like lmtp, runs as root
	   between sessions and drops privileges only temporarily) */
	old_euid = geteuid();
	i_zero(&input);
	input.module = "mail";
	input.service = notify_service_name;
	input.username = owner;
	input.event_parent = notify_event;
	notify_reopening = TRUE;
	ret = mail_storage_service_lookup_next(notify_service_ctx, &input,
					       &service_user, &user, &error);
	notify_reopening = FALSE;
	if (ret > 0) {
		notify_remove_gone(user, notify_event, subscription, endpoint,
				   status, 0);
		mail_user_deinit(&user);
		mail_storage_service_user_unref(&service_user);
	} else {
		e_error(notify_event, "Subscription %s of %s is gone (HTTP %u) "
			"but the user cannot be opened: %s", subscription,
			owner, status, ret == 0 ? "no such user" : error);
	}
	if (geteuid() != old_euid) {
		if (seteuid(0) < 0)
			i_fatal("seteuid(0) failed: %m");
		if (old_euid != 0 && seteuid(old_euid) < 0)
			i_fatal("seteuid(%s) failed: %m", dec2str(old_euid));
	}
}

static const char *
notify_authorize(const char *owner ATTR_UNUSED, const char *endpoint,
		 void *context ATTR_UNUSED, const char **error_r)
{
	return webpush_prepare_authorization(notify_vapid, notify_endpoint_set,
					     endpoint, error_r);
}

/* Copies the endpoint policy for the sender, which lives as long as the
   process. */
static struct webpush_endpoint_settings *
notify_copy_endpoint_set(const struct webpush_endpoint_settings *set)
{
	struct webpush_endpoint_settings *copy;

	copy = p_new(notify_pool, struct webpush_endpoint_settings, 1);
	copy->allow_http = set->allow_http;
	p_array_init(&copy->allowed_networks, notify_pool, 4);
	if (array_is_created(&set->allowed_networks))
		array_append_array(&copy->allowed_networks,
				   &set->allowed_networks);
	return copy;
}

/* webpush_service: the socket of the Web Push service (relative to
   base_dir unless it starts with '/'), or unset: the process sends its
   pushes itself. With it, the settings line the pushes are handed over
   with is made once per user. */
static int notify_service_settings(struct mail_user *user,
				   struct push_coi_user *puser)
{
	const char *path;

	path = mail_user_plugin_getenv(user, WEBPUSH_SETTING_SERVICE);
	if (path == NULL || *path == '\0')
		return 0;
	if (*path != '/')
		path = t_strconcat(user->set->base_dir, "/", path, NULL);
	if (notify_client != NULL &&
	    strcmp(webpush_client_get_socket_path(notify_client), path) != 0) {
		e_error(puser->event, WEBPUSH_SETTING_SERVICE ": %s differs "
			"from %s, which this process uses already: "
			"no Web Push for this user", path,
			webpush_client_get_socket_path(notify_client));
		return -1;
	}
	puser->service_socket = p_strdup(user->pool, path);
	puser->service_settings = p_strdup(user->pool,
		webpush_job_settings_line(notify_setting_lookup, user));
	return 0;
}

int webpush_notify_user_init(struct mail_user *user,
			     struct push_coi_user *puser)
{
	struct webpush_sender_settings set;
	struct webpush_sender_hooks hooks;
	const char *home, *error;

	if (mail_user_get_home(user, &home) <= 0)
		home = NULL;
	if (webpush_sender_settings_read(notify_setting_lookup, user, home,
					 user->pool, &set, &error) < 0) {
		e_error(puser->event, "%s: no Web Push for this user", error);
		return -1;
	}
	puser->spool_dir = set.spool_dir;
	if (notify_service_settings(user, puser) < 0)
		return -1;

	if (notify_sender == NULL) {
		notify_pool = pool_alloconly_create("webpush notify", 1024);
		notify_event = event_create(NULL);
		event_add_category(notify_event, &event_category_push_coi);
		event_set_append_log_prefix(notify_event, "push-coi: ");
		event_set_forced_debug(notify_event, user->mail_debug);
		notify_endpoint_set =
			notify_copy_endpoint_set(puser->endpoint_set);
		webpush_vapid_ref(puser->vapid);
		notify_vapid = puser->vapid;

		i_zero(&hooks);
		hooks.endpoint_set = notify_endpoint_set;
		hooks.gone = notify_gone;
		hooks.authorize = notify_authorize;
		hooks.seal = webpush_prepare_seal;
		if (webpush_sender_global_get(&set, &hooks, notify_event,
					      &notify_sender, &error) < 0) {
			e_error(puser->event, "Web Push sender: %s", error);
			notify_sender = NULL;
			return -1;
		}
		i_array_init(&notify_users, 8);
		notify_service_name = p_strdup(notify_pool, user->service);
	}
	if (user->_service_user != NULL) {
		notify_service_ctx = mail_storage_service_user_get_service_ctx(
			user->_service_user);
	}
	array_push_back(&notify_users, &puser);
	if (notify_client == NULL && puser->service_settings != NULL) {
		notify_client = webpush_client_get(puser->service_socket,
						   notify_event, notify_gone,
						   NULL);
	}
	/* a user opened only to remove a gone subscription does not take
	   over the spool */
	if (set.spool_dir != NULL && !notify_reopening &&
	    (puser->service_settings == NULL ||
	     webpush_client_resume(notify_client, puser->service_settings,
				   set.spool_dir, &error) < 0))
		webpush_sender_resume_spool(notify_sender, set.spool_dir);
	return 0;
}

void webpush_notify_user_ready(struct mail_user *user,
			       struct push_coi_user *puser)
{
	ARRAY_TYPE(webpush_gone_record) records;
	const struct webpush_gone_record *rec;
	const char *error;

	if (!puser->sender_ok || puser->spool_dir == NULL)
		return;
	T_BEGIN {
		t_array_init(&records, 4);
		webpush_spool_take_gone(puser->spool_dir,
					pool_datastack_create(), puser->event,
					&records);
		array_foreach(&records, rec) {
			if (rec->owner == NULL || rec->subscription == NULL)
				continue;
			if (strcmp(rec->owner, user->username) != 0) {
				/* a spool shared by users: keep it for its
				   owner's session */
				if (webpush_spool_save_gone(puser->spool_dir,
							    rec, &error) < 0)
					e_error(puser->event, "%s", error);
				continue;
			}
			notify_remove_gone(user, puser->event,
					   rec->subscription, rec->endpoint,
					   rec->status, rec->time);
		}
	} T_END;
}

void webpush_notify_user_deinit(struct push_coi_user *puser)
{
	struct push_coi_user *const *users;
	unsigned int i, count;

	if (!array_is_created(&notify_users))
		return;
	users = array_get(&notify_users, &count);
	for (i = 0; i < count; i++) {
		if (users[i] == puser) {
			array_delete(&notify_users, i, 1);
			break;
		}
	}
}

/* Returns 0 when the push was handed to the sender, -1 when it could not
   be sent at all (logged). */
static int
webpush_notify_send(struct mail_user *user, const char *id,
		    const struct webpush_subscription *sub,
		    const char *payload, bool content,
		    const char *const *headers,
		    webpush_push_callback_t *callback, void *context)
{
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT(user);
	struct webpush_job_push push;
	struct webpush_prepared prepared;
	const char *error;

	if (puser == NULL || notify_sender == NULL ||
	    !push_coi_user_webpush_ready(puser))
		return -1;
	i_zero(&push);
	push.owner = user->username;
	push.subscription = id;
	push.endpoint = sub->endpoint;
	memcpy(push.p256dh, sub->p256dh, sizeof(push.p256dh));
	memcpy(push.auth, sub->auth, sizeof(push.auth));
	push.payload = payload;
	push.content = content;
	push.headers = headers;
	push.spool_dir = puser->spool_dir;

	/* to the Web Push service; the process sends the push itself when
	   the service cannot take it (logged by the client) */
	if (puser->service_settings != NULL &&
	    webpush_client_push(notify_client, puser->service_settings,
				&push, callback, context, &error) == 0) {
		e_debug(puser->event, "Push to subscription %s handed to the "
			"Web Push service", id);
		return 0;
	}
	if (webpush_prepare_push(&push, puser->endpoint_set, &prepared,
				 &error) < 0) {
		if (str_begins(error, "endpoint refused:"))
			e_warning(puser->event, "Subscription %s: %s", id, error);
		else
			e_error(puser->event, "Subscription %s: %s", id, error);
		return -1;
	}
	e_debug(puser->event, "Sending a push to subscription %s (%s)",
		id, prepared.origin);
	webpush_sender_send(notify_sender, &prepared.push, callback, context);
	return 0;
}

void webpush_notify_validation(struct mail_user *user, const char *id,
			       const struct webpush_subscription *sub,
			       const char *token)
{
	static const char *const headers[] = {
		WEBPUSH_VALIDATION_HEADER, NULL
	};
	json_t *obj;
	char *payload;

	obj = json_pack("{s:s}", "validation", token);
	i_assert(obj != NULL);
	payload = json_dumps(obj, JSON_COMPACT);
	i_assert(payload != NULL);
	(void)webpush_notify_send(user, id, sub, payload, FALSE, headers,
				  NULL, NULL);
	free(payload);
	json_decref(obj);
}

void webpush_notify_message(struct mail_user *user, const char *id,
			    const struct webpush_subscription *sub,
			    const char *payload, bool content)
{
	(void)webpush_notify_send(user, id, sub, payload, content, NULL,
				  NULL, NULL);
}

int webpush_notify_message_outcome(struct mail_user *user, const char *id,
				   const struct webpush_subscription *sub,
				   const char *payload,
				   webpush_push_callback_t *callback,
				   void *context)
{
	return webpush_notify_send(user, id, sub, payload, FALSE, NULL,
				   callback, context);
}

void webpush_notify_deinit(void)
{
	/* the sender waits a bounded time for the pushes in flight; a gone
	   answer that comes now is only logged (the storage service is
	   going away) */
	notify_deinitializing = TRUE;
	if (array_is_created(&notify_users))
		array_free(&notify_users);
	webpush_client_global_deinit();
	notify_client = NULL;
	webpush_sender_global_deinit();
	notify_sender = NULL;
	if (notify_vapid != NULL)
		webpush_vapid_unref(&notify_vapid);
	if (notify_event != NULL)
		event_unref(&notify_event);
	if (notify_pool != NULL)
		pool_unref(&notify_pool);
	notify_service_ctx = NULL;
}
