"""VAPID settings of push_coi (webpush_vapid_key, webpush_vapid_subject,
webpush_vapid_expire) are read when a user is created, in imap, lmtp and
lda: a valid key loads (its public key is logged with mail_debug), a
missing or wrong one gives an error naming the setting, and IMAP and
deliveries keep working either way (WP-17)."""

import os
import shutil
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from coitest import DovecotTestCase, message
from coitest.dovecot import MAIL_UID, MAIL_GID
from coitest.pushreceiver import VapidKey, b64u_encode

PUSH = dict(mail_plugins="coi notify push_notification push_coi",
            imap_plugins="imap_coi")


def write_key(directory, name, pem, owner=(MAIL_UID, MAIL_GID)):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)
    os.chown(path, *owner)
    return path


def pkcs8(private_key):
    return private_key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


class VapidCase(DovecotTestCase):
    """Writes the key files into a private directory before Dovecot starts;
    settings() returns the plugin settings for them."""

    @classmethod
    def settings(cls):
        return {}

    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="coitest-vapid-")
        os.chmod(cls.keydir, 0o755)
        cls.vapid = VapidKey()
        cls.good_key = write_key(cls.keydir, "vapid.pem", cls.vapid.pem())
        cls.dovecot_args = dict(PUSH, debug=True, plugin=cls.settings())
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.keydir, ignore_errors=True)

    def assert_mail_works(self, user):
        self.assertEqual(self.dc.lmtp_deliver(user, message()[1])[0], 250)
        res = self.dc.lda_deliver(user, message()[1])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(self.imap(user).status("INBOX")["MESSAGES"], 2)


class ValidVapidKey(VapidCase):
    @classmethod
    def settings(cls):
        return {"webpush_vapid_key": cls.good_key,
                "webpush_vapid_subject": "mailto:admin@example.org",
                "webpush_vapid_expire": "6h"}

    def test_key_loads_in_imap_lmtp_lda(self):
        self.assert_mail_works("alice")
        public = b64u_encode(self.vapid.public)
        for proto in ("imap", "lmtp", "lda"):
            self.dc.wait_log(r"%s\(alice.*push-coi: VAPID key %s, public key %s"
                             % (proto, self.good_key, public))
        # tearDown fails on any Error line in the log


class NoVapidKey(VapidCase):
    def test_unset_key_is_not_an_error(self):
        self.assert_mail_works("bob")
        self.dc.wait_log(r"imap\(bob.*push-coi: webpush_vapid_key is not set")


class WrongCurve(VapidCase):
    @classmethod
    def settings(cls):
        p384 = write_key(cls.keydir, "p384.pem",
                         pkcs8(ec.generate_private_key(ec.SECP384R1())))
        return {"webpush_vapid_key": p384,
                "webpush_vapid_subject": "mailto:admin@example.org"}

    def test_p384_key_is_refused_by_name(self):
        self.dc.expect_log(r"Error: .*push-coi: webpush_vapid_key: .*p384\.pem is an "
                           r"EC key on secp384r1, not on P-256 \(prime256v1\): "
                           r"no Web Push for this user")
        self.assert_mail_works("carol")
        self.dc.wait_log(r"lmtp\(carol.*Error: .*webpush_vapid_key: .*secp384r1")


class UnreadableKey(VapidCase):
    @classmethod
    def settings(cls):
        root_only = write_key(cls.keydir, "root-only.pem", VapidKey().pem(),
                              owner=(0, 0))
        return {"webpush_vapid_key": root_only,
                "webpush_vapid_subject": "mailto:admin@example.org"}

    def test_unreadable_key_is_refused_by_name(self):
        self.dc.expect_log(r"Error: .*push-coi: webpush_vapid_key: "
                           r"open\(.*root-only\.pem\) failed: Permission denied")
        self.assert_mail_works("dave")
        self.dc.wait_log(r"imap\(dave.*Error: .*webpush_vapid_key: .*Permission denied")


class MissingKeyFile(VapidCase):
    @classmethod
    def settings(cls):
        return {"webpush_vapid_key": os.path.join(cls.keydir, "nothere.pem"),
                "webpush_vapid_subject": "mailto:admin@example.org"}

    def test_missing_file_is_refused_by_name(self):
        self.dc.expect_log(r"Error: .*push-coi: webpush_vapid_key: cannot open "
                           r".*nothere\.pem: No such file or directory")
        self.assert_mail_works("erin")


class BadSubject(VapidCase):
    @classmethod
    def settings(cls):
        return {"webpush_vapid_key": cls.good_key,
                "webpush_vapid_subject": "admin@example.org"}

    def test_subject_without_scheme_is_refused_by_name(self):
        self.dc.expect_log(r"Error: .*push-coi: webpush_vapid_subject must be a "
                           r"mailto: or https: URI, not 'admin@example\.org'")
        self.assert_mail_works("frank")


class BadExpire(VapidCase):
    @classmethod
    def settings(cls):
        return {"webpush_vapid_key": cls.good_key,
                "webpush_vapid_subject": "https://example.org/contact",
                "webpush_vapid_expire": "48h"}

    def test_lifetime_over_24h_is_refused_by_name(self):
        self.dc.expect_log(r"Error: .*push-coi: webpush_vapid_expire must be between "
                           r"1 minute and 24 hours")
        self.assert_mail_works("grace")
