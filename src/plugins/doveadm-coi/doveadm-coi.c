/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

/* doveadm plugin "doveadm_coi": doveadm coi status|enable|disable.

   The commands are doveadm mail commands (-u user, -A, -F file). They use
   the coi mail plugin's own functions (coi_config_read(),
   coi_config_set_enabled(), ...), so doveadm loads this plugin only when
   mail_plugins contains coi: without it dlopen() fails on the missing
   symbols and doveadm skips the plugin quietly. Enabling and disabling go
   through mailbox_attribute_set() on INBOX, the same path as an IMAP
   SETMETADATA, so the coi plugin's checks and side effects (folders
   created and subscribed) are the same. */

#include "lib.h"
#include "module-dir.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "mail-storage-service.h"
#include "doveadm-print.h"
#include "doveadm-mail.h"
#include "doveadm-coi-args.h"
#include "coi-plugin.h"
#include "coi-config.h"
#include "webpush-storage.h"

#define DOVEADM_COI_FILTER_PARAM "filter"

#define PUSH_COI_PLUGIN_NAME "push_coi"
/* push_coi_subscriptions_list() of push_coi, looked up by name so that
   this plugin also loads without push_coi (see push-coi-plugin.h). */
#define PUSH_COI_SUBSCRIPTIONS_LIST_SYMBOL "push_coi_subscriptions_list"
typedef int
push_coi_subscriptions_list_func_t(struct mail_user *user, pool_t pool,
				   ARRAY_TYPE(webpush_stored_subscription) *subs,
				   const char **error_r);

const char *doveadm_coi_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_coi_plugin_init(struct module *module);
void doveadm_coi_plugin_deinit(void);

struct coi_enable_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	bool enable;
	/* --filter VALUE, as given */
	const char *filter_value;
	enum coi_message_filter filter;
};

static bool
doveadm_coi_user_check(struct doveadm_mail_cmd_context *ctx,
		       struct mail_user *user)
{
	if (coi_user_is_enabled(user))
		return TRUE;
	i_error("The coi plugin is not loaded for user %s "
		"(add coi to mail_plugins)", user->username);
	doveadm_mail_failed_error(ctx, MAIL_ERROR_NOTFOUND);
	return FALSE;
}

static int
doveadm_coi_mailbox_exists(struct mail_user *user, const char *vname,
			   bool *exists_r, const char **error_r)
{
	struct mail_namespace *ns = mail_namespace_find(user->namespaces, vname);
	struct mailbox *box;
	enum mailbox_existence existence;
	int ret;

	box = mailbox_alloc(ns->list, vname, MAILBOX_FLAG_IGNORE_ACLS);
	ret = mailbox_exists(box, FALSE, &existence);
	if (ret < 0) {
		*error_r = t_strdup_printf("Failed to look up mailbox %s: %s",
			vname, mailbox_get_last_internal_error(box, NULL));
	} else {
		*exists_r = existence == MAILBOX_EXISTENCE_SELECT;
	}
	mailbox_free(&box);
	return ret;
}

/* The number of the user's push subscriptions and of the validated ones,
   as text; "-" when push_coi is not loaded for the user. */
static int
doveadm_coi_subscriptions(struct mail_user *user, const char **total_r,
			  const char **validated_r, const char **error_r)
{
	struct module *push_module;
	push_coi_subscriptions_list_func_t *list;
	ARRAY_TYPE(webpush_stored_subscription) subs;
	const struct webpush_stored_subscription *sub;
	unsigned int validated = 0;

	*total_r = *validated_r = "-";
	push_module = module_dir_find(mail_storage_service_modules,
				      PUSH_COI_PLUGIN_NAME);
	if (push_module == NULL ||
	    !mail_user_is_plugin_loaded(user, push_module))
		return 0;
	list = module_get_symbol_quiet(push_module,
				       PUSH_COI_SUBSCRIPTIONS_LIST_SYMBOL);
	if (list == NULL)
		return 0;

	t_array_init(&subs, 8);
	if (list(user, pool_datastack_create(), &subs, error_r) < 0)
		return -1;
	array_foreach(&subs, sub) {
		if (sub->sub.validated)
			validated++;
	}
	*total_r = dec2str(array_count(&subs));
	*validated_r = dec2str(validated);
	return 0;
}

static const char *doveadm_coi_yes_no(bool value)
{
	return value ? "yes" : "no";
}

static int
cmd_coi_status_run(struct doveadm_mail_cmd_context *ctx,
		   struct mail_user *user)
{
	struct coi_config config;
	const char *error, *subscriptions, *validated;
	bool chats, contacts;

	if (!doveadm_coi_user_check(ctx, user))
		return -1;
	if (coi_config_read(user, &config, &error) < 0 ||
	    doveadm_coi_mailbox_exists(user, config.chats_mailbox,
				       &chats, &error) < 0 ||
	    doveadm_coi_mailbox_exists(user, config.contacts_mailbox,
				       &contacts, &error) < 0) {
		i_error("coi status for user %s: %s", user->username, error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
		return -1;
	}
	if (doveadm_coi_subscriptions(user, &subscriptions, &validated,
				      &error) < 0) {
		/* the COI part is still worth showing */
		i_error("coi status for user %s: subscriptions: %s",
			user->username, error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
		subscriptions = validated = "error";
	}

	doveadm_print(doveadm_coi_yes_no(config.enabled));
	doveadm_print(coi_message_filter_to_str(config.message_filter));
	doveadm_print(config.mailbox_root);
	doveadm_print(doveadm_coi_yes_no(chats));
	doveadm_print(doveadm_coi_yes_no(contacts));
	doveadm_print(subscriptions);
	doveadm_print(validated);
	return 0;
}

static void
cmd_coi_status_init(struct doveadm_mail_cmd_context *ctx,
		    const char *const args[])
{
	doveadm_coi_refuse_args(ctx->cmd->name, args);
	doveadm_print_header_simple("enabled");
	doveadm_print_header_simple("message-filter");
	doveadm_print_header_simple("mailbox-root");
	doveadm_print_header_simple("chats");
	doveadm_print_header_simple("contacts");
	doveadm_print_header("subscriptions", "subscriptions",
			     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY);
	doveadm_print_header("validated", "validated",
			     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY);
}

static struct doveadm_mail_cmd_context *cmd_coi_status_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct doveadm_mail_cmd_context);
	ctx->v.init = cmd_coi_status_init;
	ctx->v.run = cmd_coi_status_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return ctx;
}

static int
cmd_coi_enable_run(struct doveadm_mail_cmd_context *_ctx,
		   struct mail_user *user)
{
	struct coi_enable_cmd_context *ctx =
		container_of(_ctx, struct coi_enable_cmd_context, ctx);
	const char *reason, *error;

	if (!doveadm_coi_user_check(_ctx, user))
		return -1;

	reason = ctx->enable ? "doveadm coi enable" : "doveadm coi disable";
	if (coi_config_set_enabled(user, ctx->enable, reason, &error) < 0 ||
	    (ctx->filter_value != NULL &&
	     coi_config_set_message_filter(user, ctx->filter, reason,
					   &error) < 0)) {
		i_error("%s for user %s: %s", reason, user->username, error);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
		return -1;
	}
	return 0;
}

static void
cmd_coi_enable_init(struct doveadm_mail_cmd_context *_ctx,
		    const char *const args[])
{
	struct coi_enable_cmd_context *ctx =
		container_of(_ctx, struct coi_enable_cmd_context, ctx);

	doveadm_coi_refuse_args(_ctx->cmd->name, args);

	if (ctx->filter_value != NULL &&
	    !coi_message_filter_parse(ctx->filter_value, &ctx->filter)) {
		i_error("Invalid --filter value: %s "
			"(must be none, active or seen)", ctx->filter_value);
		doveadm_mail_help_name("coi enable");
	}
}

static bool
cmd_coi_enable_parse_arg(struct doveadm_mail_cmd_context *_ctx, int c)
{
	struct coi_enable_cmd_context *ctx =
		container_of(_ctx, struct coi_enable_cmd_context, ctx);

	if (c != 'f')
		return FALSE;
	ctx->filter_value = p_strdup(_ctx->pool, optarg);
	return TRUE;
}

static struct doveadm_mail_cmd_context *
cmd_coi_enable_alloc_common(bool enable)
{
	struct coi_enable_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct coi_enable_cmd_context);
	ctx->enable = enable;
	if (enable) {
		ctx->ctx.getopt_args = "f:";
		ctx->ctx.v.parse_arg = cmd_coi_enable_parse_arg;
	}
	ctx->ctx.v.init = cmd_coi_enable_init;
	ctx->ctx.v.run = cmd_coi_enable_run;
	return &ctx->ctx;
}

static struct doveadm_mail_cmd_context *cmd_coi_enable_alloc(void)
{
	return cmd_coi_enable_alloc_common(TRUE);
}

static struct doveadm_mail_cmd_context *cmd_coi_disable_alloc(void)
{
	return cmd_coi_enable_alloc_common(FALSE);
}

static struct doveadm_cmd_ver2 doveadm_coi_commands[] = {
	{
		.name = "coi status",
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
		.mail_cmd = cmd_coi_status_alloc,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_COI_PARAM_EXTRA_ARGS
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "coi enable",
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
			"[--filter none|active|seen]",
		.mail_cmd = cmd_coi_enable_alloc,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_COI_PARAM_EXTRA_ARGS
DOVEADM_CMD_PARAM('f', DOVEADM_COI_FILTER_PARAM, CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "coi disable",
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
		.mail_cmd = cmd_coi_disable_alloc,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_COI_PARAM_EXTRA_ARGS
DOVEADM_CMD_PARAMS_END
	},
};

void doveadm_coi_plugin_init(struct module *module ATTR_UNUSED)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(doveadm_coi_commands); i++)
		doveadm_cmd_register_ver2(&doveadm_coi_commands[i]);
}

void doveadm_coi_plugin_deinit(void)
{
}
