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
#include "mail-storage-service.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "doveadm-coi-args.h"
#include "push-coi-plugin.h"
#include "webpush-endpoint.h"
#include "webpush-notify.h"
#include "webpush-storage.h"
#include "webpush-vapid.h"

#include <jansson.h>

#include <stdio.h>

const char *doveadm_push_coi_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_push_coi_plugin_init(struct module *module);
void doveadm_push_coi_plugin_deinit(void);

#define CMD_WEBPUSH_VAPID_GENERATE "webpush vapid generate"
#define CMD_WEBPUSH_REMOVE "webpush remove"
#define CMD_WEBPUSH_TEST "webpush test"
#define DOVEADM_WEBPUSH_ID_PARAM "id"

struct webpush_id_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	/* the subscription ID, lower case */
	const char *id;

	/* webpush test: the outcome of the test push */
	bool test_done;
	enum webpush_push_result test_result;
	unsigned int test_status, test_attempts;
	const char *test_error;
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

static void
cmd_webpush_test_outcome(const struct webpush_push_outcome *outcome,
			 void *context)
{
	struct webpush_id_cmd_context *ctx = context;

	ctx->test_done = TRUE;
	ctx->test_result = outcome->result;
	ctx->test_status = outcome->status;
	ctx->test_attempts = outcome->attempts;
	ctx->test_error = p_strdup(ctx->ctx.pool, outcome->error);
	io_loop_stop(current_ioloop);
}

/* The test push's payload: marked as a test, with the time it was sent
   (RFC 3339), so that a client can tell it from a new-message push. */
static const char *doveadm_webpush_test_payload(void)
{
	const char *payload;
	json_t *obj;
	char *text;

	obj = json_pack("{s:s, s:s}", "test", "doveadm webpush test",
			"date", t_strfgmtime("%Y-%m-%dT%H:%M:%SZ", ioloop_time));
	i_assert(obj != NULL);
	text = json_dumps(obj, JSON_COMPACT);
	i_assert(text != NULL);
	payload = t_strdup(text);
	free(text);
	json_decref(obj);
	return payload;
}

static int
cmd_webpush_test_run(struct doveadm_mail_cmd_context *_ctx,
		     struct mail_user *user)
{
	struct webpush_id_cmd_context *ctx =
		container_of(_ctx, struct webpush_id_cmd_context, ctx);
	struct push_coi_user *puser = doveadm_webpush_user(_ctx, user);
	struct webpush_stored_subscription sub;
	struct mailbox *box;
	int ret;

	if (puser == NULL)
		return -1;
	box = webpush_storage_inbox_alloc(user);
	ret = doveadm_webpush_get(ctx, user, puser, box, &sub);
	mailbox_free(&box);
	if (ret <= 0)
		return -1;

	ctx->test_done = FALSE;
	if (webpush_notify_message_outcome(user, ctx->id, &sub.sub,
					   doveadm_webpush_test_payload(),
					   cmd_webpush_test_outcome,
					   ctx) < 0) {
		i_error("Cannot send a push to subscription %s of user %s "
			"(WebPush not configured for the user, or the "
			"endpoint is refused: see the log)", ctx->id,
			user->username);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTPOSSIBLE);
		return -1;
	}
	/* the push runs on the ioloop; retries too (webpush_max_retry_time) */
	while (!ctx->test_done) {
		io_loop_run(current_ioloop);
		/* io_loop_run() deactivates the user's context: put it back */
		mail_storage_service_io_activate_user(_ctx->cur_service_user);
	}

	doveadm_print(ctx->id);
	doveadm_print(webpush_push_result_to_str(ctx->test_result));
	doveadm_print(ctx->test_status == 0 ? "-" :
		      dec2str(ctx->test_status));
	doveadm_print(dec2str(ctx->test_attempts));
	doveadm_print(ctx->test_error == NULL ? "" : ctx->test_error);
	switch (ctx->test_result) {
	case WEBPUSH_PUSH_DELIVERED:
		return 0;
	case WEBPUSH_PUSH_GONE:
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTFOUND);
		break;
	case WEBPUSH_PUSH_REJECTED:
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTPOSSIBLE);
		break;
	default:
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
		break;
	}
	return -1;
}

static void
cmd_webpush_test_init(struct doveadm_mail_cmd_context *ctx,
		      const char *const args[])
{
	cmd_webpush_id_init(ctx, args);
	doveadm_print_header_simple("id");
	doveadm_print_header_simple("result");
	doveadm_print_header_simple("status");
	doveadm_print_header_simple("attempts");
	doveadm_print_header("answer", "answer",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);
}

static struct doveadm_mail_cmd_context *cmd_webpush_test_alloc(void)
{
	struct webpush_id_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct webpush_id_cmd_context);
	ctx->ctx.v.init = cmd_webpush_test_init;
	ctx->ctx.v.run = cmd_webpush_test_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
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
		.name = CMD_WEBPUSH_TEST,
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "<id>",
		.mail_cmd = cmd_webpush_test_alloc,
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
