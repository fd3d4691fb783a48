/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "coi-plugin.h"
#include "coi-events.h"
#include "coi-config.h"
#include "coi-folders.h"
#include "coi-mail.h"
#include "coi-mailbox.h"
#include "coi-seen.h"

#define COI_SEEN_TRANS_CONTEXT(obj) \
	MODULE_CONTEXT(obj, coi_seen_storage_module)
#define COI_SEEN_MAIL_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, coi_seen_mail_module)

/* Created when a mail of the transaction gets \Seen. */
struct coi_seen_transaction {
	union mailbox_transaction_module_context module_ctx;
	/* UIDs that got \Seen in this transaction */
	ARRAY_TYPE(seq_range) uids;
};

static MODULE_CONTEXT_DEFINE_INIT(coi_seen_storage_module,
				  &mail_storage_module_register);
static MODULE_CONTEXT_DEFINE_INIT(coi_seen_mail_module,
				  &mail_module_register);

static void coi_seen_transaction_free(struct coi_seen_transaction **_ct)
{
	struct coi_seen_transaction *ct = *_ct;

	*_ct = NULL;
	if (ct == NULL)
		return;
	array_free(&ct->uids);
	i_free(ct);
}

static void
coi_seen_mail_update_flags(struct mail *_mail, enum modify_type modify_type,
			   enum mail_flags flags)
{
	struct mail_private *mail = (struct mail_private *)_mail;
	union mail_module_context *cmail = COI_SEEN_MAIL_CONTEXT_REQUIRE(mail);
	struct mailbox_transaction_context *t = _mail->transaction;
	struct coi_seen_transaction *ct;
	enum mail_flags old_flags;

	old_flags = mail_get_flags(_mail);
	cmail->super.update_flags(_mail, modify_type, flags);
	if ((old_flags & MAIL_SEEN) != 0 ||
	    (mail_get_flags(_mail) & MAIL_SEEN) == 0)
		return;

	ct = COI_SEEN_TRANS_CONTEXT(t);
	if (ct == NULL) {
		ct = i_new(struct coi_seen_transaction, 1);
		i_array_init(&ct->uids, 8);
		MODULE_CONTEXT_SET(t, coi_seen_storage_module, ct);
	}
	seq_range_array_add(&ct->uids, _mail->uid);
}

/* The mailboxes whose \Seen changes are watched: only the user's own
   INBOX; deliveries set no \Seen afterwards. */
static bool coi_seen_box_watched(struct mailbox *box)
{
	return box->inbox_user &&
		(box->flags & MAILBOX_FLAG_POST_SESSION) == 0 &&
		COI_USER_CONTEXT(box->storage->user) != NULL;
}

static void coi_seen_mail_allocated(struct mail *_mail)
{
	struct mail_private *mail = (struct mail_private *)_mail;
	struct mail_vfuncs *v = mail->vlast;
	union mail_module_context *cmail;

	if (!coi_seen_box_watched(_mail->box))
		return;

	cmail = p_new(mail->pool, union mail_module_context, 1);
	cmail->super = *v;
	mail->vlast = &cmail->super;
	v->update_flags = coi_seen_mail_update_flags;
	MODULE_CONTEXT_SET_SELF(mail, coi_seen_mail_module, cmail);
}

/* Moves the COI messages among uids from INBOX to Chats. Returns the
   number of messages moved, -1 on error (nothing moved). */
static int coi_seen_move_to(struct mailbox *src, struct mailbox *dest,
			    const ARRAY_TYPE(seq_range) *uids,
			    struct event *event,
			    ARRAY_TYPE(const_string) *moved_ids)
{
	struct mailbox_transaction_context *src_t, *dest_t;
	struct mail_save_context *save_ctx;
	struct seq_range_iter iter;
	struct mail *mail;
	const char *log_id;
	unsigned int n = 0;
	uint32_t uid;
	int ret = 0;

	if (mailbox_sync(src, 0) < 0) {
		e_warning(event, "Cannot sync %s: %s", mailbox_get_vname(src),
			  mailbox_get_last_internal_error(src, NULL));
		return -1;
	}
	/* not EXTERNAL: the expunge must reach the backend (e.g. maildir
	   unlinks the file at sync) */
	src_t = mailbox_transaction_begin(src, 0, __func__);
	dest_t = mailbox_transaction_begin(dest,
					   MAILBOX_TRANSACTION_FLAG_EXTERNAL,
					   __func__);
	mail = mail_alloc(src_t, 0, NULL);
	seq_range_array_iter_init(&iter, uids);
	while (ret == 0 && seq_range_array_iter_nth(&iter, n++, &uid)) {
		if (!mail_set_uid(mail, uid)) {
			/* expunged meanwhile */
			continue;
		}
		if ((mail_get_flags(mail) & MAIL_SEEN) == 0 ||
		    !coi_mail_is_chat(mail, event))
			continue;
		log_id = coi_mail_log_id(mail);
		save_ctx = mailbox_save_alloc(dest_t);
		mailbox_save_copy_flags(save_ctx, mail);
		if (mailbox_move(&save_ctx, mail) < 0) {
			e_warning(event_create_passthrough(event)->
				  set_name(COI_EVENT_FILING_FALLBACK)->
				  add_str("reason",
					  COI_FALLBACK_REASON_MOVE_FAILED)->
				  add_str("mode", COI_EVENT_MODE_SEEN)->
				  add_str("mailbox", mailbox_get_vname(dest))->
				  add_str("error",
					  mailbox_get_last_internal_error(
						dest, NULL))->event(),
				  "Moving the seen chat message %s "
				  "to %s failed, it stays in %s: %s", log_id,
				  mailbox_get_vname(dest),
				  mailbox_get_vname(src),
				  mailbox_get_last_internal_error(dest, NULL));
			ret = -1;
		} else {
			array_push_back(moved_ids, &log_id);
		}
	}
	mail_free(&mail);

	if (ret < 0 || array_count(moved_ids) == 0) {
		mailbox_transaction_rollback(&dest_t);
		mailbox_transaction_rollback(&src_t);
		return ret;
	}
	/* Chats first: if that fails, nothing is expunged from INBOX. */
	if (mailbox_transaction_commit(&dest_t) < 0) {
		e_warning(event_create_passthrough(event)->
			  set_name(COI_EVENT_FILING_FALLBACK)->
			  add_str("reason", COI_FALLBACK_REASON_MOVE_FAILED)->
			  add_str("mode", COI_EVENT_MODE_SEEN)->
			  add_str("mailbox", mailbox_get_vname(dest))->
			  add_str("error", mailbox_get_last_internal_error(
				dest, NULL))->event(),
			  "Moving %u seen chat message(s) to %s failed, "
			  "they stay in %s: %s", array_count(moved_ids),
			  mailbox_get_vname(dest), mailbox_get_vname(src),
			  mailbox_get_last_internal_error(dest, NULL));
		mailbox_transaction_rollback(&src_t);
		return -1;
	}
	if (mailbox_transaction_commit(&src_t) < 0) {
		e_warning(event, "Expunging %u seen chat message(s) from %s "
			  "after copying them to %s failed, they are in both: %s",
			  array_count(moved_ids), mailbox_get_vname(src),
			  mailbox_get_vname(dest),
			  mailbox_get_last_internal_error(src, NULL));
	} else if (mailbox_sync(src, 0) < 0) {
		/* the expunge is done at sync (e.g. maildir unlinks the
		   file); a later sync finishes it */
		e_warning(event, "Cannot sync %s after moving chat messages: %s",
			  mailbox_get_vname(src),
			  mailbox_get_last_internal_error(src, NULL));
	}
	return array_count(moved_ids);
}

static void coi_seen_move(struct mailbox *inbox,
			  const ARRAY_TYPE(seq_range) *uids)
{
	struct mail_user *user = inbox->storage->user;
	struct coi_user *cuser = COI_USER_CONTEXT_REQUIRE(user);
	struct coi_config config;
	struct mailbox *src, *dest;
	ARRAY_TYPE(const_string) moved_ids;
	const char *error, *const *idp;

	if (coi_config_read(user, &config, &error) < 0) {
		e_warning(event_create_passthrough(cuser->event)->
			  set_name(COI_EVENT_FILING_FALLBACK)->
			  add_str("reason", COI_FALLBACK_REASON_CONFIG)->
			  add_str("error", error)->event(),
			  "Not moving seen messages: "
			  "cannot read the COI configuration: %s", error);
		return;
	}
	if (!config.enabled ||
	    config.message_filter != COI_MESSAGE_FILTER_SEEN)
		return;

	dest = NULL;
	if (coi_folders_ensure_chats(user, &config, &error) == 0) {
		dest = mailbox_alloc_for_user(user, config.chats_mailbox, 0);
		if (mailbox_open(dest) == 0)
			error = NULL;
		else {
			error = t_strdup(mailbox_get_last_internal_error(
				dest, NULL));
			mailbox_free(&dest);
		}
	}
	if (error != NULL) {
		e_warning(event_create_passthrough(cuser->event)->
			  set_name(COI_EVENT_FILING_FALLBACK)->
			  add_str("reason",
				  COI_FALLBACK_REASON_CHATS_UNAVAILABLE)->
			  add_str("mode", COI_EVENT_MODE_SEEN)->
			  add_str("mailbox", config.chats_mailbox)->
			  add_str("error", error)->event(),
			  "Not moving seen chat messages to %s, "
			  "they stay in %s: %s", config.chats_mailbox,
			  mailbox_get_vname(inbox), error);
		return;
	}
	/* A mailbox of its own: the caller's INBOX is in the middle of a
	   commit, and its view (e.g. IMAP's) learns of the expunge at its
	   next sync. */
	src = mailbox_alloc(inbox->list, mailbox_get_vname(inbox), 0);
	t_array_init(&moved_ids, 4);
	if (coi_seen_move_to(src, dest, uids, cuser->event, &moved_ids) > 0) {
		array_foreach(&moved_ids, idp) {
			e_info(event_create_passthrough(cuser->event)->
			       set_name(COI_EVENT_CHAT_FILED)->
			       add_str("mode", COI_EVENT_MODE_SEEN)->
			       add_str("mailbox", config.chats_mailbox)->
			       event(),
			       "Moved seen chat message %s "
			       "from %s to %s", *idp,
			       mailbox_get_vname(inbox), config.chats_mailbox);
		}
	}
	mailbox_free(&src);
	mailbox_free(&dest);
}

static int
coi_seen_transaction_commit(struct mailbox_transaction_context *t,
			    struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	struct coi_seen_transaction *ct = COI_SEEN_TRANS_CONTEXT(t);
	int ret;

	/* t is freed by the commit */
	ret = coi_mailbox_super(box)->transaction_commit(t, changes_r);
	if (ret == 0 && ct != NULL) T_BEGIN {
		coi_seen_move(box, &ct->uids);
	} T_END;
	coi_seen_transaction_free(&ct);
	return ret;
}

static void
coi_seen_transaction_rollback(struct mailbox_transaction_context *t)
{
	struct coi_seen_transaction *ct = COI_SEEN_TRANS_CONTEXT(t);

	coi_mailbox_super(t->box)->transaction_rollback(t);
	coi_seen_transaction_free(&ct);
}

void coi_seen_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v;

	if (!coi_seen_box_watched(box))
		return;

	v = coi_mailbox_vfuncs(box);
	COI_MAILBOX_OVERRIDE(box, v, transaction_commit,
			     coi_seen_transaction_commit);
	COI_MAILBOX_OVERRIDE(box, v, transaction_rollback,
			     coi_seen_transaction_rollback);
}

static struct mail_storage_hooks coi_seen_storage_hooks = {
	.mail_allocated = coi_seen_mail_allocated,
};

void coi_seen_init(struct module *module)
{
	mail_storage_hooks_add(module, &coi_seen_storage_hooks);
}

void coi_seen_deinit(void)
{
	mail_storage_hooks_remove(&coi_seen_storage_hooks);
}
