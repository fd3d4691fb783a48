/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "raw-storage.h"
#include "coi-attr-iter.h"

/* The live skip iterations of this plugin (of the process): few, and each
   lives only while one GETMETADATA lists entries. */
static ARRAY(struct mailbox_attribute_iter *) skip_iters;

bool coi_attr_box_has_metadata_access(struct mailbox *box)
{
	return (box->flags & MAILBOX_FLAG_POST_SESSION) == 0 &&
		strcmp(box->storage->name, RAW_STORAGE_NAME) != 0;
}

struct mailbox_attribute_iter *
coi_attr_iter_skip_dict_init(const struct mailbox_vfuncs *super,
			     struct mailbox *box,
			     enum mail_attribute_type type_flags,
			     const char *prefix, const char *owned_prefix)
{
	struct mailbox_attribute_iter *iter;

	if ((type_flags & MAIL_ATTRIBUTE_TYPE_MASK) !=
	    MAIL_ATTRIBUTE_TYPE_PRIVATE || !str_begins(prefix, owned_prefix))
		return super->attribute_iter_init(box, type_flags, prefix);

	iter = i_new(struct mailbox_attribute_iter, 1);
	iter->box = box;
	if (!array_is_created(&skip_iters))
		i_array_init(&skip_iters, 4);
	array_push_back(&skip_iters, &iter);
	return iter;
}

static bool
coi_attr_iter_find(struct mailbox_attribute_iter *iter, unsigned int *idx_r)
{
	struct mailbox_attribute_iter *const *iters;
	unsigned int i, count;

	if (!array_is_created(&skip_iters))
		return FALSE;
	iters = array_get(&skip_iters, &count);
	for (i = 0; i < count; i++) {
		if (iters[i] == iter) {
			*idx_r = i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
coi_attr_iter_skip_dict_next(const struct mailbox_vfuncs *super,
			     struct mailbox_attribute_iter *iter)
{
	unsigned int idx;

	if (coi_attr_iter_find(iter, &idx))
		return NULL;
	return super->attribute_iter_next(iter);
}

int coi_attr_iter_skip_dict_deinit(const struct mailbox_vfuncs *super,
				   struct mailbox_attribute_iter *iter)
{
	unsigned int idx;

	if (!coi_attr_iter_find(iter, &idx))
		return super->attribute_iter_deinit(iter);
	array_delete(&skip_iters, idx, 1);
	if (array_count(&skip_iters) == 0)
		array_free(&skip_iters);
	i_free(iter);
	return 0;
}
