"""doveadm webpush ...: the doveadm plugin lib95_doveadm_push_coi_plugin.so
of the build tree against a real Dovecot with push_coi."""

import base64
import os
import re
import shutil
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import test_webpush_metadata as wpm
import test_webpush_push as wpp
from coitest import Answer, DovecotTestCase, flow_records
from coitest.dovecot import MAIL_UID, MAIL_GID
from coitest.webpush import TokenTestCase, sub_entry

PUSH_PLUGINS = "coi notify push_notification push_coi"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VapidGenerate(DovecotTestCase):
    """doveadm webpush vapid generate prints a key file that push_coi
    loads as webpush_vapid_key."""

    key_dir = tempfile.mkdtemp(prefix="coitest-vapid-")
    os.chmod(key_dir, 0o755)
    key_path = os.path.join(key_dir, "vapid.pem")
    dovecot_args = dict(mail_plugins=PUSH_PLUGINS, imap_plugins="imap_coi", debug=True,
                        plugin={"webpush_vapid_key": key_path,
                                "webpush_vapid_subject": "mailto:postmaster@example.com"})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.key_dir, ignore_errors=True)

    def generate(self):
        res = self.dc.doveadm("webpush", "vapid", "generate")
        self.assertEqual(res.stderr, "")
        m = re.search(r"^VAPID public key \(base64url\): ([A-Za-z0-9_-]+)$", res.stdout, re.M)
        self.assertIsNotNone(m, res.stdout)
        return res.stdout, m.group(1)

    def test_key_is_p256_and_matches_its_public_keys(self):
        out, b64 = self.generate()
        priv = serialization.load_pem_private_key(out.encode(), password=None)
        self.assertIsInstance(priv, ec.EllipticCurvePrivateKey)
        self.assertEqual(priv.curve.name, "secp256r1")
        point = priv.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        self.assertEqual(b64url_decode(b64), point)
        pem = re.search(r"-----BEGIN PUBLIC KEY-----\n.*?-----END PUBLIC KEY-----\n",
                        out, re.S).group(0)
        pub = serialization.load_pem_public_key(pem.encode())
        self.assertEqual(pub.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint), point)
        # unencrypted PKCS#8
        self.assertTrue(out.startswith("-----BEGIN PRIVATE KEY-----\n"))
        # a new key each time
        self.assertNotEqual(self.generate()[1], b64)

    def test_push_coi_loads_the_output_as_key_file(self):
        out, b64 = self.generate()
        with open(self.key_path, "w") as f:
            f.write(out)
        os.chown(self.key_path, MAIL_UID, MAIL_GID)
        os.chmod(self.key_path, 0o600)
        self.imap("alice").capabilities()
        self.dc.wait_log(r"VAPID key %s, public key %s$" % (re.escape(self.key_path), b64))

    def test_usage_on_extra_arguments(self):
        res = self.dc.doveadm("webpush", "vapid", "generate", "now", check=False)
        self.assertEqual(res.returncode, 64)
        self.assertIn("Unexpected argument: now", res.stderr)
        self.assertIn("doveadm webpush vapid generate", res.stderr)
        self.assertEqual(res.stdout, "")




class Subscriptions(TokenTestCase):
    """doveadm webpush list|remove and the subscription counts of doveadm
    coi status, on subscriptions made over IMAP."""

    @classmethod
    def extra_args(cls):
        return {"users": ("alice", "bob", "carol", "dave", "erin"), "iterable_users": True}

    def subscribe(self, user, sub_id, endpoint, msgtype="all", validate=False):
        c = self.imap(user)
        value = wpm.sub_value(device="phone-" + sub_id, msgtype=msgtype, endpoint=endpoint)
        res = c.setmetadata(sub_entry(sub_id), value)
        self.assertTrue(res.ok, res)
        if validate:
            token = self.token(user, sub_id, endpoint)
            res = c.setmetadata(sub_entry(sub_id) + "/validate", token)
            self.assertTrue(res.ok, res)

    def listing(self, user):
        res = self.dc.doveadm("-f", "flow", "webpush", "list", "-u", user)
        return {r["id"]: r for r in flow_records(res.stdout)}

    def test_list(self):
        self.subscribe("alice", "Phone-0001", "https://push.example.net:8443/p/secret-path?x=1",
                       msgtype="chat", validate=True)
        self.subscribe("alice", "tablet-0002", "https://push.example.org/other/secret")
        subs = self.listing("alice")
        self.assertEqual(set(subs), {"phone-0001", "tablet-0002"})
        phone = subs["phone-0001"]
        self.assertEqual((phone["client"], phone["device"], phone["msgtype"], phone["validated"]),
                         ("coitest", "phone-Phone-0001", "chat", "yes"))
        # the origin only, never the path that identifies the subscriber
        self.assertEqual(phone["endpoint-origin"], "https://push.example.net:8443")
        self.assertEqual(subs["tablet-0002"]["validated"], "no")
        self.assertRegex(phone["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        res = self.dc.doveadm("webpush", "list", "-u", "alice")
        self.assertNotIn("secret", res.stdout)
        self.assertEqual(self.listing("bob"), {})

    def test_coi_status_counts_subscriptions(self):
        self.subscribe("carol", "carol-0001", "https://push.example.net/a", validate=True)
        self.subscribe("carol", "carol-0002", "https://push.example.net/b")
        self.subscribe("carol", "carol-0003", "https://push.example.net/c", validate=True)
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-u", "carol")
        rec = flow_records(res.stdout)[0]
        self.assertEqual((rec["subscriptions"], rec["validated"]), ("3", "2"))
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-A")
        recs = {r["username"]: r for r in flow_records(res.stdout)}
        self.assertEqual(recs["carol"]["subscriptions"], "3")
        self.assertEqual((recs["erin"]["subscriptions"], recs["erin"]["validated"]), ("0", "0"))

    def test_remove(self):
        self.subscribe("dave", "dave-phone-1", "https://push.example.net/d1", validate=True)
        self.subscribe("dave", "dave-phone-2", "https://push.example.net/d2")
        # IDs compare case-insensitively, as METADATA entry names do
        res = self.dc.doveadm("webpush", "remove", "-u", "dave", "DAVE-phone-1")
        self.assertEqual(res.stdout, "")
        self.assertEqual(set(self.listing("dave")), {"dave-phone-2"})
        c = self.imap("dave")
        self.assertIsNone(c.getmeta(sub_entry("dave-phone-1")))
        self.assertIsNotNone(c.getmeta(sub_entry("dave-phone-2")))
        # a second time: not found, exit code 68 (EX_NOUSER, doveadm's "not found")
        res = self.dc.doveadm("webpush", "remove", "-u", "dave", "dave-phone-1", check=False)
        self.assertEqual(res.returncode, 68, res.stderr)
        self.assertIn("User dave has no subscription dave-phone-1", res.stderr)

    def assert_usage(self, res, command, message):
        self.assertEqual(res.returncode, 64, res.stdout + res.stderr)
        self.assertIn(message, res.stderr)
        self.assertIn("doveadm %s [-u <user>|-A]" % command, res.stderr)

    def test_usage(self):
        self.assert_usage(self.dc.doveadm("webpush", "remove", "-u", "alice", check=False),
                          "webpush remove", "Missing the subscription ID")
        self.assert_usage(self.dc.doveadm("webpush", "remove", "-u", "alice", "short", check=False),
                          "webpush remove", "Invalid subscription ID: short")
        self.assert_usage(self.dc.doveadm("webpush", "remove", "-u", "alice", "abcdefghij",
                                          "more", check=False),
                          "webpush remove", "Unexpected argument: more")
        self.assert_usage(self.dc.doveadm("webpush", "list", "-u", "alice", "x", check=False),
                          "webpush list", "Unexpected argument: x")
        res = self.dc.doveadm("webpush", check=False)
        self.assertEqual(res.returncode, 64)
        for cmd in ("list", "remove", "vapid"):
            self.assertRegex(res.stderr, r"\n  %s " % cmd)



class InvalidPushSettings(DovecotTestCase):
    """push_coi loaded with invalid subscription settings: coi status still
    shows the COI part, marks the subscription columns as an error and
    exits with 75 (EX_TEMPFAIL)."""
    dovecot_args = dict(mail_plugins=PUSH_PLUGINS, imap_plugins="imap_coi",
                        plugin={"webpush_subscription_limit": "many"})

    def test_status_with_broken_push_settings(self):
        res = self.dc.doveadm("-f", "flow", "coi", "status", "-u", "alice", check=False)
        self.assertEqual(res.returncode, 75, res.stderr)
        rec = flow_records(res.stdout)[0]
        self.assertEqual((rec["enabled"], rec["subscriptions"], rec["validated"]),
                         ("no", "error", "error"))
        self.assertIn("coi status for user alice: subscriptions: "
                      "the WebPush settings are invalid", res.stderr)
        res = self.dc.doveadm("webpush", "list", "-u", "alice", check=False)
        self.assertEqual(res.returncode, 75)
        self.assertIn("webpush list for user alice: the WebPush settings are invalid",
                      res.stderr)


class WebpushTest(wpp.PushCase):
    """doveadm webpush test <id>: a push through the same sender as every
    other push, to the real HTTPS receiver; the push service's answer is
    printed."""

    def run_test(self, user, name, *opts):
        res = self.dc.doveadm(*opts, "-f", "flow", "webpush", "test", "-u", user,
                              name + "-subscription", check=False)
        recs = flow_records(res.stdout)
        return res, (recs[0] if recs else None)

    def test_delivered(self):
        c = self.imap("t1")
        self.subscribe(c, "t1", "t1-phone")
        res, rec = self.run_test("t1", "t1-phone")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual((rec["id"], rec["result"], rec["status"], rec["attempts"]),
                         ("t1-phone-subscription", "delivered", "201", "1"))
        # the receiver got it: VAPID-signed, decrypted with the subscription's keys
        req = self.rx.wait_requests("t1-phone", 2)[-1]
        self.assertIsNone(req.vapid_error)
        self.assertIsNone(req.decrypt_error)
        payload = req.json()
        self.assertEqual(payload["test"], "doveadm webpush test")
        self.assertRegex(payload["date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_rejected_answer_is_printed(self):
        c = self.imap("t2")
        self.subscribe(c, "t2", "t2-phone")
        self.rx.answer("t2-phone", Answer(403, body=b"bad VAPID claim"))
        res, rec = self.run_test("t2", "t2-phone")
        self.assertEqual(res.returncode, 65, res.stderr)
        self.assertEqual((rec["result"], rec["status"]), ("rejected", "403"))
        self.assertIn("HTTP 403: bad VAPID claim", res.stdout)

    def test_gone_removes_the_subscription(self):
        c = self.imap("t3")
        self.subscribe(c, "t3", "t3-phone")
        self.rx.answer("t3-phone", 410)
        res, rec = self.run_test("t3", "t3-phone")
        self.assertEqual(res.returncode, 68, res.stderr)
        self.assertEqual((rec["result"], rec["status"]), ("gone", "410"))
        self.assertIsNone(c.getmeta(wpp.sub_entry("t3-phone")))
        self.assertEqual(self.subscriptions(c), {})

    def test_transient_answer_without_retry(self):
        c = self.imap("t4")
        self.subscribe(c, "t4", "t4-phone")
        self.rx.answer("t4-phone", 503)
        res, rec = self.run_test("t4", "t4-phone", "-o", "plugin/webpush_max_retry_time=0")
        self.assertEqual(res.returncode, 75, res.stderr)
        self.assertEqual((rec["result"], rec["status"], rec["attempts"]),
                         ("expired", "503", "1"))
        # the subscription stays
        self.assertIsNotNone(c.getmeta(wpp.sub_entry("t4-phone")))

    def test_unknown_id_and_usage(self):
        res, rec = self.run_test("t5", "t5-none")
        self.assertEqual(res.returncode, 68)
        self.assertIn("User t5 has no subscription t5-none-subscription", res.stderr)
        res = self.dc.doveadm("webpush", "test", "-u", "t5", check=False)
        self.assertEqual(res.returncode, 64)
        self.assertIn("Missing the subscription ID", res.stderr)
        self.assertIn("doveadm webpush test [-u <user>|-A]", res.stderr)
