/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

/* doveadm plugin "doveadm_push_coi": doveadm webpush ...

   It uses the push_coi mail plugin's functions, so doveadm loads it only
   when mail_plugins contains push_coi (without it dlopen() fails on the
   missing symbols and doveadm skips the plugin quietly). */

#include "lib.h"
#include "module-dir.h"
#include "doveadm.h"
#include "doveadm-coi-args.h"
#include "webpush-vapid.h"

#include <stdio.h>

const char *doveadm_push_coi_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_push_coi_plugin_init(struct module *module);
void doveadm_push_coi_plugin_deinit(void);

#define CMD_WEBPUSH_VAPID_GENERATE "webpush vapid generate"

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
