"""COI folders: enabling creates and subscribes <root>/Chats and
<root>/Contacts (CS-10, CS-16), and the folder rules (CS-12..CS-14):
DELETE or RENAME under the trash disables COI, other RENAMEs of Chats are
refused, CREATE or RENAME onto Chats enables COI, and C/enabled shows it
at once."""

import os

from coitest import DovecotTestCase, message, quote

from test_metadata import ENABLED, FILTER, MetadataMixin, tagged_text

CHATS = "COI/Chats"
CONTACTS = "COI/Contacts"
RENAME_REFUSED = ("[CANNOT] COI/Chats is the COI chat folder: it can only be "
                  "deleted or moved to the trash, which disables COI")


class FolderCase(MetadataMixin):
    def enabled_user(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        return user, c

    def assert_enabled(self, c, enabled):
        self.assertEqual(c.getmeta(ENABLED), "yes" if enabled else None)


class Folders(FolderCase, DovecotTestCase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi")

    # --- CS-10 -------------------------------------------------------------

    def test_cs10_enable_creates_chats_and_contacts_subscribed(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertNotIn(CHATS, c.list_mailboxes())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        # right after the tagged OK, in the same and in another session
        for client in (c, self.imap(user)):
            boxes = client.list_mailboxes()
            self.assertIn(CHATS, boxes)
            self.assertIn(CONTACTS, boxes)
            self.assertTrue({CHATS, CONTACTS} <= client.subscribed())
        self.assertEqual(c.select(CHATS)["exists"], 0)

    def test_cs10_enable_keeps_existing_folders_and_messages(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.ok("CREATE", quote(CONTACTS)))
        self.assertTrue(c.append(CONTACTS, message(subject="card")[1]).ok)
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertEqual(c.status(CONTACTS)["MESSAGES"], 1)
        self.assertIn(CHATS, c.list_mailboxes())
        # Contacts existed: COI leaves its subscription to the user
        self.assertNotIn(CONTACTS, c.subscribed())

    def test_cs10_enable_makes_noselect_chats_selectable(self):
        """COI/Chats exists only as the parent of another folder."""
        c = self.imap(self.fresh_user())
        self.assertTrue(c.ok("CREATE", quote(CHATS + "/Old")))
        self.assertIn("\\noselect", c.list_mailboxes()[CHATS])
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertNotIn("\\noselect", c.list_mailboxes()[CHATS])
        self.assertIsNotNone(c.status(CHATS))

    def test_cs10_enable_again_recreates_missing_contacts(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("DELETE", quote(CONTACTS)))
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertIn(CONTACTS, c.list_mailboxes())

    def test_cs10_enable_logs_info(self):
        user, c = self.enabled_user()
        self.dc.wait_log(r"imap\(%s\).*Info: coi: COI enabled \(METADATA\)" % user)

    # --- CS-16: active/seen ensure Chats -----------------------------------

    def test_cs16_active_creates_chats(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(FILTER, "active").ok)
        self.assertIn(CHATS, c.list_mailboxes())
        self.assertIn(CHATS, c.subscribed())

    def test_cs16_seen_creates_chats(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(FILTER, "seen").ok)
        self.assertIn(CHATS, c.list_mailboxes())

    def test_cs16_none_creates_nothing(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(FILTER, "none").ok)
        self.assertNotIn(CHATS, c.list_mailboxes())

    # --- CS-12 / CS-14: indirect disable -----------------------------------

    def test_cs12_delete_chats_disables(self):
        user, c = self.enabled_user()
        other = self.imap(user)
        self.assertTrue(c.ok("DELETE", quote(CHATS)))
        self.assert_enabled(c, False)
        self.assert_enabled(other, False)
        self.dc.wait_log(r"imap\(%s\).*Info: coi: COI disabled \(COI/Chats was deleted\)" % user)

    def test_cs12_failed_delete_keeps_enabled(self):
        """COI is disabled only after a DELETE that succeeded."""
        user, c = self.enabled_user()
        maildir = os.path.join(self.dc.home(user), "Maildir")
        self.dc.expect_log(r"Permission denied|Internal error|EACCES")
        os.chmod(maildir, 0o500)
        try:
            res = c.command("DELETE", quote(CHATS))
        finally:
            os.chmod(maildir, 0o700)
        self.assertEqual(res.status, "NO", res)
        self.assertIn(CHATS, c.list_mailboxes())
        self.assert_enabled(c, True)

    def test_cs12_delete_missing_chats_keeps_enabled(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("DELETE", quote(CHATS)))
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        res = c.command("DELETE", quote("COI/NoSuchBox"))
        self.assertEqual(res.status, "NO")
        self.assert_enabled(c, True)

    def test_cs12_rename_chats_into_trash_disables(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("CREATE", quote("Trash")))
        self.assertTrue(c.append(CHATS, message(subject="chat")[1]).ok)
        self.assertTrue(c.ok("RENAME", quote(CHATS), quote("Trash/Chats")))
        self.assert_enabled(c, False)
        self.assertEqual(c.status("Trash/Chats")["MESSAGES"], 1)
        self.dc.wait_log(r"COI disabled \(COI/Chats was moved to Trash/Chats\)")

    def test_cs12_failed_rename_into_trash_keeps_enabled(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("CREATE", quote("Trash/Chats")))
        res = c.command("RENAME", quote(CHATS), quote("Trash/Chats"))
        self.assertEqual(res.status, "NO", res)
        self.assertIn(CHATS, c.list_mailboxes())
        self.assert_enabled(c, True)

    def test_cs12_rename_chats_deep_into_trash_disables(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("CREATE", quote("Trash/Old")))
        self.assertTrue(c.ok("RENAME", quote(CHATS), quote("Trash/Old/COI-Chats")))
        self.assert_enabled(c, False)

    def test_cs12_rename_root_into_trash_disables(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("CREATE", quote("Trash")))
        self.assertTrue(c.ok("RENAME", quote("COI"), quote("Trash/COI")))
        self.assert_enabled(c, False)

    def test_cs12_rename_chats_elsewhere_refused(self):
        user, c = self.enabled_user()
        for dest in ("Chats", "COI/Chats2", "Archive/Chats", "Trash", "TrashX/Chats"):
            res = c.command("RENAME", quote(CHATS), quote(dest))
            self.assertEqual(res.status, "NO", (dest, res))
            self.assertEqual(tagged_text(res), RENAME_REFUSED)
        self.assertIn(CHATS, c.list_mailboxes())
        self.assert_enabled(c, True)

    def test_cs12_rename_root_elsewhere_refused(self):
        user, c = self.enabled_user()
        res = c.command("RENAME", quote("COI"), quote("Chat"))
        self.assertEqual(res.status, "NO", res)
        self.assertEqual(tagged_text(res), RENAME_REFUSED)
        self.assertIn(CHATS, c.list_mailboxes())

    def test_cs12_rename_other_folders_allowed(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("RENAME", quote(CONTACTS), quote("COI/Addresses")))
        self.assertTrue(c.ok("CREATE", quote("Foo")))
        self.assertTrue(c.ok("RENAME", quote("Foo"), quote("Bar")))
        self.assert_enabled(c, True)

    def test_cs12_rename_chats_when_disabled_allowed(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertTrue(c.setmetadata(ENABLED, None).ok)
        self.assertTrue(c.ok("RENAME", quote(CHATS), quote("Old chats")))
        self.assert_enabled(c, False)

    # --- CS-13 / CS-14: indirect enable ------------------------------------

    def test_cs13_create_chats_enables(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.ok("CREATE", quote(CHATS)))
        self.assert_enabled(c, True)
        self.assert_enabled(self.imap(user), True)
        self.assertIn(CONTACTS, c.list_mailboxes())
        self.dc.wait_log(r"imap\(%s\).*Info: coi: COI enabled \(COI/Chats was created\)" % user)

    def test_cs13_create_other_folders_does_not_enable(self):
        c = self.imap(self.fresh_user())
        for name in ("COI", "COI/Chats2", "Chats", "COI/Contacts", "coi/chats"):
            self.assertTrue(c.ok("CREATE", quote(name)))
        self.assert_enabled(c, False)

    def test_cs13_rename_onto_chats_enables(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.ok("CREATE", quote("Talk")))
        self.assertTrue(c.ok("RENAME", quote("Talk"), quote(CHATS)))
        self.assert_enabled(c, True)
        self.dc.wait_log(r"COI enabled \(COI/Chats was created by renaming Talk\)")

    def test_cs13_rename_parent_that_brings_chats_enables(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.ok("CREATE", quote("Old/Chats")))
        self.assertTrue(c.ok("RENAME", quote("Old"), quote("COI")))
        self.assert_enabled(c, True)

    def test_cs13_delete_then_create_round_trip(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("DELETE", quote(CHATS)))
        self.assert_enabled(c, False)
        self.assertTrue(c.ok("CREATE", quote(CHATS)))
        self.assert_enabled(c, True)

    def test_cs14_enabled_in_depth1_after_folder_change(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("DELETE", quote(CHATS)))
        self.assertNotIn(ENABLED, self.depth1(c)[1])
        self.assertTrue(c.ok("CREATE", quote(CHATS)))
        self.assertEqual(self.depth1(c)[1][ENABLED], "yes")


class SpecialUseTrash(FolderCase, DovecotTestCase):
    """A \\Trash special-use mailbox with another name than "Trash"."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        extra_conf="""
namespace inbox {
  mailbox Bin {
    special_use = \\Trash
  }
}
""")

    def test_cs12_rename_under_special_use_trash_disables(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("CREATE", quote("Bin")))
        self.assertTrue(c.ok("RENAME", quote(CHATS), quote("Bin/Chats")))
        self.assert_enabled(c, False)

    def test_cs12_default_trash_name_still_works(self):
        user, c = self.enabled_user()
        self.assertTrue(c.ok("CREATE", quote("Trash")))
        self.assertTrue(c.ok("RENAME", quote(CHATS), quote("Trash/Chats")))
        self.assert_enabled(c, False)


class AdminEnabledFolders(FolderCase, DovecotTestCase):
    """With coi_default_enabled = yes, deleting Chats still disables COI
    for good (the admin default no longer applies to that user)."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        plugin=dict(coi_default_enabled="yes"))

    def test_cs12_delete_disables_despite_admin_default(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.ok("CREATE", quote(CHATS)))
        self.assertEqual(c.getmeta(ENABLED), "yes")
        self.assertTrue(c.ok("DELETE", quote(CHATS)))
        self.assertIsNone(c.getmeta(ENABLED))
        self.assertIsNone(self.imap(user).getmeta(ENABLED))


class SharedNamespace(FolderCase, DovecotTestCase):
    """Folders of other users in a shared namespace are not COI folders:
    nothing changes for either user and nothing asserts."""
    dovecot_args = dict(mail_plugins="coi acl", imap_plugins="imap_coi imap_acl",
                        plugin=dict(acl="vfile"),
                        extra_conf="""
namespace shared {
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:%h/../%%u/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}
""")

    def test_shared_namespace_folder_ops_leave_config_alone(self):
        owner = self.fresh_user()
        o = self.imap(owner)
        self.assertTrue(o.setmetadata(ENABLED, "yes").ok)
        other = self.fresh_user()
        self.assertTrue(o.ok("SETACL", quote(CHATS), other, "lrswipkxtecda"))
        c = self.imap(other)
        shared_chats = "shared/%s/COI/Chats" % owner
        c.select(shared_chats)
        c.ok("UNSELECT")
        # a refused RENAME would name COI/Chats: the rule does not apply
        # RENAME needs rights on the owner's COI (a \\Noselect parent
        # without ACL): refused by Dovecot's ACLs, not by the COI rule
        res = c.command("RENAME", quote(shared_chats), quote("shared/%s/COI/X" % owner))
        self.assertNotIn("COI chat folder", res.text)
        self.assertTrue(c.ok("DELETE", quote(shared_chats)))
        self.assertEqual(o.getmeta(ENABLED), "yes")
        c.command("CREATE", quote(shared_chats))
        self.assertEqual(o.getmeta(ENABLED), "yes")
        self.assertIsNone(c.getmeta(ENABLED))
        self.assertNotIn(CHATS, c.list_mailboxes())


class WithoutCoiPlugin(DovecotTestCase):
    """A Dovecot without the coi plugin for the user: folder operations on
    names like COI/Chats are ordinary."""
    dovecot_args = dict(mail_plugins="", imap_plugins="")

    def test_folder_ops_without_plugin(self):
        c = self.imap()
        self.assertTrue(c.ok("CREATE", quote(CHATS)))
        self.assertTrue(c.ok("RENAME", quote(CHATS), quote("Elsewhere")))
        self.assertTrue(c.ok("DELETE", quote("Elsewhere")))
