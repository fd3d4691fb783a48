"""The Debian package: dpkg-buildpackage builds a dovecot-coi .deb that
depends on the Dovecot ABI it was built against; installed, the system's
Dovecot loads its plugins from the module dir with the shipped conf.d
snippet enabled. The package is purged afterwards."""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from coitest import Dovecot, message
from coitest.dovecot import SRC_DIR
from coitest.webpush import service_conf

SNIPPET = "/etc/dovecot/conf.d/95-coi.conf.disabled"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if run(["dpkg-query", "-W", "dovecot-coi"]).returncode == 0:
            raise unittest.SkipTest("dovecot-coi is installed on this machine; not touching it")
        cls.tmp = tempfile.mkdtemp(prefix="coideb-")
        src = os.path.join(cls.tmp, "dovecot-coi")
        os.mkdir(src)
        # The tracked files only, as in a clean checkout.
        files = run(["git", "-C", SRC_DIR, "ls-files", "-z"]).stdout.split("\0")
        for f in filter(None, files):
            if not os.path.exists(os.path.join(SRC_DIR, f)):
                continue
            os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
            shutil.copy2(os.path.join(SRC_DIR, f), os.path.join(src, f))
        res = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src)
        if res.returncode != 0:
            raise AssertionError("dpkg-buildpackage failed:\n" + res.stdout[-4000:] + res.stderr[-4000:])
        cls.deb = os.path.join(cls.tmp, "dovecot-coi_%s_amd64.deb" % cls.version(src))

    @staticmethod
    def version(src):
        with open(os.path.join(src, "debian", "changelog")) as f:
            return f.readline().split("(")[1].split(")")[0]

    @classmethod
    def tearDownClass(cls):
        run(["dpkg", "--purge", "dovecot-coi"])
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_package_contents_and_abi_dependency(self):
        with open("/usr/share/dovecot/dovecot-abi") as f:
            abi = f.read().strip()
        depends = run(["dpkg-deb", "-f", self.deb, "Depends"]).stdout
        self.assertIn("dovecot-abi-" + abi, depends)
        contents = run(["dpkg-deb", "-c", self.deb]).stdout
        for path in ("./usr/lib/dovecot/modules/lib95_coi_plugin.so",
                     "./usr/lib/dovecot/modules/lib95_imap_coi_plugin.so",
                     "./usr/lib/dovecot/modules/lib30_push_coi_plugin.so",
                     "./usr/lib/dovecot/modules/doveadm/lib95_doveadm_coi_plugin.so",
                     "./usr/lib/dovecot/modules/doveadm/lib95_doveadm_push_coi_plugin.so",
                     "./usr/lib/dovecot/webpush",
                     "." + SNIPPET,
                     "./usr/share/doc/dovecot-coi/README.md"):
            self.assertIn(path, contents)
        self.assertNotIn(".la\n", contents)

    def test_installed_package_loads_in_system_dovecot(self):
        res = run(["dpkg", "-i", self.deb])
        self.assertEqual(res.returncode, 0, res.stderr)
        try:
            self.assertTrue(os.path.exists(SNIPPET))
            # The system's doveconf accepts the snippet once enabled.
            # with the package's Web Push service, started with Dovecot
            conf = Dovecot(mail_plugins="", imap_plugins="", attribute_dict=False,
                           module_dir="system",
                           extra_conf="!include %s\n" % SNIPPET + service_conf(
                               min_avail=1, executable="/usr/lib/dovecot/webpush"))
            with conf as dc:
                dc.mark_log()
                plugins = run(["doveconf", "-c", dc.config_path, "-h", "mail_plugins"]).stdout.split()
                self.assertIn("coi", plugins)
                self.assertIn("push_coi", plugins)
                c = dc.imap("alice")
                self.assertIn("COI", c.capabilities())
                c.logout()
                self.assertEqual(dc.lmtp_deliver("alice", message()[1])[0], 250)
                # the system's doveadm loads the package's doveadm plugins
                res = dc.doveadm("-f", "flow", "coi", "status", "-u", "alice")
                self.assertRegex(res.stdout, r"^enabled=(yes|no) message-filter=")
                res = dc.doveadm("webpush", "vapid", "generate")
                self.assertIn("-----BEGIN PRIVATE KEY-----", res.stdout)
                # the installed service runs (and answers the handshake)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect(os.path.join(dc.dir, "run", "webpush"))
                s.sendall(b"VERSION\twebpush-client\t2\t0\n")
                self.assertEqual(s.makefile("rb").readline(), b"VERSION\twebpush-server\t2\t0\n")
                s.close()
                dc.check_log()
        finally:
            run(["dpkg", "--purge", "dovecot-coi"])
        self.assertFalse(os.path.exists("/usr/lib/dovecot/modules/lib95_coi_plugin.so"))
