/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "mail-user.h"
#include "mail-storage-hooks.h"
#include "coi-plugin.h"
#include "coi-deliver.h"
#include "coi-seen.h"
#include "coi-attributes.h"
#include "coi-folder-rules.h"

const char *coi_plugin_version = DOVECOT_ABI_VERSION;
const char *coi_plugin_dependencies[] = { NULL };

struct event_category event_category_coi = {
	.name = "coi",
};

struct coi_user_module coi_user_module =
	MODULE_CONTEXT_INIT(&mail_user_module_register);

static void coi_user_deinit(struct mail_user *user)
{
	struct coi_user *cuser = COI_USER_CONTEXT_REQUIRE(user);

	event_unref(&cuser->event);
	cuser->module_ctx.super.deinit(user);
}

static void coi_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct coi_user *cuser;

	cuser = p_new(user->pool, struct coi_user, 1);
	cuser->module_ctx.super = *v;
	user->vlast = &cuser->module_ctx.super;
	v->deinit = coi_user_deinit;

	cuser->event = event_create(user->event);
	event_add_category(cuser->event, &event_category_coi);
	event_set_append_log_prefix(cuser->event, "coi: ");

	MODULE_CONTEXT_SET(user, coi_user_module, cuser);
	e_debug(cuser->event, "plugin loaded for user");
}

bool coi_user_is_enabled(struct mail_user *user)
{
	return COI_USER_CONTEXT(user) != NULL;
}

/* The parts' overrides, in one layer of vfuncs (coi-mailbox.h). */
static void coi_mailbox_allocated(struct mailbox *box)
{
	coi_attributes_mailbox_allocated(box);
	coi_folder_rules_mailbox_allocated(box);
	coi_deliver_mailbox_allocated(box);
	coi_seen_mailbox_allocated(box);
}

static struct mail_storage_hooks coi_mail_storage_hooks = {
	.mail_user_created = coi_mail_user_created,
	.mailbox_allocated = coi_mailbox_allocated,
};

void coi_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &coi_mail_storage_hooks);
	coi_attributes_init();
	coi_deliver_init();
	coi_seen_init(module);
}

void coi_plugin_deinit(void)
{
	coi_seen_deinit();
	coi_deliver_deinit();
	coi_attributes_deinit();
	mail_storage_hooks_remove(&coi_mail_storage_hooks);
}
