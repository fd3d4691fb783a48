"""The quick-start demo (scripts/demo.py, what ./demo.sh runs after building)
starts, files the chat message into COI/Chats and the plain mail into INBOX,
answers WebPush METADATA with its VAPID key, and stops again."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from coitest.dovecot import SRC_DIR, build_dir, free_port
from coitest.imap import ImapClient

try:
    import coitest.webpush  # noqa: F401
    HAVE_WEBPUSH_METADATA = True
except ImportError:
    HAVE_WEBPUSH_METADATA = False

DEMO = os.path.join(SRC_DIR, "scripts", "demo.py")


class Demo(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coitest-demo-")
        os.chmod(self.tmp, 0o755)
        self.env = dict(os.environ, DEMO_DIR=os.path.join(self.tmp, "demo"),
                        DEMO_IMAP_PORT=str(free_port()), DEMO_LMTP_PORT=str(free_port()),
                        COI_BUILD_DIR=build_dir())

    def tearDown(self):
        subprocess.run([sys.executable, DEMO, "stop"], env=self.env, capture_output=True,
                       timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def demo(self, *args, env=None):
        return subprocess.run([sys.executable, DEMO] + list(args), env=env or self.env,
                              capture_output=True, text=True, timeout=120)

    def test_start_status_stop(self):
        res = self.demo("start")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        out = res.stdout
        self.assertIn("CAPABILITY has: COI METADATA WEBPUSH", out)
        chats = out.index("COI/Chats    1 message(s)")
        self.assertIn("<chat$group.DemoGroup1234.abc@example.org>", out[chats:].splitlines()[1])
        self.assertIn("INBOX        1 message(s)", out)
        # WebPush end to end: subscribed, validated with the token of the
        # validation push, and the chat message pushed (decrypted payload)
        self.assertRegex(out, r"SETMETADATA \S+/alice-phone-demo/validate <token> -> OK")
        pushed = out.index("the push service got the push for the chat message (VAPID verified")
        payload = json.loads(out[pushed:].splitlines()[1])
        self.assertEqual(payload["folder"], "COI/Chats")
        self.assertEqual(payload["group-id"], "DemoGroup1234")
        self.assertNotIn("the Dovecot log has errors", out)
        self.assertIn("running", self.demo("status").stdout)
        self.assertEqual(self.demo("stop").returncode, 0)
        self.assertIn("not running", self.demo("status").stdout)
        self.assertFalse(os.path.exists(self.env["DEMO_DIR"]))

    def test_demo_settings(self):
        env = dict(self.env, DEMO_SETTINGS="webpush_validation_fail_max=0 coi_default_enabled=yes")
        res = self.demo("start", env=env)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        with open(os.path.join(self.env["DEMO_DIR"], "dovecot.conf")) as f:
            conf = f.read()
        self.assertIn("webpush_validation_fail_max = 0", conf)
        self.assertIn("coi_default_enabled = yes", conf)
        bad = self.demo("start", env=dict(self.env, DEMO_SETTINGS="novalue"))
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("DEMO_SETTINGS", bad.stderr)

    @unittest.skipUnless(HAVE_WEBPUSH_METADATA,
                         "needs the WebPush METADATA (branch push-imap), not on main yet")
    def test_vapid_key(self):
        res = self.demo("start")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        c = ImapClient("127.0.0.1", int(self.env["DEMO_IMAP_PORT"]))
        c.login("someone", "secret")
        vapid = c.getmeta("/private/vendor/vendor.dovecot/webpush/vapid")
        c.logout()
        self.assertTrue(vapid and vapid.startswith("-----BEGIN PUBLIC KEY-----"), vapid)
