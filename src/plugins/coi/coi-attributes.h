#ifndef COI_ATTRIBUTES_H
#define COI_ATTRIBUTES_H

struct mailbox;

/* The COI configuration as server METADATA (CS-02, CS-03, CS-06..CS-10,
   CS-16): one internal INBOX attribute covers the subtree
   /private/vendor/vendor.dovecot/coi/ (key COI_ATTR_PREFIX, with
   children). It

   - checks every value that is set (exact CS-09/CS-16 error texts) and
     refuses entries below coi/ that the spec does not define,
   - creates the COI folders when COI gets enabled or a filter is set,
   - answers the admin defaults (and the always present mailbox-root) for
     entries the user never set, and lists all three for DEPTH,
   - is marked VALIDATED, so it works with imap_metadata = no as well.

   Values the user set are stored in the attribute dictionary as usual;
   listing them does not iterate the dictionary (coi-attr-iter.h). */

void coi_attributes_init(void);
/* Part of the plugin's mailbox_allocated hook (coi-mailbox.h): GETMETADATA
   DEPTH below the COI entries without iterating the dictionary. */
void coi_attributes_mailbox_allocated(struct mailbox *box);
void coi_attributes_deinit(void);

#endif
