"""Foundation: the plugins load into a real Dovecot in imap, lmtp and lda,
and IMAP announces COI and WEBPUSH after login only (CS-05, WP-01)."""

from coitest import DovecotTestCase, message
from coitest.webpush import WebPushTestCase


class CoiOnly(DovecotTestCase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi")

    def test_capability_before_login_has_no_coi(self):
        c = self.imap(login=False)
        caps = c.capabilities()
        self.assertIn("IMAP4REV1", caps)
        self.assertNotIn("COI", caps)
        self.assertNotIn("WEBPUSH", caps)
        self.assertNotIn("COI", c.greeting.upper())

    def test_capability_after_login_has_coi_not_webpush(self):
        c = self.imap()
        caps = c.capabilities()
        self.assertIn("COI", caps)
        self.assertNotIn("WEBPUSH", caps)

    def test_lmtp_delivery_with_plugins_loaded(self):
        _, msg = message(subject="lmtp plain")
        code, _ = self.dc.lmtp_deliver("bob", msg)
        self.assertEqual(code, 250)
        self.assertEqual(self.imap("bob").status("INBOX")["MESSAGES"], 1)

    def test_lda_delivery_with_plugins_loaded(self):
        _, msg = message(subject="lda plain")
        res = self.dc.lda_deliver("carol", msg)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, b"")
        self.assertEqual(self.imap("carol").status("INBOX")["MESSAGES"], 1)


class CoiAndPush(WebPushTestCase):
    """coi and push_coi with a VAPID key (WEBPUSH needs WebPush configured)."""
    with_receiver = False

    def test_capability_after_login_has_coi_and_webpush(self):
        c = self.imap()
        caps = c.capabilities()
        self.assertIn("COI", caps)
        self.assertIn("WEBPUSH", caps)

    def test_capability_before_login_has_neither(self):
        caps = self.imap(login=False).capabilities()
        self.assertNotIn("COI", caps)
        self.assertNotIn("WEBPUSH", caps)

    def test_plugins_load_in_lmtp_and_lda(self):
        _, msg = message(subject="both")
        self.assertEqual(self.dc.lmtp_deliver("alice", msg)[0], 250)
        res = self.dc.lda_deliver("alice", msg)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(self.imap("alice").status("INBOX")["MESSAGES"], 2)


class WithoutImapCoi(DovecotTestCase):
    """coi loaded but not imap_coi: no capability is announced."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="")

    def test_no_capability_without_imap_coi(self):
        self.assertNotIn("COI", self.imap().capabilities())



class LoadedEverywhere(DovecotTestCase):
    """With mail_debug, both mail plugins say they are active for the user
    in each of imap, lmtp and lda."""
    dovecot_args = dict(mail_plugins="coi notify push_notification push_coi",
                        imap_plugins="imap_coi", debug=True)

    def test_plugins_active_in_imap_lmtp_lda(self):
        self.imap("dave").capabilities()
        self.assertEqual(self.dc.lmtp_deliver("dave", message()[1])[0], 250)
        self.assertEqual(self.dc.lda_deliver("dave", message()[1]).returncode, 0)
        for proto in ("imap", "lmtp", "lda"):
            for plugin in ("coi", "push-coi"):
                self.dc.wait_log(r"%s\(dave[@)].*Debug: .*%s: plugin loaded for user" % (proto, plugin))
