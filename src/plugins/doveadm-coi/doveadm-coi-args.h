#ifndef DOVEADM_COI_ARGS_H
#define DOVEADM_COI_ARGS_H

/* Argument checks shared by the doveadm plugins of dovecot-coi. doveadm
   itself only says "Extraneous arguments found" for arguments a command
   does not take; these commands collect them in a hidden positional
   parameter and refuse them with the command's usage text. */

#include "doveadm.h"
#include "doveadm-mail.h"

#define DOVEADM_COI_PARAM_EXTRA_ARGS_NAME "args"
#define DOVEADM_COI_PARAM_EXTRA_ARGS \
DOVEADM_CMD_PARAM('\0', DOVEADM_COI_PARAM_EXTRA_ARGS_NAME, CMD_PARAM_ARRAY, \
		  CMD_PARAM_FLAG_POSITIONAL | CMD_PARAM_FLAG_DO_NOT_EXPOSE)

/* Prints the usage of cmd_name and exits with EX_USAGE when args (the
   leftover positional arguments, NULL-terminated; NULL = none) is not
   empty. */
static inline void
doveadm_coi_refuse_args(const char *cmd_name, const char *const *args)
{
	if (args == NULL || args[0] == NULL)
		return;
	i_error("Unexpected argument: %s", args[0]);
	doveadm_mail_help_name(cmd_name);
}

#endif
