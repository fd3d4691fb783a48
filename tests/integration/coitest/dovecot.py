"""A private, real Dovecot for one test module.

Each instance gets its own temporary directory (base_dir, state_dir, config,
log, homes), free loopback ports for IMAP and LMTP, and a mail_plugin_dir
that holds Debian's plugins plus the ones of the build tree. Nothing is
global: two test runs side by side do not collide.
"""

import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time

from .imap import ImapClient

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
DOVECOT_LDA = "/usr/lib/dovecot/dovecot-lda"
SYSTEM_MODULE_DIR = "/usr/lib/dovecot/modules"
# doveadm loads its plugins from this compiled-in directory only.
SYSTEM_DOVEADM_MODULE_DIR = "/usr/lib/dovecot/modules/doveadm"

# Mail processes run as this uid/gid (mail processes may not run as root).
MAIL_UID = 65534
MAIL_GID = 65534

SRC_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# Log lines that fail a test unless the test said it expects them.
BAD_LOG_RE = re.compile(r"\b(Panic|Fatal|Error):")
WARNING_LOG_RE = re.compile(r"\bWarning:")


def build_dir():
    """The build tree whose plugins are tested: $COI_BUILD_DIR or ./build."""
    return os.path.abspath(os.environ.get("COI_BUILD_DIR", os.path.join(SRC_DIR, "build")))


def plugin_files():
    """The plugin .so files of the build tree, by file name."""
    found = {}
    root = build_dir()
    for sub in ("src/plugins/coi/.libs", "src/plugins/push-coi/.libs"):
        d = os.path.join(root, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if name.endswith("_plugin.so"):
                found[name] = os.path.join(d, name)
    if not found:
        raise RuntimeError("no plugins built under %s (run make first)" % root)
    return found


def doveadm_plugin_files():
    """The doveadm plugin .so files of the build tree, by file name."""
    found = {}
    d = os.path.join(build_dir(), "src/plugins/doveadm-coi/.libs")
    if os.path.isdir(d):
        for name in os.listdir(d):
            if name.endswith("_plugin.so"):
                found[name] = os.path.join(d, name)
    return found


def flow_records(stdout):
    """Parses doveadm -f flow output: one dict per line (key=value words;
    a leading word without "=" is the username of -A/-F)."""
    records = []
    for line in stdout.splitlines():
        rec = {}
        for word in line.split():
            if "=" in word:
                key, value = word.split("=", 1)
                rec[key] = value
            else:
                rec["username"] = word
        records.append(rec)
    return records


class _LmtpSession:
    def __init__(self, port):
        self.lmtp = smtplib.LMTP("127.0.0.1", port, timeout=30)
        self.lmtp.ehlo("coitest")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lmtp.quit()

    def deliver(self, rcpt, message, mail_from="sender@example.org"):
        """As Dovecot.lmtp_deliver(), on this connection."""
        if isinstance(message, str):
            message = message.encode()
        if "@" not in rcpt:
            rcpt = rcpt + "@example.com"
        code, text = self.lmtp.mail(mail_from)
        if code == 250:
            code, text = self.lmtp.rcpt(rcpt)
            if code in (250, 251):
                code, text = self.lmtp.data(message)
        if code != 250:
            self.lmtp.rset()
        return code, text.decode(errors="replace") if isinstance(text, bytes) else text


def free_port():
    """A free TCP port on 127.0.0.1, chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LogError(AssertionError):
    pass


class Dovecot:
    """One private Dovecot. Use start()/stop(), or as a context manager.

    mail_plugins:  plugins for every protocol (imap, lmtp, lda)
    imap_plugins:  extra plugins for imap only
    lda_plugins:   extra plugins for lmtp and lda (e.g. "sieve")
    plugin:        dict of plugin {} settings
    extra_conf:    more dovecot.conf text, appended at the end
    users:         user names whose homes are made before start
    """

    def __init__(self, mail_plugins="coi", imap_plugins="imap_coi",
                 lda_plugins="", plugin=None, extra_conf="",
                 users=("alice", "bob"), imap_metadata=True, debug=False,
                 attribute_dict=True, directory=None, imap_port=None,
                 lmtp_port=None, detach=False, module_dir=None, home_root=None,
                 iterable_users=False):
        self.mail_plugins = mail_plugins
        self.imap_plugins = imap_plugins
        self.lda_plugins = lda_plugins
        self.plugin = dict(plugin or {})
        self.extra_conf = extra_conf
        self.users = list(users)
        self.imap_metadata = imap_metadata
        self.debug = debug
        self.attribute_dict = attribute_dict
        self.fixed_dir = directory
        self.imap_port = imap_port
        self.lmtp_port = lmtp_port
        # detach: the Dovecot outlives this Python process (the demo)
        self.detach = detach
        # module_dir="system": Dovecot's own module dir, not the build tree
        self.module_dir = module_dir
        # home_root: share users' homes with another instance (a cluster on
        # shared storage); default: homes inside this instance's directory
        self.home_root = home_root
        # iterable_users: a passwd-file userdb after the static one lists
        # users (the static userdb cannot), for doveadm -A
        self.iterable_users = iterable_users
        self.password = "secret"
        self.proc = None
        self.dir = None
        self.doveadm_module_dir = None
        self.log_offset = 0
        self.expected_log = []

    # --- paths -----------------------------------------------------------

    @property
    def config_path(self):
        return os.path.join(self.dir, "dovecot.conf")

    @property
    def log_path(self):
        return os.path.join(self.dir, "dovecot.log")

    @property
    def homes(self):
        return self.home_root or os.path.join(self.dir, "home")

    def home(self, user):
        return os.path.join(self.homes, user)

    # --- configuration ---------------------------------------------------

    def _make_module_dir(self):
        if self.module_dir == "system":
            return SYSTEM_MODULE_DIR
        mdir = os.path.join(self.dir, "modules")
        os.mkdir(mdir)
        ours = plugin_files()
        # The build tree's plugins win over installed ones of the same name.
        for name in os.listdir(SYSTEM_MODULE_DIR):
            if name not in ours:
                os.symlink(os.path.join(SYSTEM_MODULE_DIR, name), os.path.join(mdir, name))
        for name, path in ours.items():
            os.symlink(path, os.path.join(mdir, name))
        return mdir

    def _make_doveadm_module_dir(self):
        """doveadm has no setting for its plugin dir: doveadm() runs it in
        a private mount namespace where this directory (Debian's doveadm
        plugins, copied, plus the build tree's) is bind-mounted over
        SYSTEM_DOVEADM_MODULE_DIR. Returns None when nothing is built."""
        ours = doveadm_plugin_files()
        if self.module_dir == "system" or not ours:
            return None
        mdir = os.path.join(self.dir, "doveadm-modules")
        os.mkdir(mdir)
        # copies: a symlink would point into the directory mounted over
        for name in os.listdir(SYSTEM_DOVEADM_MODULE_DIR):
            if name not in ours:
                shutil.copy2(os.path.join(SYSTEM_DOVEADM_MODULE_DIR, name),
                             os.path.join(mdir, name))
        for name, path in ours.items():
            os.symlink(path, os.path.join(mdir, name))
        return mdir

    def _userlist_userdb(self):
        if not self.iterable_users:
            return ""
        path = os.path.join(self.dir, "users")
        with open(path, "w") as f:
            for user in self.users:
                f.write("%s::%d:%d::%s::\n" % (user, MAIL_UID, MAIL_GID, self.home(user)))
        return "userdb {\n  driver = passwd-file\n  args = %s\n}" % path

    def _protocol_blocks(self):
        # Only non-empty ones: an admin's own protocol blocks (e.g. from an
        # included file) then see the global mail_plugins.
        out = []
        for proto, plugins in (("imap", self.imap_plugins), ("lmtp", self.lda_plugins),
                               ("lda", self.lda_plugins)):
            if plugins:
                out.append("protocol %s {\n  mail_plugins = $mail_plugins %s\n}" % (proto, plugins))
        return "\n".join(out)

    def config_text(self):
        plugin_lines = "\n".join("  %s = %s" % (k, v) for k, v in sorted(self.plugin.items()))
        attr = ""
        if isinstance(self.attribute_dict, str):
            attr = "mail_attribute_dict = " + self.attribute_dict
        elif self.attribute_dict:
            attr = "mail_attribute_dict = file:%h/dovecot-attributes"
        return f"""# Generated by the dovecot-coi test harness.
instance_name = coitest-{os.path.basename(self.dir)}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
log_timestamp = "%Y-%m-%d %H:%M:%S "
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
login_trusted_networks = 127.0.0.0/8
first_valid_uid = 1
mail_debug = {"yes" if self.debug else "no"}
mail_location = maildir:~/Maildir
mail_plugin_dir = {self.mail_plugin_dir}
mail_plugins = $mail_plugins {self.mail_plugins}
{attr}
imap_metadata = {"yes" if self.imap_metadata else "no"}
lda_mailbox_autocreate = yes
recipient_delimiter = +
postmaster_address = postmaster@example.com
hostname = coitest.example.com

passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_GID} home={self.homes}/%n allow_all_users=yes
}}
{self._userlist_userdb()}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Trash {{
    special_use = \\Trash
    auto = no
  }}
  mailbox Sent {{
    special_use = \\Sent
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{self._protocol_blocks()}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
{plugin_lines}
}}
{self.extra_conf}
"""

    # --- lifecycle -------------------------------------------------------

    def start(self):
        if self.fixed_dir:
            self.dir = self.fixed_dir
            os.makedirs(self.dir)
        else:
            self.dir = tempfile.mkdtemp(prefix="coitest-")
        os.chmod(self.dir, 0o755)
        self.imap_port = self.imap_port or free_port()
        self.lmtp_port = self.lmtp_port or free_port()
        self.mail_plugin_dir = self._make_module_dir()
        self.doveadm_module_dir = self._make_doveadm_module_dir()
        for sub in ("run", "state"):
            os.mkdir(os.path.join(self.dir, sub))
        home_root = self.homes
        os.makedirs(home_root, exist_ok=True)
        os.chmod(home_root, 0o755)
        os.chown(home_root, MAIL_UID, MAIL_GID)
        for user in self.users:
            self.make_home(user)
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        check = subprocess.run([DOVECOT, "-c", self.config_path, "-n"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("dovecot rejects the test config: " + check.stderr)
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.config_path],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "dovecot.stderr"), "w"),
                                     start_new_session=self.detach)
        with open(os.path.join(self.dir, "dovecot.pid"), "w") as f:
            f.write("%d\n" % self.proc.pid)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot exited at start: %s\n%s" %
                                   (self.read_file("dovecot.stderr"), self.read_log()))
            if self._port_open(self.imap_port) and self._port_open(self.lmtp_port):
                break
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("dovecot did not listen in time:\n" + self.read_log())
            time.sleep(0.05)
        return self

    def make_home(self, user):
        home = self.home(user)
        if not os.path.isdir(home):
            os.mkdir(home)
            os.chown(home, MAIL_UID, MAIL_GID)
        return home

    @staticmethod
    def _port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        if self.dir and not os.environ.get("COI_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # --- the log ---------------------------------------------------------

    def read_file(self, name):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def read_log(self):
        return self.read_file("dovecot.log")

    def children(self, names):
        """{pid: fields of /proc/pid/stat after the command} of this
        Dovecot's master's child processes whose command is in names. In
        fields, ppid is [1], utime [11] and stime [12]."""
        out = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    text = f.read()
            except OSError:
                continue
            comm = text[text.index("(") + 1:text.rindex(")")]
            fields = text[text.rindex(")") + 2:].split()
            if comm in names and int(fields[1]) == self.proc.pid:
                out[int(pid)] = fields
        return out

    def log_lines(self, since_mark=True):
        text = self.read_log()
        if since_mark:
            text = text[self.log_offset:]
        return text.splitlines()

    def mark_log(self):
        """Later checks look only at lines written after this call."""
        self.log_offset = len(self.read_log())
        self.expected_log = []

    def expect_log(self, regex):
        """Allow a Panic/Fatal/Error/Warning line matching regex until the next mark."""
        self.expected_log.append(re.compile(regex))

    def wait_log(self, regex, timeout=10, since_mark=True):
        """Waits until a line after the mark (with since_mark=False: any
        line of this Dovecot's log) matches regex; returns it."""
        rx = re.compile(regex)
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.log_lines(since_mark):
                if rx.search(line):
                    return line
            time.sleep(0.05)
        raise AssertionError("no log line matching %r; log since mark:\n%s" %
                             (regex, "\n".join(self.log_lines())))

    def unexpected_log_lines(self, warnings=True):
        bad = []
        for line in self.log_lines():
            if BAD_LOG_RE.search(line) or (warnings and WARNING_LOG_RE.search(line)):
                if not any(rx.search(line) for rx in self.expected_log):
                    bad.append(line)
        return bad

    def check_log(self, warnings=True):
        """Raises LogError on a Panic/Fatal/Error (and Warning) line since
        the mark that no expect_log() allowed."""
        bad = self.unexpected_log_lines(warnings)
        if bad:
            raise LogError("unexpected lines in the Dovecot log:\n" + "\n".join(bad))

    # --- clients ---------------------------------------------------------

    def imap(self, user="alice", login=True):
        client = ImapClient("127.0.0.1", self.imap_port)
        if login:
            client.login(user, self.password)
        return client

    def lmtp_deliver(self, rcpt, message, mail_from="sender@example.org"):
        """Delivers message (bytes or str) to rcpt (a user or an address)
        over LMTP. Returns (code, text) of the reply to DATA."""
        if isinstance(message, str):
            message = message.encode()
        if "@" not in rcpt:
            rcpt = rcpt + "@example.com"
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as lmtp:
            lmtp.ehlo("coitest")
            code, text = lmtp.mail(mail_from)
            if code != 250:
                return code, text
            code, text = lmtp.rcpt(rcpt)
            if code not in (250, 251):
                return code, text
            code, text = lmtp.data(message)
            return code, text.decode(errors="replace") if isinstance(text, bytes) else text

    def lmtp_session(self):
        """One LMTP connection for several deliveries (one LMTP process):
        with dc.lmtp_session() as s: s.deliver(rcpt, message)."""
        return _LmtpSession(self.lmtp_port)

    def lda_deliver(self, user, message, mail_from="sender@example.org", args=()):
        """Delivers message with dovecot-lda -d user. Returns the
        CompletedProcess (exit code 0 = delivered, 75 = tempfail)."""
        if isinstance(message, str):
            message = message.encode()
        return subprocess.run([DOVECOT_LDA, "-c", self.config_path, "-d", user,
                               "-f", mail_from] + list(args),
                              input=message, capture_output=True, timeout=60)

    def doveadm_argv(self, *args):
        """The command line that runs doveadm on this instance's config,
        with the build tree's doveadm plugins (see
        _make_doveadm_module_dir)."""
        argv = [DOVEADM, "-c", self.config_path] + list(args)
        if self.doveadm_module_dir is None:
            return argv
        return ["unshare", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", 'mount --bind "$0" "$1" && shift && exec "$@"',
                self.doveadm_module_dir, SYSTEM_DOVEADM_MODULE_DIR] + argv

    def doveadm(self, *args, check=True, input=None):
        res = subprocess.run(self.doveadm_argv(*args), input=input,
                             capture_output=True, text=True, timeout=60)
        if check and res.returncode != 0:
            raise RuntimeError("doveadm %s failed (%d): %s%s" %
                               (" ".join(args), res.returncode, res.stdout, res.stderr))
        return res

    def stats_dump(self, reset=False):
        """doveadm stats dump: {(metric, field): {"count": int, "sum": int,
        ...}} for every metric and sub-metric (group_by) of the stats
        process; field "duration" is always there. reset=True zeroes
        the metrics after reading them."""
        args = ["-f", "tab", "stats", "dump"] + (["-r"] if reset else [])
        lines = self.doveadm(*args).stdout.splitlines()
        out = {}
        if not lines:
            return out
        header = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t")))
            stats = {}
            for key, value in row.items():
                if key in ("metric_name", "field"):
                    continue
                try:
                    stats[key] = int(value)
                except ValueError:
                    stats[key] = float(value) if value else None
            out[(row["metric_name"], row["field"])] = stats
        return out

    def wait_stats(self, metric, count, field="duration", timeout=10):
        """Waits until metric has counted count events (events reach the
        stats process asynchronously); returns that metric's field stats."""
        deadline = time.time() + timeout
        while True:
            stats = self.stats_dump().get((metric, field))
            if stats is not None and stats["count"] >= count:
                return stats
            if time.time() > deadline:
                raise AssertionError("metric %s field %s did not reach count %d: %r"
                                     % (metric, field, count, self.stats_dump()))
            time.sleep(0.05)

    def write_sieve(self, user, script):
        """Installs script as the user's active Sieve script."""
        path = os.path.join(self.make_home(user), ".dovecot.sieve")
        with open(path, "w") as f:
            f.write(script)
        os.chown(path, MAIL_UID, MAIL_GID)
        # the compiled script of an earlier version
        stale = path[:-len(".sieve")] + ".svbin"
        if os.path.exists(stale):
            os.unlink(stale)
        return path
