/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "module-context.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "coi-plugin.h"
#include "coi-config.h"
#include "coi-folders.h"
#include "coi-mailbox.h"
#include "coi-folder-rules.h"

#define COI_DEFAULT_TRASH_NAME "Trash"
#define COI_TRASH_SPECIAL_USE "\\Trash"

/* TRUE when name is parent or lies below it. */
static bool
coi_name_is_or_under(const char *name, const char *parent, char sep)
{
	size_t len = strlen(parent);

	return strncmp(name, parent, len) == 0 &&
		(name[len] == '\0' || name[len] == sep);
}

static bool coi_folder_rules_is_trash(struct mailbox_list *list,
				      const char *vname)
{
	struct mail_namespace *ns = mailbox_list_get_namespace(list);
	struct mailbox *box;
	bool trash;

	if (strcmp(vname, t_strconcat(ns->prefix, COI_DEFAULT_TRASH_NAME,
				      NULL)) == 0)
		return TRUE;
	box = mailbox_alloc(list, vname, 0);
	trash = mailbox_has_special_use(box, COI_TRASH_SPECIAL_USE);
	mailbox_free(&box);
	return trash;
}

/* TRUE when dest lies below the \Trash special-use mailbox or the
   default trash. */
static bool coi_folder_rules_under_trash(struct mailbox *dest)
{
	struct mail_namespace *ns = mailbox_get_namespace(dest);
	char sep = mail_namespace_get_sep(ns);
	const char *name = mailbox_get_vname(dest), *p;

	while ((p = strrchr(name, sep)) != NULL) {
		name = t_strdup_until(name, p);
		if (name[0] == '\0')
			break;
		if (coi_folder_rules_is_trash(dest->list, name))
			return TRUE;
	}
	return FALSE;
}

static bool
coi_folder_rules_read(struct mailbox *box, struct coi_config *config_r)
{
	struct mail_user *user = box->storage->user;
	struct coi_user *cuser = COI_USER_CONTEXT_REQUIRE(user);
	const char *error;

	if (coi_config_read(user, config_r, &error) < 0) {
		e_warning(cuser->event, "Folder rules skipped for %s: %s",
			  mailbox_get_vname(box), error);
		return FALSE;
	}
	return TRUE;
}

static void
coi_folder_rules_set_enabled(struct mailbox *box, bool enabled,
			     const char *reason)
{
	struct mail_user *user = box->storage->user;
	struct coi_user *cuser = COI_USER_CONTEXT_REQUIRE(user);
	const char *error;

	if (box->storage->set->mail_attribute_dict[0] == '\0') {
		/* nothing can be stored, COI cannot be switched */
		e_debug(cuser->event, "Not %s COI after %s: "
			"no mail_attribute_dict", enabled ? "enabling" :
			"disabling", reason);
		return;
	}
	if (coi_config_set_enabled(user, enabled, reason, &error) < 0) {
		e_error(cuser->event, "Failed to %s COI after %s: %s",
			enabled ? "enable" : "disable", reason, error);
	}
}

static bool coi_folder_rules_chats_exists(struct mail_user *user,
					  const char *chats)
{
	struct mail_namespace *ns =
		mail_namespace_find_inbox(user->namespaces);
	enum mailbox_existence existence;
	struct mailbox *box;
	bool exists;

	box = mailbox_alloc(ns->list, chats, 0);
	exists = mailbox_exists(box, FALSE, &existence) == 0 &&
		existence == MAILBOX_EXISTENCE_SELECT;
	mailbox_free(&box);
	return exists;
}

static int
coi_folder_rules_create_box(struct mailbox *box,
			    const struct mailbox_update *update,
			    bool directory)
{
	struct coi_config config;

	if (coi_mailbox_super(box)->create_box(box, update, directory) < 0)
		return -1;
	if (directory || coi_folders_creating())
		return 0;

	T_BEGIN {
		if (coi_folder_rules_read(box, &config) && !config.enabled &&
		    strcmp(mailbox_get_vname(box), config.chats_mailbox) == 0) {
			coi_folder_rules_set_enabled(box, TRUE,
				t_strdup_printf("%s was created",
						config.chats_mailbox));
		}
	} T_END;
	return 0;
}

static int coi_folder_rules_delete_box(struct mailbox *box)
{
	struct coi_config config;
	int ret;

	T_BEGIN {
		bool disable = coi_folder_rules_read(box, &config) &&
			config.enabled &&
			strcmp(mailbox_get_vname(box),
			       config.chats_mailbox) == 0;

		ret = coi_mailbox_super(box)->delete_box(box);
		if (ret == 0 && disable) {
			coi_folder_rules_set_enabled(box, FALSE,
				t_strdup_printf("%s was deleted",
						config.chats_mailbox));
		}
	} T_END;
	return ret;
}

static int
coi_folder_rules_rename_chats(struct mailbox *src, struct mailbox *dest,
			      const struct coi_config *config)
{
	if (!coi_folder_rules_under_trash(dest)) {
		mail_storage_set_error(src->storage, MAIL_ERROR_NOTPOSSIBLE,
			t_strdup_printf("%s is the COI chat folder: it can only "
				"be deleted or moved to the trash, "
				"which disables COI", config->chats_mailbox));
		return -1;
	}
	if (coi_mailbox_super(src)->rename_box(src, dest) < 0)
		return -1;
	coi_folder_rules_set_enabled(src, FALSE,
		t_strdup_printf("%s was moved to %s", mailbox_get_vname(src),
				mailbox_get_vname(dest)));
	return 0;
}

static int
coi_folder_rules_rename_box(struct mailbox *src, struct mailbox *dest)
{
	struct mail_namespace *ns = mailbox_get_namespace(src);
	struct mail_user *user = src->storage->user;
	char sep = mail_namespace_get_sep(ns);
	struct coi_config config;
	int ret;

	T_BEGIN {
		if (!coi_folder_rules_read(src, &config)) {
			ret = coi_mailbox_super(src)->rename_box(src, dest);
		} else if (config.enabled &&
			   coi_name_is_or_under(config.chats_mailbox,
						mailbox_get_vname(src), sep)) {
			/* Chats itself or an ancestor of it moves */
			ret = coi_folder_rules_rename_chats(src, dest,
							    &config);
		} else {
			ret = coi_mailbox_super(src)->rename_box(src, dest);
			if (ret == 0 && !config.enabled &&
			    mailbox_get_namespace(dest) == ns &&
			    coi_name_is_or_under(config.chats_mailbox,
						 mailbox_get_vname(dest), sep) &&
			    coi_folder_rules_chats_exists(user,
						config.chats_mailbox)) {
				coi_folder_rules_set_enabled(src, TRUE,
					t_strdup_printf("%s was created by "
						"renaming %s",
						config.chats_mailbox,
						mailbox_get_vname(src)));
			}
		}
	} T_END;
	return ret;
}

void coi_folder_rules_mailbox_allocated(struct mailbox *box)
{
	struct mail_namespace *ns = mailbox_get_namespace(box);
	struct mailbox_vfuncs *v;

	/* Only the user's own INBOX namespace holds the COI folders. */
	if (ns->type != MAIL_NAMESPACE_TYPE_PRIVATE ||
	    (ns->flags & NAMESPACE_FLAG_INBOX_USER) == 0 ||
	    COI_USER_CONTEXT(box->storage->user) == NULL)
		return;

	v = coi_mailbox_vfuncs(box);
	COI_MAILBOX_OVERRIDE(box, v, create_box, coi_folder_rules_create_box);
	COI_MAILBOX_OVERRIDE(box, v, delete_box, coi_folder_rules_delete_box);
	COI_MAILBOX_OVERRIDE(box, v, rename_box, coi_folder_rules_rename_box);
}
