/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str-sanitize.h"
#include "mail-storage-private.h"
#include "mail-deliver.h"
#include "coi-plugin.h"
#include "coi-events.h"
#include "coi-config.h"
#include "coi-folders.h"
#include "coi-mailbox.h"
#include "coi-mail.h"
#include "coi-deliver.h"

/* lib-lda is linked into lmtp and dovecot-lda only. The plugin also loads
   into imap and doveadm, where these stay NULL and no delivery hook is
   set. */
#pragma weak mail_deliver_hook_set
#pragma weak mail_deliver_save

/* The delivery being filed into Chats. lmtp and dovecot-lda deliver one
   message to one recipient at a time, so there is at most one. */
struct coi_delivery {
	struct mail_user *user;
	/* The configuration read for this delivery (strings from the
	   delivery's pool) */
	struct coi_config config;
	/* Chats opened for the save. */
	bool chats_opened;
	/* A transaction that saved into Chats committed. */
	bool chats_saved;
};

static deliver_mail_func_t *coi_next_deliver_mail;
static struct coi_delivery *coi_current_delivery = NULL;
/* The message the deliver_mail hook is delivering, and whether it is a
   COI message: the saves of the delivery ask about the same mail. */
static struct mail *coi_deliver_src_mail = NULL;
static bool coi_deliver_src_chat;

/* Adds the keyword to what the save sets (keeping the flags and keywords
   the save already had). */
static void coi_save_add_keyword(struct mail_save_context *ctx,
				 const char *keyword)
{
	struct mailbox *box = ctx->transaction->box;
	const char *const names[] = { keyword, NULL };
	struct mail_keywords *kw, *merged;

	kw = mailbox_keywords_create_valid(box, names);
	if (kw->count == 0) {
		/* e.g. no room for more keywords in this mailbox */
		mailbox_keywords_unref(&kw);
		return;
	}
	if (ctx->data.keywords == NULL) {
		ctx->data.keywords = kw;
		return;
	}
	merged = mailbox_keywords_merge(ctx->data.keywords, kw);
	mailbox_keywords_unref(&kw);
	mailbox_keywords_unref(&ctx->data.keywords);
	ctx->data.keywords = merged;
}

static bool coi_delivery_is_chats_box(struct mailbox *box)
{
	struct coi_delivery *delivery = coi_current_delivery;

	return delivery != NULL && box->storage->user == delivery->user &&
		strcmp(mailbox_get_vname(box),
		       delivery->config.chats_mailbox) == 0;
}

static int coi_deliver_copy(struct mail_save_context *ctx, struct mail *mail)
{
	struct mailbox *box = ctx->transaction->box;
	struct coi_user *cuser = COI_USER_CONTEXT_REQUIRE(box->storage->user);
	struct mailbox_metadata metadata;

	if (ctx->saving && coi_delivery_is_chats_box(box)) {
		/* Ask the mailbox GUID before the save, as Dovecot does for
		   INBOX (mail_deliver_deduplicate_guid_if_needed()). The list
		   index asks it after the commit anyway; asked only then,
		   maildir rewrites dovecot-uidlist on every other delivery
		   instead of reading its header once. */
		(void)mailbox_get_metadata(box, MAILBOX_METADATA_GUID,
					   &metadata);
	}
	/* saving: a delivery (mailbox_save_using_mail()), not a COPY */
	if (ctx->saving && (mail == coi_deliver_src_mail ?
			    coi_deliver_src_chat :
			    coi_mail_is_chat(mail, cuser->event))) {
		coi_save_add_keyword(ctx, COI_KEYWORD_CHAT);
		e_debug(cuser->event, "Adding %s to the message saved to %s",
			COI_KEYWORD_CHAT, mailbox_get_vname(box));
	}
	return coi_mailbox_super(box)->copy(ctx, mail);
}

static int coi_deliver_open(struct mailbox *box)
{
	if (coi_mailbox_super(box)->open(box) < 0)
		return -1;
	if (coi_delivery_is_chats_box(box))
		coi_current_delivery->chats_opened = TRUE;
	return 0;
}

static int
coi_deliver_transaction_commit(struct mailbox_transaction_context *t,
			       struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	bool saved_to_chats = t->save_count > 0 &&
		coi_delivery_is_chats_box(box);

	/* t is freed by the commit */
	if (coi_mailbox_super(box)->transaction_commit(t, changes_r) < 0)
		return -1;
	if (saved_to_chats)
		coi_current_delivery->chats_saved = TRUE;
	return 0;
}

void coi_deliver_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v;

	if ((box->flags & MAILBOX_FLAG_POST_SESSION) == 0 ||
	    COI_USER_CONTEXT(box->storage->user) == NULL)
		return;

	v = coi_mailbox_vfuncs(box);
	COI_MAILBOX_OVERRIDE(box, v, open, coi_deliver_open);
	COI_MAILBOX_OVERRIDE(box, v, copy, coi_deliver_copy);
	COI_MAILBOX_OVERRIDE(box, v, transaction_commit,
			     coi_deliver_transaction_commit);
}

static int coi_deliver_next(struct mail_deliver_context *ctx,
			    struct mail_storage **storage_r)
{
	if (coi_next_deliver_mail != NULL)
		return coi_next_deliver_mail(ctx, storage_r);
	/* no other plugin: Dovecot saves into the default mailbox */
	*storage_r = NULL;
	return 0;
}

static void
coi_deliver_chats_unavailable(struct mail_deliver_context *ctx,
			      struct coi_user *cuser, const char *chats,
			      const char *default_mailbox, const char *error)
{
	e_warning(event_create_passthrough(cuser->event)->
		  set_name(COI_EVENT_FILING_FALLBACK)->
		  add_str("reason", COI_FALLBACK_REASON_CHATS_UNAVAILABLE)->
		  add_str("mode", COI_EVENT_MODE_ACTIVE)->
		  add_str("mailbox", chats)->
		  add_str("error", error)->event(),
		  "Not filing the chat message %s into "
		  "%s, delivering it to %s: %s",
		  coi_mail_log_id(ctx->src_mail), chats, default_mailbox,
		  error);
}

/* Returns TRUE when this COI message is to be filed into <root>/Chats,
   with the configuration that says so in config_r (data stack). With
   open_check, Chats is also opened once here; else the save finds out
   whether it opens. */
static bool
coi_deliver_chats_mailbox(struct mail_deliver_context *ctx,
			  struct coi_user *cuser, bool open_check,
			  struct coi_config *config_r)
{
	struct coi_config config;
	struct mailbox *box;
	const char *error;

	if (coi_config_read(ctx->rcpt_user, &config, &error) < 0) {
		e_warning(event_create_passthrough(cuser->event)->
			  set_name(COI_EVENT_FILING_FALLBACK)->
			  add_str("reason", COI_FALLBACK_REASON_CONFIG)->
			  add_str("error", error)->event(),
			  "Not filing the chat message: "
			  "cannot read the COI configuration: %s", error);
		return FALSE;
	}
	if (!config.enabled ||
	    config.message_filter != COI_MESSAGE_FILTER_ACTIVE) {
		e_debug(cuser->event, "Not filing the chat message: "
			"COI %s, message-filter %s",
			config.enabled ? "enabled" : "disabled",
			coi_message_filter_to_str(config.message_filter));
		return FALSE;
	}
	if (strcasecmp(ctx->rcpt_default_mailbox, "INBOX") != 0) {
		/* e.g. dovecot-lda -m, or lmtp_save_to_detail_mailbox:
		   the delivery already names its mailbox */
		e_debug(cuser->event, "Not filing the chat message: "
			"it is delivered to %s, not INBOX",
			str_sanitize(ctx->rcpt_default_mailbox, 80));
		return FALSE;
	}

	/* Chats must exist (created and subscribed where missing, e.g.
	   when the admin's defaults enabled COI) and open; else the message
	   stays where it would go without COI. */
	error = NULL;
	if (coi_folders_ensure_chats(ctx->rcpt_user, &config, &error) == 0 &&
	    open_check) {
		box = mailbox_alloc_for_user(ctx->rcpt_user,
					     config.chats_mailbox,
					     MAILBOX_FLAG_POST_SESSION);
		error = mailbox_open(box) == 0 ? NULL :
			t_strdup(mailbox_get_last_internal_error(box, NULL));
		mailbox_free(&box);
	}
	if (error != NULL) {
		coi_deliver_chats_unavailable(ctx, cuser, config.chats_mailbox,
					      ctx->rcpt_default_mailbox,
					      error);
		return FALSE;
	}
	*config_r = config;
	return TRUE;
}

static bool coi_deliver_tempfailed(struct mail_deliver_context *ctx,
				   struct mail_storage *storage)
{
	enum mail_error error;

	if (ctx->tempfail_error != NULL)
		return TRUE;
	if (storage == NULL)
		return FALSE;
	(void)mail_storage_get_last_error(storage, &error);
	return error == MAIL_ERROR_TEMP;
}

/* The next deliver_mail hook, then what mail_deliver() does when no hook
   saved the message: the save into ctx->rcpt_default_mailbox. Done here,
   that save runs while coi_deliver_src_mail still names the message, so
   coi_deliver_copy() does not detect it a second time. */
static int coi_deliver_next_or_keep(struct mail_deliver_context *ctx,
				    struct mail_storage **storage_r)
{
	int ret;

	ret = coi_deliver_next(ctx, storage_r);
	if (ret <= 0 && !ctx->saved_mail && !ctx->tried_default_save &&
	    !coi_deliver_tempfailed(ctx, *storage_r)) {
		/* nobody saved it (no Sieve, or no script) */
		ret = mail_deliver_save(ctx, ctx->rcpt_default_mailbox, 0,
					NULL, storage_r) < 0 ? -1 : 1;
	}
	return ret;
}

/* Saving into Chats failed (chats_opened: after Chats opened): delivers
   into the original default mailbox, as without COI. Returns like a
   deliver_mail hook. */
static int coi_deliver_fallback(struct mail_deliver_context *ctx,
				struct coi_user *cuser,
				const char *default_mailbox, bool chats_opened,
				struct mail_storage **storage_r)
{
	struct mail *dest_mail = ctx->dest_mail;
	bool save_dest_mail = ctx->save_dest_mail;
	const char *error = *storage_r == NULL ? "unknown error" :
		mail_storage_get_last_internal_error(*storage_r, NULL);
	int ret;

	if (!chats_opened) {
		coi_deliver_chats_unavailable(ctx, cuser,
					      ctx->rcpt_default_mailbox,
					      default_mailbox, error);
	} else {
		e_warning(event_create_passthrough(cuser->event)->
			  set_name(COI_EVENT_FILING_FALLBACK)->
			  add_str("reason", COI_FALLBACK_REASON_SAVE_FAILED)->
			  add_str("mode", COI_EVENT_MODE_ACTIVE)->
			  add_str("mailbox", ctx->rcpt_default_mailbox)->
			  add_str("error", error)->event(),
			  "Saving the chat message %s into %s failed, "
			  "delivering it to %s instead: %s",
			  coi_mail_log_id(ctx->src_mail),
			  ctx->rcpt_default_mailbox, default_mailbox, error);
	}

	ctx->rcpt_default_mailbox = default_mailbox;
	ctx->tempfail_error = NULL;
	if (dest_mail != NULL) {
		/* Sieve saved a copy elsewhere already: the caller keeps
		   getting that one */
		ctx->dest_mail = NULL;
		ctx->save_dest_mail = FALSE;
	}
	ret = mail_deliver_save(ctx, default_mailbox, 0, NULL, storage_r);
	if (dest_mail != NULL) {
		ctx->dest_mail = dest_mail;
		ctx->save_dest_mail = save_dest_mail;
	}
	return ret < 0 ? -1 : 1;
}

/* Delivers the COI message of ctx. */
static int coi_deliver_chat(struct mail_deliver_context *ctx,
			    struct coi_user *cuser,
			    struct mail_storage **storage_r)
{
	struct coi_delivery delivery;
	struct coi_config config;
	const char *default_mailbox, *chats;
	bool filed;
	int ret;

	/* Another deliver_mail hook (Sieve) saves into Chats itself and
	   treats a Chats that does not open as a failed script: Chats is
	   opened once first. Without one, the save into Chats below is the
	   check. */
	i_zero(&delivery);
	T_BEGIN {
		filed = coi_deliver_chats_mailbox(
			ctx, cuser, coi_next_deliver_mail != NULL, &config);
		if (filed) {
			delivery.config = config;
			delivery.config.mailbox_root =
				p_strdup(ctx->pool, config.mailbox_root);
			delivery.config.chats_mailbox =
				p_strdup(ctx->pool, config.chats_mailbox);
			delivery.config.contacts_mailbox =
				p_strdup(ctx->pool, config.contacts_mailbox);
		}
	} T_END;
	if (!filed)
		return coi_deliver_next_or_keep(ctx, storage_r);

	chats = delivery.config.chats_mailbox;
	default_mailbox = ctx->rcpt_default_mailbox;
	ctx->rcpt_default_mailbox = chats;
	delivery.user = ctx->rcpt_user;
	coi_current_delivery = &delivery;

	/* when nobody saves it (no Sieve, or no script), the default
	   save goes into Chats */
	ret = coi_deliver_next_or_keep(ctx, storage_r);
	coi_current_delivery = NULL;

	if (ctx->tried_default_save && !delivery.chats_saved) {
		/* the (implicit) keep into Chats failed */
		ret = coi_deliver_fallback(ctx, cuser, default_mailbox,
					   delivery.chats_opened, storage_r);
	} else if (delivery.chats_saved) {
		e_info(event_create_passthrough(cuser->event)->
		       set_name(COI_EVENT_CHAT_FILED)->
		       add_str("mode", COI_EVENT_MODE_ACTIVE)->
		       add_str("mailbox", chats)->event(),
		       "Filed chat message %s into %s",
		       coi_mail_log_id(ctx->src_mail), chats);
	}
	ctx->rcpt_default_mailbox = default_mailbox;
	return ret;
}

static int coi_deliver_mail(struct mail_deliver_context *ctx,
			    struct mail_storage **storage_r)
{
	struct coi_user *cuser = COI_USER_CONTEXT(ctx->rcpt_user);
	struct mail *prev_src_mail = coi_deliver_src_mail;
	bool prev_src_chat = coi_deliver_src_chat;
	int ret;

	if (cuser == NULL || coi_current_delivery != NULL)
		return coi_deliver_next(ctx, storage_r);

	coi_deliver_src_mail = ctx->src_mail;
	coi_deliver_src_chat = coi_mail_is_chat(ctx->src_mail, cuser->event);
	ret = coi_deliver_src_chat ? coi_deliver_chat(ctx, cuser, storage_r) :
		coi_deliver_next_or_keep(ctx, storage_r);
	coi_deliver_src_mail = prev_src_mail;
	coi_deliver_src_chat = prev_src_chat;
	return ret;
}

int coi_deliver_config_read(struct mail_user *user,
			    struct coi_config *config_r, const char **error_r)
{
	struct coi_delivery *delivery = coi_current_delivery;

	if (delivery != NULL && delivery->user == user) {
		*config_r = delivery->config;
		return 0;
	}
	return coi_config_read(user, config_r, error_r);
}

void coi_deliver_init(void)
{
	if (mail_deliver_hook_set != NULL)
		coi_next_deliver_mail = mail_deliver_hook_set(coi_deliver_mail);
}

void coi_deliver_deinit(void)
{
	if (mail_deliver_hook_set != NULL)
		mail_deliver_hook_set(coi_next_deliver_mail);
}
