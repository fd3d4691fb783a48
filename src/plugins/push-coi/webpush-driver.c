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
#include "push-notification-event-messagenew.h"
#include "coi-config.h"
#include "webpush-payload.h"
#include "webpush-storage.h"
#include "webpush-notify.h"
#include "push-coi-plugin.h"
#include "push-coi-events.h"
#include "webpush-driver.h"

#define COI_PLUGIN_NAME "coi"
/* int coi_config_read(struct mail_user *, struct coi_config *,
   const char **), looked up by name: push_coi has no link-time
   dependency on the coi plugin, which may not be loaded at all. */
#define COI_CONFIG_READ_SYMBOL "coi_config_read"
#define WEBPUSH_CHAT_KEYWORD "$Chat"

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
	struct push_notification_event_messagenew_config *config;
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

	/* only deliveries (LMTP, dovecot-lda) raise MessageNew */
	config = p_new(dtxn->ptxn->pool,
		       struct push_notification_event_messagenew_config, 1);
	/* without a flag the event records nothing; the message itself is
	   read after the commit */
	config->flags = PUSH_NOTIFICATION_MESSAGE_HDR_MESSAGE_ID;
	push_notification_event_init(dtxn, "MessageNew", config);
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
webpush_read_body(struct mail *mail, struct webpush_payload_message *msg)
{
	struct message_size hdr_size, body_size;
	struct istream *input;
	const unsigned char *data;
	size_t size;
	buffer_t *body;

	if (mail_get_stream(mail, &hdr_size, &body_size, &input) < 0 ||
	    body_size.physical_size > WEBPUSH_PAYLOAD_MAX_SIZE)
		return;
	body = t_buffer_create(body_size.physical_size + 1);
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

static void
webpush_driver_push_mail(struct webpush_driver_txn *txn, struct mail *mail,
			 const char *folder, uint32_t uidvalidity)
{
	struct push_coi_user *puser = txn->puser;
	const struct webpush_user_settings *set = &puser->wp_set;
	struct webpush_payload_message msg;
	const struct webpush_stored_subscription *sub;
	const char *payload, *small_payload = NULL;
	bool chat, content_included = FALSE;
	unsigned int sent = 0;

	i_zero(&msg);
	msg.content_type = webpush_header(mail, "Content-Type");
	if (webpush_is_mdn(msg.content_type)) {
		e_debug(puser->event, "No push for UID %u in %s: a disposition "
			"notification", mail->uid, folder);
		return;
	}
	chat = webpush_mail_has_chat(mail);

	msg.from = webpush_header(mail, "From");
	msg.subject = webpush_header(mail, "Subject");
	msg.message_id = webpush_header(mail, "Message-ID");
	msg.references = webpush_header(mail, "References");
	msg.content_transfer_encoding =
		webpush_header(mail, "Content-Transfer-Encoding");
	msg.have_chat_version = webpush_header(mail, "Chat-Version") != NULL;
	if (mail_get_date(mail, &msg.date, &msg.date_tz_offset) == 0 &&
	    msg.date != 0)
		msg.have_date = TRUE;
	msg.uid = mail->uid;
	msg.uidvalidity = uidvalidity;
	msg.folder = folder;
	webpush_read_body(mail, &msg);

	payload = webpush_payload_build(&msg, &content_included);
	if (content_included)
		small_payload = webpush_payload_build_without_content(&msg);

	array_foreach(&txn->subs, sub) {
		if (webpush_subscription_is_expired(&sub->sub, ioloop_time,
				set->validation_timeout_secs))
			continue;
		if (!sub->sub.validated && set->require_validation)
			continue;
		if (!webpush_msgtype_matches(sub->sub.msgtype, chat))
			continue;
		if (sub->sub.msgtype == WEBPUSH_MSGTYPE_CHAT &&
		    set->chat_requires_coi && !txn->coi_enabled) {
			/* CS-11: chat-only subscriptions are dropped while
			   COI is disabled */
			continue;
		}
		webpush_notify_message(txn->user, sub->id, &sub->sub,
				       payload, small_payload);
		sent++;
	}
	e_debug(puser->event, "UID %u in %s (%s): %u push(es)", mail->uid,
		folder, chat ? "chat" : "mail", sent);
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
	return txn->chats_mailbox != NULL &&
		strcmp(vname, txn->chats_mailbox) == 0;
}

static void
webpush_driver_process_msg(struct push_notification_driver_txn *dtxn,
			   struct push_notification_txn_msg *msg)
{
	struct webpush_driver_txn *txn = dtxn->context;
	struct mailbox *box;
	struct mailbox_transaction_context *t;
	struct mail *mail;
	struct mail_namespace *ns;

	if (push_notification_txn_msg_get_eventdata(msg, "MessageNew") == NULL) {
		e_debug(txn->puser->event, "No push for UID %u in %s: "
			"not a delivery", msg->uid, msg->mailbox);
		return;
	}
	webpush_driver_read_coi(txn);
	if (webpush_driver_read_subs(txn) < 0 || array_count(&txn->subs) == 0)
		return;

	ns = mail_namespace_find(txn->user->namespaces, msg->mailbox);
	box = mailbox_alloc(ns->list, msg->mailbox, MAILBOX_FLAG_READONLY);
	if (!webpush_driver_mailbox_wanted(txn, box)) {
		e_debug(txn->puser->event, "No push for UID %u in %s: neither "
			"INBOX nor the COI Chats folder", msg->uid,
			msg->mailbox);
		mailbox_free(&box);
		return;
	}
	if (mailbox_sync(box, 0) < 0) {
		e_error(txn->puser->event, "No push for UID %u in %s: %s",
			msg->uid, msg->mailbox,
			mailbox_get_last_internal_error(box, NULL));
		mailbox_free(&box);
		return;
	}
	t = mailbox_transaction_begin(box, 0, "webpush push");
	mail = mail_alloc(t, MAIL_FETCH_STREAM_HEADER | MAIL_FETCH_STREAM_BODY,
			  NULL);
	if (mail_set_uid(mail, msg->uid)) T_BEGIN {
		struct mailbox_status status;

		mailbox_get_open_status(box, STATUS_UIDVALIDITY, &status);
		webpush_driver_push_mail(txn, mail, mailbox_get_vname(box),
					 status.uidvalidity);
	} T_END; else {
		e_warning(txn->puser->event, "No push for UID %u in %s: "
			  "the message is gone", msg->uid, msg->mailbox);
	}
	mail_free(&mail);
	(void)mailbox_transaction_commit(&t);
	mailbox_free(&box);
}

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
	push_notification_driver_register(&push_notification_driver_webpush);
}

void webpush_driver_unregister(void)
{
	push_notification_driver_unregister(&push_notification_driver_webpush);
}
