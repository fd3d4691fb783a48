/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "coi-mailbox.h"

#define COI_MAILBOX_CONTEXT(obj) \
	MODULE_CONTEXT(obj, coi_mailbox_storage_module)
#define COI_MAILBOX_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, coi_mailbox_storage_module)

struct coi_mailbox {
	union mailbox_module_context module_ctx;
	/* the table the parts override: the vlast before this layer */
	struct mailbox_vfuncs *v;
};

static MODULE_CONTEXT_DEFINE_INIT(coi_mailbox_storage_module,
				  &mail_storage_module_register);

struct mailbox_vfuncs *coi_mailbox_vfuncs(struct mailbox *box)
{
	struct coi_mailbox *cbox = COI_MAILBOX_CONTEXT(box);

	if (cbox != NULL) {
		/* no other plugin's hook ran since the layer was made */
		i_assert(box->vlast == &cbox->module_ctx.super);
		return cbox->v;
	}
	cbox = p_new(box->pool, struct coi_mailbox, 1);
	cbox->v = box->vlast;
	cbox->module_ctx.super = *cbox->v;
	box->vlast = &cbox->module_ctx.super;
	MODULE_CONTEXT_SET(box, coi_mailbox_storage_module, cbox);
	return cbox->v;
}

const struct mailbox_vfuncs *coi_mailbox_super(struct mailbox *box)
{
	struct coi_mailbox *cbox = COI_MAILBOX_CONTEXT_REQUIRE(box);

	return &cbox->module_ctx.super;
}
