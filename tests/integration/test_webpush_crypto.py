"""Interoperability of the plugin's Web Push crypto with an independent
implementation: bodies made by webpush-ece.c (through the webpush-crypto
tool of tests/unit) decrypt with python3-cryptography's RFC 8291 code of
the test push receiver, and webpush-vapid.c's Authorization values verify
with its RFC 8292 code (WP-16, WP-17). The RFC vectors are in the unit
tests; here the keys and salts are random, as in real pushes."""

import base64
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from coitest.dovecot import build_dir
from coitest.pushreceiver import (Subscriber, VapidKey, b64u_decode, b64u_encode,
                                  parse_vapid_authorization, verify_vapid)

TOOL_DIR = os.path.join(build_dir(), "tests", "unit")
TOOL = os.path.join(TOOL_DIR, "webpush-crypto")
ENV = dict(os.environ, LD_LIBRARY_PATH="/usr/lib/dovecot")


def setUpModule():
    # built by make check; build it here too for --integration-only runs
    res = subprocess.run(["make", "-s", "-C", TOOL_DIR, "webpush-crypto"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("cannot build webpush-crypto:\n" + res.stdout + res.stderr)


def tool(*args, stdin=b""):
    return subprocess.run([TOOL] + [str(a) for a in args], input=stdin,
                          capture_output=True, env=ENV)


def encrypt(p256dh, auth, plaintext):
    res = tool("encrypt", p256dh, auth, stdin=plaintext)
    if res.returncode != 0:
        raise AssertionError("encrypt failed: %s" % res.stderr.decode())
    return b64u_decode(res.stdout.decode().strip())


class Encryption(unittest.TestCase):
    def test_bodies_decrypt_with_independent_code(self):
        for size in (0, 1, 41, 100, 1000, 3992, 3993):
            with self.subTest(size=size):
                sub = Subscriber()
                plaintext = os.urandom(size)
                body = encrypt(sub.p256dh, sub.auth_b64u, plaintext)
                self.assertEqual(len(body), 86 + size + 1 + 16)
                self.assertLessEqual(len(body), 4096)
                # header: salt, rs = 4096, idlen = 65, uncompressed keyid
                self.assertEqual(body[16:21], b"\x00\x00\x10\x00\x41")
                self.assertEqual(body[21], 0x04)
                self.assertEqual(sub.decrypt(body), plaintext)

    def test_fresh_salt_and_sender_key_per_push(self):
        sub = Subscriber()
        bodies = [encrypt(sub.p256dh, sub.auth_b64u, b"same text") for _ in range(3)]
        self.assertEqual(len({b[:16] for b in bodies}), 3)
        self.assertEqual(len({b[21:86] for b in bodies}), 3)
        # the sender key is never the receiver's
        self.assertNotIn(sub.public, [b[21:86] for b in bodies])
        for b in bodies:
            self.assertEqual(sub.decrypt(b), b"same text")

    def test_standard_base64_padded_keys(self):
        sub = Subscriber()
        p256dh = base64.b64encode(sub.public).decode()
        auth = base64.b64encode(sub.auth).decode()
        self.assertTrue(auth.endswith("=="))
        self.assertEqual(sub.decrypt(encrypt(p256dh, auth, b"padded keys")), b"padded keys")

    def test_plaintext_over_3993_octets_refused(self):
        sub = Subscriber()
        res = tool("encrypt", sub.p256dh, sub.auth_b64u, stdin=b"x" * 3994)
        self.assertEqual(res.returncode, 1)
        self.assertIn(b"too long", res.stderr)
        self.assertEqual(res.stdout, b"")

    def test_bad_keys_refused(self):
        sub = Subscriber()
        off_curve = sub.public[:-1] + bytes([sub.public[-1] ^ 1])
        compressed = bytes([2 + (sub.public[-1] & 1)]) + sub.public[1:33]
        for key, what in ((off_curve, b"curve"), (sub.public[:64], b"65-octet"),
                          (compressed, b"65-octet")):
            with self.subTest(what=what):
                res = tool("encrypt", b64u_encode(key), sub.auth_b64u, stdin=b"x")
                self.assertEqual(res.returncode, 1)
                self.assertIn(b"p256dh", res.stderr)
                self.assertIn(what, res.stderr)
        res = tool("encrypt", sub.p256dh, b64u_encode(sub.auth[:15]), stdin=b"x")
        self.assertEqual(res.returncode, 1)
        self.assertIn(b"16 octets", res.stderr)


class Vapid(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="coitest-vapid-")
        cls.key = VapidKey()
        cls.path = os.path.join(cls.dir, "vapid.pem")
        with open(cls.path, "wb") as f:
            f.write(cls.key.pem())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def authorizations(self, audience, *times, expire="", subject="mailto:admin@example.org"):
        res = tool("vapid", self.path, subject, expire, audience, *times)
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout.decode().splitlines()

    def test_authorization_verifies_with_independent_code(self):
        now = int(time.time())
        for origin in ("https://push.example.net", "https://push.example.net:8443",
                       "https://[::1]:8443"):
            with self.subTest(origin=origin):
                (value,) = self.authorizations(origin, now)
                claims = verify_vapid(value, origin, now=now)
                self.assertEqual(claims, {"aud": origin, "exp": now + 12 * 3600,
                                          "sub": "mailto:admin@example.org"})
                _, k = parse_vapid_authorization(value)
                self.assertEqual(k, self.key.public)
                self.assertRegex(value, r"^vapid t=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\."
                                        r"[A-Za-z0-9_-]{86}, k=[A-Za-z0-9_-]{87}$")

    def test_expire_and_https_subject(self):
        now = int(time.time())
        (value,) = self.authorizations("https://push.example.net", now, expire="1h",
                                       subject="https://example.org/contact")
        claims = verify_vapid(value, "https://push.example.net", now=now)
        self.assertEqual(claims["exp"], now + 3600)
        self.assertEqual(claims["sub"], "https://example.org/contact")

    def test_jwt_reused_then_renewed(self):
        t0 = int(time.time())
        values = self.authorizations("https://push.example.net", t0, t0 + 100,
                                     t0 + 9 * 3600, t0 + 9 * 3600 + 1)
        self.assertEqual(values[0], values[1])
        self.assertEqual(values[0], values[2])
        self.assertNotEqual(values[2], values[3])
        claims = verify_vapid(values[3], "https://push.example.net", now=t0 + 9 * 3600 + 1)
        self.assertEqual(claims["exp"], t0 + 9 * 3600 + 1 + 12 * 3600)

    def test_public_pem_is_the_key(self):
        res = tool("vapid-pem", self.path, "mailto:admin@example.org")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout, self.key.public_pem())

    def test_not_an_origin_refused(self):
        res = tool("vapid", self.path, "mailto:admin@example.org", "",
                   "https://push.example.net/path", int(time.time()))
        self.assertEqual(res.returncode, 1)
        self.assertIn(b"audience", res.stderr)


if __name__ == "__main__":
    unittest.main()
