/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "coi-config.h"
#include "coi-folders.h"

static unsigned int coi_folders_creating_count = 0;

bool coi_folders_creating(void)
{
	return coi_folders_creating_count > 0;
}

static int coi_folder_create(struct mailbox *box, const char **error_r)
{
	enum mail_error error;
	int ret;

	coi_folders_creating_count++;
	ret = mailbox_create(box, NULL, FALSE);
	coi_folders_creating_count--;
	if (ret < 0) {
		const char *errstr =
			mailbox_get_last_internal_error(box, &error);
		if (error == MAIL_ERROR_EXISTS) {
			/* created meanwhile by another session */
			return 0;
		}
		*error_r = t_strdup_printf("Failed to create mailbox %s: %s",
					   mailbox_get_vname(box), errstr);
		return -1;
	}
	if (mailbox_set_subscribed(box, TRUE) < 0) {
		*error_r = t_strdup_printf(
			"Created mailbox %s, but failed to subscribe it: %s",
			mailbox_get_vname(box),
			mailbox_get_last_internal_error(box, NULL));
		return -1;
	}
	return 1;
}

int coi_folder_ensure(struct mail_user *user, const char *vname,
		      const char **error_r)
{
	struct mail_namespace *ns;
	struct mailbox *box;
	enum mailbox_existence existence;
	int ret;

	if (user->namespaces == NULL) {
		*error_r = "The user's namespaces are not initialized";
		return -1;
	}
	ns = mail_namespace_find(user->namespaces, vname);
	if (ns == NULL || ns->type != MAIL_NAMESPACE_TYPE_PRIVATE) {
		*error_r = t_strdup_printf(
			"Mailbox %s is not in a private namespace", vname);
		return -1;
	}
	box = mailbox_alloc(ns->list, vname, 0);
	if (mailbox_exists(box, FALSE, &existence) < 0) {
		*error_r = t_strdup_printf("Failed to look up mailbox %s: %s",
			vname, mailbox_get_last_internal_error(box, NULL));
		ret = -1;
	} else if (existence == MAILBOX_EXISTENCE_SELECT) {
		ret = 0;
	} else {
		ret = coi_folder_create(box, error_r);
	}
	mailbox_free(&box);
	return ret;
}

int coi_folders_ensure_chats(struct mail_user *user,
			     const struct coi_config *config,
			     const char **error_r)
{
	return coi_folder_ensure(user, config->chats_mailbox, error_r) < 0 ?
		-1 : 0;
}

int coi_folders_ensure_all(struct mail_user *user,
			   const struct coi_config *config,
			   const char **error_r)
{
	if (coi_folders_ensure_chats(user, config, error_r) < 0)
		return -1;
	return coi_folder_ensure(user, config->contacts_mailbox, error_r) < 0 ?
		-1 : 0;
}
