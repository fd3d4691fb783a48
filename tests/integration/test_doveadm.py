"""doveadm coi status|enable|disable: the doveadm plugin of the build tree
(lib95_doveadm_coi_plugin.so) against a real Dovecot, with -u, -A and -F,
and a usage text on bad arguments."""

import os
import tempfile

from coitest import DovecotTestCase, flow_records

C = "/private/vendor/vendor.dovecot/coi/config"




class CoiCommands(DovecotTestCase):
    users = ("alice", "bob", "carol", "dave", "erin", "frank", "gina")
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        users=users, iterable_users=True)

    def status(self, user):
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-u", user)
        recs = flow_records(res.stdout)
        self.assertEqual(len(recs), 1, res.stdout)
        return recs[0]

    def test_status_of_a_new_user(self):
        self.assertEqual(self.status("alice"), {
            "enabled": "no", "message-filter": "none", "mailbox-root": "COI",
            "chats": "no", "contacts": "no",
            # push_coi is not loaded
            "subscriptions": "-", "validated": "-"})

    def test_enable_as_setmetadata_does(self):
        res = self.dc.doveadm("coi", "enable", "-u", "bob")
        self.assertIn("doveadm(bob): Info: coi: COI enabled (doveadm coi enable)", res.stderr)
        st = self.status("bob")
        self.assertEqual(st["enabled"], "yes")
        self.assertEqual(st["message-filter"], "none")
        self.assertEqual((st["chats"], st["contacts"]), ("yes", "yes"))
        c = self.imap("bob")
        self.assertEqual(c.getmeta(C + "/enabled"), "yes")
        self.assertIn("COI/Chats", c.list_mailboxes())
        self.assertIn("COI/Contacts", c.list_mailboxes())
        self.assertIn("COI/Chats", c.subscribed())

    def test_enable_with_filter(self):
        self.dc.doveadm("coi", "enable", "--filter", "seen", "-u", "carol")
        st = self.status("carol")
        self.assertEqual((st["enabled"], st["message-filter"]), ("yes", "seen"))
        self.assertEqual(self.imap("carol").getmeta(C + "/message-filter"), "seen")
        # the short option, and a change of filter
        self.dc.doveadm("coi", "enable", "-f", "active", "-u", "carol")
        self.assertEqual(self.status("carol")["message-filter"], "active")
        self.assertEqual(self.imap("carol").getmeta(C + "/message-filter"), "active")

    def test_disable(self):
        self.dc.doveadm("coi", "enable", "-u", "dave")
        res = self.dc.doveadm("coi", "disable", "-u", "dave")
        self.assertIn("Info: coi: COI disabled (doveadm coi disable)", res.stderr)
        st = self.status("dave")
        self.assertEqual((st["enabled"], st["message-filter"]), ("no", "none"))
        # folders stay, the C/enabled entry is gone
        self.assertEqual(st["chats"], "yes")
        self.assertIsNone(self.imap("dave").getmeta(C + "/enabled"))

    def test_setmetadata_shows_in_status(self):
        c = self.imap("erin")
        self.assertTrue(c.setmetadata(C + "/enabled", "yes").ok)
        self.assertEqual(self.status("erin")["enabled"], "yes")

    def test_all_users_and_user_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".users", delete=False) as f:
            f.write("frank\ngina\n")
        self.addCleanup(os.unlink, f.name)
        self.dc.doveadm("coi", "enable", "-F", f.name)
        for user in ("frank", "gina"):
            self.assertEqual(self.status(user)["enabled"], "yes")
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-A")
        recs = {r["username"]: r for r in flow_records(res.stdout)}
        self.assertEqual(set(recs), set(self.users))
        self.assertEqual(recs["frank"]["enabled"], "yes")
        self.assertEqual(recs["alice"]["enabled"], "no")
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-F", f.name)
        self.assertEqual([r["username"] for r in flow_records(res.stdout)],
                         ["frank", "gina"])

    def assert_usage(self, res, command):
        self.assertEqual(res.returncode, 64, res.stdout + res.stderr)
        self.assertIn("doveadm %s " % command, res.stderr)
        self.assertIn("[-u <user>|-A]", res.stderr)

    def test_usage_bad_filter(self):
        res = self.dc.doveadm("coi", "enable", "--filter", "Seen", "-u", "alice", check=False)
        self.assert_usage(res, "coi enable")
        self.assertIn("Invalid --filter value: Seen", res.stderr)
        self.assertIn("[--filter none|active|seen]", res.stderr)
        self.assertEqual(self.status("alice")["enabled"], "no")

    def test_usage_extra_arguments(self):
        for cmd in ("status", "enable", "disable"):
            res = self.dc.doveadm("coi", cmd, "-u", "alice", "extra", check=False)
            self.assert_usage(res, "coi " + cmd)
            self.assertIn("Unexpected argument: extra", res.stderr)
        self.assertEqual(self.status("alice")["enabled"], "no")

    def test_usage_without_subcommand(self):
        res = self.dc.doveadm("coi", check=False)
        self.assertEqual(res.returncode, 64)
        for cmd in ("status", "enable", "disable"):
            self.assertRegex(res.stderr, r"\n  %s +\[-u <user>\|-A\]" % cmd)


class AllUsers(DovecotTestCase):
    """A bulk rollout: doveadm coi enable -A, then disable -A."""
    users = ("alice", "bob", "carol")
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        users=users, iterable_users=True)

    def test_enable_all_users(self):
        self.dc.doveadm("coi", "enable", "-A")
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-A")
        recs = flow_records(res.stdout)
        self.assertEqual(sorted(r["username"] for r in recs), sorted(self.users))
        self.assertEqual(len(recs), len(self.users))
        self.assertTrue(all(r["enabled"] == "yes" and r["chats"] == "yes" for r in recs), recs)
        self.dc.doveadm("coi", "disable", "-A")
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-A")
        self.assertTrue(all(r["enabled"] == "no" for r in flow_records(res.stdout)))


class WithoutCoiPlugin(DovecotTestCase):
    """Without coi in mail_plugins doveadm does not load the doveadm
    plugin (its coi symbols are missing): the commands do not exist."""
    dovecot_args = dict(mail_plugins="", imap_plugins="")

    def test_no_coi_commands(self):
        res = self.dc.doveadm("coi", "status", "-u", "alice", check=False)
        self.assertEqual(res.returncode, 75)
        self.assertIn("Unknown command 'coi', but plugin coi exists. "
                      "Try to set mail_plugins=coi", res.stderr)
        self.assertEqual(res.stdout, "")

    def test_one_off_mail_plugins(self):
        res = self.dc.doveadm("-o", "mail_plugins=coi", "-f", "flow", "coi", "status",
                              "-u", "alice")
        self.assertEqual(flow_records(res.stdout)[0]["enabled"], "no")
