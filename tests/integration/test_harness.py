"""The harness itself: it catches bad log lines, keeps instances apart, and
the shipped example configuration loads; make install puts the plugins
into Dovecot's module directory."""

import os
import smtplib
import subprocess
import tempfile
import unittest

from coitest import Dovecot, LogError, build_dir, message
from coitest.dovecot import SRC_DIR


class Harness(unittest.TestCase):
    def test_error_line_fails_unless_expected(self):
        with Dovecot(mail_plugins="coi no_such_plugin") as dc:
            dc.mark_log()
            try:
                code = dc.lmtp_deliver("alice", message()[1])[0]
            except smtplib.SMTPException:
                code = 421
            self.assertEqual(code // 100, 4)
            dc.wait_log(r"no_such_plugin")
            with self.assertRaises(LogError):
                dc.check_log()
            dc.expect_log(r"no_such_plugin")
            # the master's note on the failed child may come a bit later
            dc.expect_log(r"child \d+ returned error 89")
            dc.check_log()

    def test_two_instances_side_by_side(self):
        with Dovecot() as one, Dovecot() as two:
            self.assertNotEqual(one.dir, two.dir)
            self.assertNotEqual(one.imap_port, two.imap_port)
            self.assertEqual(one.lmtp_deliver("alice", message()[1])[0], 250)
            self.assertEqual(one.imap("alice").status("INBOX")["MESSAGES"], 1)
            self.assertEqual(two.imap("alice").status("INBOX")["MESSAGES"], 0)
            one.check_log()
            two.check_log()
        self.assertFalse(os.path.exists(one.dir))


class ExampleConfig(unittest.TestCase):
    """dovecot-coi.conf.example, included as an admin would, loads the
    plugins without a warning."""

    def test_example_config_loads_plugins(self):
        example = os.path.join(SRC_DIR, "dovecot-coi.conf.example")
        dc = Dovecot(mail_plugins="", imap_plugins="", attribute_dict=False,
                     extra_conf="!include %s\n" % example)
        with dc:
            dc.mark_log()
            c = dc.imap("alice")
            self.assertIn("COI", c.capabilities())
            c.logout()
            self.assertEqual(dc.lmtp_deliver("alice", message()[1])[0], 250)
            self.assertEqual(dc.lda_deliver("alice", message()[1]).returncode, 0)
            out = dc.doveadm("config", "-h", "mail_plugins").stdout.split()
            self.assertEqual(out[-4:], ["coi", "notify", "push_notification", "push_coi"])
            dc.check_log()


class Install(unittest.TestCase):
    def test_make_install_into_module_dir(self):
        with tempfile.TemporaryDirectory() as dest:
            res = subprocess.run(["make", "-C", build_dir(), "install", "DESTDIR=" + dest],
                                 capture_output=True, text=True)
            self.assertEqual(res.returncode, 0, res.stderr)
            moddir = os.path.join(dest, "usr/lib/dovecot/modules")
            self.assertEqual(sorted(os.listdir(moddir)),
                             ["doveadm", "lib30_push_coi_plugin.so", "lib95_coi_plugin.so",
                              "lib95_imap_coi_plugin.so"])
            self.assertEqual(sorted(os.listdir(os.path.join(moddir, "doveadm"))),
                             ["lib95_doveadm_coi_plugin.so",
                              "lib95_doveadm_push_coi_plugin.so"])
