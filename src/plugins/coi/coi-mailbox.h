#ifndef COI_MAILBOX_H
#define COI_MAILBOX_H

#include "mail-storage-private.h"

/* One layer of mailbox vfuncs for the whole coi plugin. Its parts
   (attributes, folder rules, delivery, seen) each override a few vfuncs
   of some mailboxes; as four mailbox_allocated hooks they made four
   layers, and Dovecot's hook machinery copies and compares the whole
   vfuncs table for each layer of every mailbox allocated (a delivery
   allocates three to five). The plugin's one hook calls each part, and a
   part that wants a mailbox calls coi_mailbox_vfuncs() for the table to
   put its functions in. No two parts override the same vfunc of one
   mailbox (coi_mailbox_vfuncs() callers check it with
   COI_MAILBOX_OVERRIDE()). */

/* The vfuncs a part overrides for box, creating the layer on the first
   call. Only while the plugin's mailbox_allocated hook runs. */
struct mailbox_vfuncs *coi_mailbox_vfuncs(struct mailbox *box);

/* The functions under the layer, for an override to call. Only for a
   mailbox that has the layer. */
const struct mailbox_vfuncs *coi_mailbox_super(struct mailbox *box);

/* Sets v->field (v from coi_mailbox_vfuncs() for box) to func, after
   checking that no other part took it. */
#define COI_MAILBOX_OVERRIDE(box, v, field, func) STMT_START { \
	i_assert((v)->field == coi_mailbox_super(box)->field); \
	(v)->field = (func); \
	} STMT_END

#endif
