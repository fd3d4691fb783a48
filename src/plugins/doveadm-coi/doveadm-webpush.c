/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

/* doveadm plugin "doveadm_push_coi": doveadm webpush ...

   It uses the push_coi mail plugin's functions, so doveadm loads it only
   when mail_plugins contains push_coi (without it dlopen() fails on the
   missing symbols and doveadm skips the plugin quietly). */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "time-util.h"
#include "module-dir.h"
#include "mail-storage.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-coi-args.h"
#include "push-coi-plugin.h"
#include "webpush-endpoint.h"
#include "webpush-storage.h"
#include "webpush-vapid.h"

#include <stdio.h>

const char *doveadm_push_coi_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_push_coi_plugin_init(struct module *module);
void doveadm_push_coi_plugin_deinit(void);

#define CMD_WEBPUSH_VAPID_GENERATE "webpush vapid generate"
#define CMD_WEBPUSH_REMOVE "webpush remove"
#define DOVEADM_WEBPUSH_ID_PARAM "id"

struct webpush_id_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	/* the subscription ID, lower case */
	const char *id;
};

static struct push_coi_user *
doveadm_webpush_user(struct doveadm_mail_cmd_context *ctx,
		     struct mail_user *user)
{
	struct push_coi_user *puser = PUSH_COI_USER_CONTEXT(user);

	if (puser != NULL)
		return puser;
	i_error("The push_coi plugin is not loaded for user %s "
		"(add push_coi to mail_plugins)", user->username);
	doveadm_mail_failed_error(ctx, MAIL_ERROR_NOTFOUND);
	return NULL;
}

/* The origin of the endpoint (never the rest of the URL, which identifies
   the subscriber to the push service). */
static const char *
doveadm_webpush_origin(struct push_coi_user *puser, const char *endpoint_url)
{
	struct webpush_endpoint *endpoint;
	const char *error;

	if (webpush_endpoint_parse(endpoint_url, puser->endpoint_set,
				   pool_datastack_create(), &endpoint,
				   &error) < 0)
		return t_strdup_printf("(invalid: %s)", error);
	return endpoint->origin;
}

static int
cmd_webpush_list_run(struct doveadm_mail_cmd_context *ctx,
		     struct mail_user *user)
{
	struct push_coi_user *puser = doveadm_webpush_user(ctx, user);
	ARRAY_TYPE(webpush_stored_subscription) subs;
	const struct webpush_stored_subscription *sub;
	const char *error;

	if (puser == NULL)
		return -1;
	t_array_init(&subs, 8);
	if (push_coi_subscriptions_list(user, pool_datastack_create(), &subs,
					&error) < 0) {
		i_error("webpush list for user %s: %s", user->username, error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
		return -1;
	}
	array_foreach(&subs, sub) {
		doveadm_print(sub->id);
		doveadm_print(sub->sub.client);
		doveadm_print(sub->sub.device);
		doveadm_print(webpush_msgtype_to_str(sub->sub.msgtype));
		doveadm_print(sub->sub.validated ? "yes" : "no");
		doveadm_print(t_strfgmtime("%Y-%m-%dT%H:%M:%SZ",
					   sub->sub.created));
		doveadm_print(doveadm_webpush_origin(puser,
						     sub->sub.endpoint));
	}
	return 0;
}

static void
cmd_webpush_list_init(struct doveadm_mail_cmd_context *ctx,
		      const char *const args[])
{
	doveadm_coi_refuse_args(ctx->cmd->name, args);
	doveadm_print_header_simple("id");
	doveadm_print_header_simple("client");
	doveadm_print_header_simple("device");
	doveadm_print_header_simple("msgtype");
	doveadm_print_header_simple("validated");
	doveadm_print_header_simple("created");
	doveadm_print_header_simple("endpoint-origin");
}

static struct doveadm_mail_cmd_context *cmd_webpush_list_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct doveadm_mail_cmd_context);
	ctx->v.init = cmd_webpush_list_init;
	ctx->v.run = cmd_webpush_list_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return ctx;
}

/* The subscription ID argument of remove and test: exactly one valid ID,
   else the command's usage. */
static void
cmd_webpush_id_init(struct doveadm_mail_cmd_context *_ctx,
		    const char *const args[])
{
	struct webpush_id_cmd_context *ctx =
		container_of(_ctx, struct webpush_id_cmd_context, ctx);

	if (args[0] == NULL) {
		i_error("Missing the subscription ID");
		doveadm_mail_help_name(_ctx->cmd->name);
	}
	doveadm_coi_refuse_args(_ctx->cmd->name, args + 1);
	if (!webpush_subscription_id_is_valid(args[0])) {
		i_error("Invalid subscription ID: %s (10 to 36 characters of "
			"A-Z a-z 0-9 - _)", args[0]);
		doveadm_mail_help_name(_ctx->cmd->name);
	}
	ctx->id = p_strdup(_ctx->pool,
			   webpush_subscription_id_normalize(args[0]));
}

/* Looks the subscription up in box. Returns 1 when found, 0 when not (an
   error was printed and the exit code set), -1 on error. */
static int
doveadm_webpush_get(struct webpush_id_cmd_context *ctx,
		    struct mail_user *user, struct push_coi_user *puser,
		    struct mailbox *box,
		    struct webpush_stored_subscription *sub_r)
{
	const char *error;
	int ret;

	ret = webpush_storage_get(box, puser->event, ctx->id,
				  pool_datastack_create(), sub_r, &error);
	if (ret < 0) {
		i_error("Reading subscription %s of user %s: %s", ctx->id,
			user->username, error);
		doveadm_mail_failed_error(&ctx->ctx, MAIL_ERROR_TEMP);
		return -1;
	}
	if (ret == 0 ||
	    (puser->wp_set_ok &&
	     webpush_subscription_is_expired(&sub_r->sub, ioloop_time,
				puser->wp_set.validation_timeout_secs))) {
		i_error("User %s has no subscription %s", user->username,
			ctx->id);
		doveadm_mail_failed_error(&ctx->ctx, MAIL_ERROR_NOTFOUND);
		return 0;
	}
	return 1;
}

static int
cmd_webpush_remove_run(struct doveadm_mail_cmd_context *_ctx,
		       struct mail_user *user)
{
	struct webpush_id_cmd_context *ctx =
		container_of(_ctx, struct webpush_id_cmd_context, ctx);
	struct push_coi_user *puser = doveadm_webpush_user(_ctx, user);
	struct webpush_stored_subscription sub;
	struct mailbox_transaction_context *t;
	struct mailbox *box;
	int ret;

	if (puser == NULL)
		return -1;
	box = webpush_storage_inbox_alloc(user);
	if (mailbox_open(box) < 0) {
		i_error("Opening INBOX of user %s: %s", user->username,
			mailbox_get_last_internal_error(box, NULL));
		doveadm_mail_failed_mailbox(_ctx, box);
		mailbox_free(&box);
		return -1;
	}
	if ((ret = doveadm_webpush_get(ctx, user, puser, box, &sub)) <= 0) {
		mailbox_free(&box);
		return -1;
	}

	/* The same path as SETMETADATA "" (S/<id> NIL): the attribute is
	   unset through push_coi's internal attribute. */
	t = mailbox_transaction_begin(box, _ctx->transaction_flags |
				      MAILBOX_TRANSACTION_FLAG_EXTERNAL,
				      __func__);
	if (mailbox_attribute_unset(t, MAIL_ATTRIBUTE_TYPE_PRIVATE,
			t_strconcat(WEBPUSH_ATTR_SUBSCRIPTIONS, ctx->id,
				    NULL)) < 0) {
		mailbox_transaction_rollback(&t);
		ret = -1;
	} else {
		ret = mailbox_transaction_commit(&t);
	}
	if (ret < 0) {
		i_error("Removing subscription %s of user %s: %s", ctx->id,
			user->username,
			mailbox_get_last_internal_error(box, NULL));
		doveadm_mail_failed_mailbox(_ctx, box);
	}
	mailbox_free(&box);
	return ret;
}

static struct doveadm_mail_cmd_context *cmd_webpush_remove_alloc(void)
{
	struct webpush_id_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct webpush_id_cmd_context);
	ctx->ctx.v.init = cmd_webpush_id_init;
	ctx->ctx.v.run = cmd_webpush_remove_run;
	return &ctx->ctx;
}

static void cmd_webpush_vapid_generate(struct doveadm_cmd_context *cctx)
{
	const char *const *args, *private_pem, *public_pem, *public_b64url;
	const char *error;

	if (doveadm_cmd_param_array(cctx, DOVEADM_COI_PARAM_EXTRA_ARGS_NAME,
				    &args))
		doveadm_coi_refuse_args(cctx->cmd->name, args);

	if (webpush_vapid_generate_key(&private_pem, &public_pem,
				       &public_b64url, &error) < 0) {
		i_error("Generating a VAPID key failed: %s", error);
		doveadm_exit_code = EX_SOFTWARE;
		return;
	}
	/* The whole output is a valid webpush_vapid_key file: PEM readers
	   skip the public key block and the text outside the blocks. */
	printf("%s%s", private_pem, public_pem);
	printf("VAPID public key (base64url): %s\n", public_b64url);
}

static struct doveadm_cmd_ver2 doveadm_webpush_commands[] = {
	{
		.name = "webpush list",
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
		.mail_cmd = cmd_webpush_list_alloc,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_COI_PARAM_EXTRA_ARGS
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = CMD_WEBPUSH_REMOVE,
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "<id>",
		.mail_cmd = cmd_webpush_remove_alloc,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('\0', DOVEADM_WEBPUSH_ID_PARAM, CMD_PARAM_ARRAY,
		  CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = CMD_WEBPUSH_VAPID_GENERATE,
		.cmd = cmd_webpush_vapid_generate,
		.usage = "",
		.flags = CMD_FLAG_NO_PRINT,
DOVEADM_CMD_PARAMS_START
DOVEADM_COI_PARAM_EXTRA_ARGS
DOVEADM_CMD_PARAMS_END
	},
};

void doveadm_push_coi_plugin_init(struct module *module ATTR_UNUSED)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(doveadm_webpush_commands); i++)
		doveadm_cmd_register_ver2(&doveadm_webpush_commands[i]);
}

void doveadm_push_coi_plugin_deinit(void)
{
}
