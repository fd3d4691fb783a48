/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "ioloop.h"
#include "module-dir.h"
#include "rfc822-parser.h"
#include "rfc2231-parser.h"
#include "message-size.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "mail-storage-service.h"
#include "push-notification-drivers.h"
#include "push-notification-events.h"
#include "push-notification-txn-msg.h"
#include "coi-config.h"
#include "webpush-payload.h"
#include "webpush-storage.h"
#include "webpush-notify.h"
#include "push-coi-plugin.h"
#include "push-coi-events.h"
#include "webpush-driver.h"

#define COI_PLUGIN_NAME "coi"
/* int coi_deliver_config_read(struct mail_user *, struct coi_config *,
   const char **), looked up by name: push_coi has no link-time
   dependency on the coi plugin, which may not be loaded at all. */
#define COI_CONFIG_READ_SYMBOL "coi_deliver_config_read"
#define WEBPUSH_CHAT_KEYWORD "$Chat"
/* Our event in push-notification's registry: its save trigger runs for
   each message saved by a delivery (LMTP, dovecot-lda), like MessageNew's */
#define WEBPUSH_DRIVER_EVENT_NAME "WebPushNew"

typedef int coi_config_read_func_t(struct mail_user *user,
				   struct coi_config *config_r,
				   const char **error_r);

struct webpush_driver_txn {
	struct mail_user *user;
	struct push_coi_user *puser;
	/* the user's subscriptions, read once per transaction */
	ARRAY_TYPE(webpush_stored_subscription) subs;
	pool_t pool;
	bool subs_read;
	/* COI configuration of the user (enabled, Chats folder) */
	bool coi_read, coi_enabled;
	const char *chats_mailbox;
};

/* What the save trigger kept of one delivered message (from the
   transaction's pool), for the pushes sent once it is committed. */
struct webpush_driver_msg {
	/* no subscription (or listing them failed): no push, nothing logged */
	bool no_subs;
	/* saved neither into INBOX nor into the COI Chats folder */
	bool unwanted;
	/* a disposition notification */
	bool mdn;
	/* the message has $Chat */
	bool chat;
	/* headers and body; uid, uidvalidity and folder are set from the
	   committed message */
	struct webpush_payload_message payload;
};

static int
webpush_driver_init(struct push_notification_driver_config *config ATTR_UNUSED,
		    struct mail_user *user ATTR_UNUSED, pool_t pool ATTR_UNUSED,
		    void **context, const char **error_r ATTR_UNUSED)
{
	/* push_notification creates its drivers before push_coi's user
	   hook runs: the user's WebPush state is looked up per
	   transaction */
	*context = NULL;
	return 0;
}

static bool webpush_driver_begin_txn(struct push_notification_driver_txn *dtxn)
{
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT(dtxn->ptxn->muser);
	struct webpush_driver_txn *txn;

	if (puser == NULL || !push_coi_user_webpush_ready(puser) ||
	    !puser->sender_ok) {
		if (puser != NULL) {
			e_debug(puser->event, "No pushes: WebPush is not "
				"configured for this user");
		}
		return FALSE;
	}
	txn = p_new(dtxn->ptxn->pool, struct webpush_driver_txn, 1);
	txn->user = dtxn->ptxn->muser;
	txn->puser = puser;
	txn->pool = dtxn->ptxn->pool;
	dtxn->context = txn;

	/* Only deliveries (LMTP, dovecot-lda) run the save trigger of our
	   event (as they raise MessageNew). It reads the message while it
	   is being saved: reading it back after the commit would open and
	   sync the mailbox once more. */
	push_notification_event_init(dtxn, WEBPUSH_DRIVER_EVENT_NAME, txn);
	return TRUE;
}

static void webpush_driver_read_coi(struct webpush_driver_txn *txn)
{
	struct module *coi_module;
	coi_config_read_func_t *coi_config_read_func;
	struct coi_config config;
	const char *error;

	if (txn->coi_read)
		return;
	txn->coi_read = TRUE;
	coi_module = module_dir_find(mail_storage_service_modules,
				     COI_PLUGIN_NAME);
	if (coi_module == NULL || !mail_user_is_plugin_loaded(txn->user, coi_module))
		return;
	coi_config_read_func = module_get_symbol_quiet(coi_module,
						       COI_CONFIG_READ_SYMBOL);
	if (coi_config_read_func == NULL)
		return;
	if (coi_config_read_func(txn->user, &config, &error) < 0) {
		e_warning(txn->puser->event, "Reading the COI configuration "
			  "failed (pushes treat COI as disabled): %s", error);
		return;
	}
	txn->coi_enabled = config.enabled;
	txn->chats_mailbox = p_strdup(txn->pool, config.chats_mailbox);
}

static bool webpush_driver_coi_enabled(struct webpush_driver_txn *txn)
{
	webpush_driver_read_coi(txn);
	return txn->coi_enabled;
}

/* Deletes the subscriptions whose validation window has passed (WP-10);
   they get no pushes either way. */
static void
webpush_driver_discard_expired(struct webpush_driver_txn *txn,
			       struct mailbox *box)
{
	const struct webpush_stored_subscription *sub;
	const char *error;

	array_foreach(&txn->subs, sub) {
		if (!webpush_subscription_is_expired(&sub->sub, ioloop_time,
				txn->puser->wp_set.validation_timeout_secs))
			continue;
		if (webpush_storage_delete(box, sub->id, &error) < 0) {
			e_error(txn->puser->event, "Discarding subscription %s "
				"failed: %s", sub->id, error);
			continue;
		}
		e_debug(event_create_passthrough(txn->puser->event)->
			set_name(WEBPUSH_EVENT_SUBSCRIPTION_REMOVED)->
			add_str("subscription", sub->id)->
			add_str("reason", WEBPUSH_REMOVED_EXPIRED)->event(),
			"Discarding subscription %s: not validated in time",
			sub->id);
	}
}

static int webpush_driver_read_subs(struct webpush_driver_txn *txn)
{
	struct mailbox *box;
	const char *error;
	int ret;

	if (txn->subs_read)
		return array_is_created(&txn->subs) ? 0 : -1;
	txn->subs_read = TRUE;
	p_array_init(&txn->subs, txn->pool, 4);
	box = webpush_storage_inbox_alloc(txn->user);
	ret = webpush_storage_list(box, txn->puser->event, txn->pool,
				   &txn->subs, &error);
	if (ret == 0)
		webpush_driver_discard_expired(txn, box);
	mailbox_free(&box);
	if (ret < 0) {
		e_error(txn->puser->event, "Listing subscriptions failed: %s",
			error);
		array_free(&txn->subs);
		return -1;
	}
	return 0;
}

/* MDN: Content-Type multipart/report; report-type=disposition-notification */
static bool webpush_is_mdn(const char *content_type)
{
	struct rfc822_parser_context parser;
	const char *const *params;
	string_t *type;
	bool mdn = FALSE;

	if (content_type == NULL)
		return FALSE;
	type = t_str_new(64);
	rfc822_parser_init(&parser, (const unsigned char *)content_type,
			   strlen(content_type), NULL);
	rfc822_skip_lwsp(&parser);
	if (rfc822_parse_content_type(&parser, type) >= 0 &&
	    strcasecmp(str_c(type), "multipart/report") == 0) {
		(void)rfc2231_parse(&parser, &params);
		for (; params[0] != NULL && params[1] != NULL; params += 2) {
			if (strcasecmp(params[0], "report-type") == 0 &&
			    strcasecmp(params[1],
				       "disposition-notification") == 0)
				mdn = TRUE;
		}
	}
	rfc822_parser_deinit(&parser);
	return mdn;
}

static const char *webpush_header(struct mail *mail, const char *name)
{
	const char *value;

	if (mail_get_first_header(mail, name, &value) <= 0)
		return NULL;
	return value;
}

static bool webpush_mail_has_chat(struct mail *mail)
{
	const char *const *keywords = mail_get_keywords(mail);

	for (; *keywords != NULL; keywords++) {
		if (strcasecmp(*keywords, WEBPUSH_CHAT_KEYWORD) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Reads the body after the header when it can fit into a payload. */
static void
webpush_read_body(struct mail *mail, pool_t pool,
		  struct webpush_payload_message *msg)
{
	struct message_size hdr_size, body_size;
	struct istream *input;
	const unsigned char *data;
	size_t size;
	buffer_t *body;

	if (mail_get_stream(mail, &hdr_size, &body_size, &input) < 0 ||
	    body_size.physical_size > WEBPUSH_PAYLOAD_MAX_SIZE)
		return;
	body = buffer_create_dynamic(pool, body_size.physical_size + 1);
	i_stream_seek(input, hdr_size.physical_size);
	while (i_stream_read_more(input, &data, &size) > 0) {
		if (body->used + size > WEBPUSH_PAYLOAD_MAX_SIZE)
			return;
		buffer_append(body, data, size);
		i_stream_skip(input, size);
	}
	if (input->stream_errno != 0)
		return;
	msg->body = body->data;
	msg->body_size = body->used;
}

/* Keeps what the payload needs of mail (allocated from pool). */
static void
webpush_driver_capture(struct mail *mail, pool_t pool,
		       struct webpush_driver_msg *m)
{
	struct webpush_payload_message *msg = &m->payload;

	msg->content_type = p_strdup(pool, webpush_header(mail, "Content-Type"));
	if (webpush_is_mdn(msg->content_type)) {
		m->mdn = TRUE;
		return;
	}
	m->chat = webpush_mail_has_chat(mail);

	msg->from = p_strdup(pool, webpush_header(mail, "From"));
	msg->subject = p_strdup(pool, webpush_header(mail, "Subject"));
	msg->message_id = p_strdup(pool, webpush_header(mail, "Message-ID"));
	msg->references = p_strdup(pool, webpush_header(mail, "References"));
	msg->content_transfer_encoding =
		p_strdup(pool, webpush_header(mail, "Content-Transfer-Encoding"));
	msg->have_chat_version = webpush_header(mail, "Chat-Version") != NULL;
	if (mail_get_date(mail, &msg->date, &msg->date_tz_offset) == 0 &&
	    msg->date != 0)
		msg->have_date = TRUE;
	webpush_read_body(mail, pool, msg);
}

static void
webpush_driver_push_mail(struct webpush_driver_txn *txn,
			 struct webpush_driver_msg *m)
{
	struct push_coi_user *puser = txn->puser;
	const struct webpush_user_settings *set = &puser->wp_set;
	const struct webpush_payload_message *msg = &m->payload;
	const struct webpush_stored_subscription *sub;
	const char *payload;
	bool content_included = FALSE;
	unsigned int sent = 0;

	/* the payload without content is made only after a 413 */
	payload = webpush_payload_build(msg, &content_included);

	array_foreach(&txn->subs, sub) {
		if (webpush_subscription_is_expired(&sub->sub, ioloop_time,
				set->validation_timeout_secs))
			continue;
		if (!sub->sub.validated && set->require_validation)
			continue;
		if (!webpush_msgtype_matches(sub->sub.msgtype, m->chat))
			continue;
		if (sub->sub.msgtype == WEBPUSH_MSGTYPE_CHAT &&
		    set->chat_requires_coi && !webpush_driver_coi_enabled(txn)) {
			/* CS-11: chat-only subscriptions are dropped while
			   COI is disabled */
			continue;
		}
		webpush_notify_message(txn->user, sub->id, &sub->sub,
				       payload, content_included);
		sent++;
	}
	e_debug(puser->event, "UID %u in %s (%s): %u push(es)", msg->uid,
		msg->folder, m->chat ? "chat" : "mail", sent);
}

static bool
webpush_driver_mailbox_wanted(struct webpush_driver_txn *txn,
			      struct mailbox *box)
{
	const char *vname = mailbox_get_vname(box);

	if ((mailbox_get_namespace(box)->flags &
	     NAMESPACE_FLAG_INBOX_USER) != 0 &&
	    strcmp(mailbox_get_name(box), "INBOX") == 0)
		return TRUE;
	webpush_driver_read_coi(txn);
	return txn->chats_mailbox != NULL &&
		strcmp(vname, txn->chats_mailbox) == 0;
}

/* The save trigger of our event: a delivery saved mail (not yet
   committed; msg has no uid yet). */
static void
webpush_driver_event_save(struct push_notification_txn *ptxn ATTR_UNUSED,
			  struct push_notification_event_config *ec,
			  struct push_notification_txn_msg *msg,
			  struct mail *mail)
{
	struct webpush_driver_txn *txn = ec->config;
	struct webpush_driver_msg *m;

	if (push_notification_txn_msg_get_eventdata(
		msg, WEBPUSH_DRIVER_EVENT_NAME) != NULL)
		return;
	m = p_new(txn->pool, struct webpush_driver_msg, 1);
	push_notification_txn_msg_set_eventdata(ptxn, msg, ec, m);

	/* the COI configuration only when it is needed: a user without
	   subscriptions, or a delivery into INBOX for subscriptions that
	   are not chat-only, does not read it */
	if (webpush_driver_read_subs(txn) < 0 || array_count(&txn->subs) == 0) {
		m->no_subs = TRUE;
		return;
	}
	if (!webpush_driver_mailbox_wanted(txn, mail->box)) {
		m->unwanted = TRUE;
		return;
	}
	T_BEGIN {
		webpush_driver_capture(mail, txn->pool, m);
	} T_END;
}

static void
webpush_driver_process_msg(struct push_notification_driver_txn *dtxn,
			   struct push_notification_txn_msg *msg)
{
	struct webpush_driver_txn *txn = dtxn->context;
	struct webpush_driver_msg *m;

	m = push_notification_txn_msg_get_eventdata(msg,
						    WEBPUSH_DRIVER_EVENT_NAME);
	if (m == NULL) {
		e_debug(txn->puser->event, "No push for UID %u in %s: "
			"not a delivery", msg->uid, msg->mailbox);
		return;
	}
	if (m->no_subs)
		return;
	if (m->unwanted) {
		e_debug(txn->puser->event, "No push for UID %u in %s: neither "
			"INBOX nor the COI Chats folder", msg->uid,
			msg->mailbox);
		return;
	}
	if (m->mdn) {
		e_debug(txn->puser->event, "No push for UID %u in %s: a "
			"disposition notification", msg->uid, msg->mailbox);
		return;
	}
	m->payload.uid = msg->uid;
	m->payload.uidvalidity = msg->uid_validity;
	m->payload.folder = msg->mailbox;
	T_BEGIN {
		webpush_driver_push_mail(txn, m);
	} T_END;
}

static const struct push_notification_event webpush_driver_event = {
	.name = WEBPUSH_DRIVER_EVENT_NAME,
	.msg_triggers = {
		.save = webpush_driver_event_save,
	},
};

static const struct push_notification_driver push_notification_driver_webpush = {
	.name = WEBPUSH_DRIVER_NAME,
	.v = {
		.init = webpush_driver_init,
		.begin_txn = webpush_driver_begin_txn,
		.process_msg = webpush_driver_process_msg,
	},
};

void webpush_driver_register(void)
{
	push_notification_event_register(&webpush_driver_event);
	push_notification_driver_register(&push_notification_driver_webpush);
}

void webpush_driver_unregister(void)
{
	push_notification_driver_unregister(&push_notification_driver_webpush);
	push_notification_event_unregister(&webpush_driver_event);
}
