"""doveadm webpush ...: the doveadm plugin lib95_doveadm_push_coi_plugin.so
of the build tree against a real Dovecot with push_coi."""

import base64
import os
import re
import shutil
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from coitest import DovecotTestCase
from coitest.dovecot import MAIL_UID, MAIL_GID

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
