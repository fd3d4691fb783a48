"""Helpers for IMAP WebPush tests: a test class with a VAPID key (generated
by the test into a private directory), the HTTPS push receiver, and the
METADATA entries of the extension."""

import base64
import hashlib
import hmac
import json
import os
import pwd
import shutil
import struct
import tempfile
import time

from .case import DovecotTestCase
from .dovecot import MAIL_UID, MAIL_GID, build_dir
from .pushreceiver import PushReceiver, VapidKey

WEBPUSH = "/private/vendor/vendor.dovecot/webpush"
VAPID = WEBPUSH + "/vapid"
SUBS = WEBPUSH + "/subscriptions"

PUSH_PLUGINS = dict(mail_plugins="coi notify push_notification push_coi",
                    imap_plugins="imap_coi")


def sub_entry(sub_id):
    return "%s/%s" % (SUBS, sub_id)


def write_vapid_key(directory, vapid, name="vapid.pem"):
    """Writes vapid's private key as PEM, readable by the mail processes."""
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(vapid.pem())
    os.chmod(path, 0o600)
    os.chown(path, MAIL_UID, MAIL_GID)
    return path


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def validation_token(secret, user, sub_id, endpoint, issued=None):
    """A validation token computed independently of Dovecot, as any server
    sharing webpush_validation_secret computes it: base64url of the 8-octet
    big-endian time and HMAC-SHA256(key, user NUL id NUL endpoint NUL time),
    with key = HMAC-SHA256(secret, label)."""
    if issued is None:
        issued = int(time.time())
    key = hmac.new(secret.encode(), b"dovecot-coi webpush validation v1",
                   hashlib.sha256).digest()
    t = struct.pack(">Q", issued)
    data = (user.encode() + b"\0" + sub_id.lower().encode() + b"\0" +
            endpoint.encode() + b"\0" + t)
    return b64u(t + hmac.new(key, data, hashlib.sha256).digest())


def receiver_settings(keydir, rx):
    """Plugin settings for pushes to the test receiver rx: its CA, copied
    into keydir where the mail processes can read it, and loopback (which
    the address policy refuses) allowed."""
    ca_copy = os.path.join(keydir, "ca.pem")
    shutil.copy(rx.ca_file, ca_copy)
    os.chmod(ca_copy, 0o644)
    return {"webpush_ca_file": ca_copy, "webpush_allowed_networks": "127.0.0.1"}


def push_settings(keydir, rx, subject="mailto:admin@example.org"):
    """receiver_settings() plus a new VAPID key written into keydir, its
    subject, and the webpush push-notification driver."""
    settings = receiver_settings(keydir, rx)
    settings.update({"webpush_vapid_key": write_vapid_key(keydir, VapidKey()),
                     "webpush_vapid_subject": subject,
                     "push_notification_driver": "webpush"})
    return settings


def service_executable():
    """The build tree's Web Push service (the webpush executable), run
    through $WEBPUSH_SERVICE_WRAPPER when set (e.g. "valgrind -q
    --log-file=/tmp/vg.%p": memcheck's log is opened before the service
    drops privileges)."""
    path = os.path.join(build_dir(), "src", "plugins", "push-coi", "webpush")
    wrapper = os.environ.get("WEBPUSH_SERVICE_WRAPPER")
    return wrapper + " " + path if wrapper else path


TABESCAPES = {"\x01": "\x011", "\t": "\x01t", "\r": "\x01r", "\n": "\x01n"}
TABUNESCAPES = {"0": "\x00", "1": "\x01", "t": "\t", "r": "\r", "n": "\n"}


def tabescape(text):
    """A field of the Web Push service's protocol, escaped as Dovecot's
    str_tabescape() does."""
    return "".join(TABESCAPES.get(c, c) for c in text)


def tabunescape(text):
    out, i = [], 0
    while i < len(text):
        if text[i] == "\x01" and i + 1 < len(text):
            out.append(TABUNESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def service_conf(socket="webpush", client_limit=100, min_avail=0, executable=None):
    """dovecot.conf text for the Web Push service, running as the mail
    user (so that it can write the users' spools) with its socket in
    base_dir, as doc/push-delivery.md shows it; the mail processes use it
    with webpush_service = <socket>."""
    user = pwd.getpwuid(MAIL_UID).pw_name
    return f"""service webpush {{
  executable = {executable or service_executable()}
  user = {user}
  process_limit = 1
  process_min_avail = {min_avail}
  client_limit = {client_limit}
  unix_listener {socket} {{
    user = {user}
    mode = 0600
  }}
}}
"""


class ServiceMode:
    """Mixin for a WebPushTestCase: the same Dovecot with the Web Push
    service, and webpush_service set, so that every push goes through the
    service. Put it first among the bases. service_options: options of
    the webpush executable (e.g. "-n idle"); service_min_avail: its
    process_min_avail."""

    service_options = ""
    service_min_avail = 0

    @classmethod
    def extra_settings(cls):
        return dict(super().extra_settings(), webpush_service="webpush")

    @classmethod
    def extra_args(cls):
        args = dict(super().extra_args())
        executable = (service_executable() + " " + cls.service_options).strip()
        args["extra_conf"] = args.get("extra_conf", "") + service_conf(
            executable=executable, min_avail=cls.service_min_avail)
        return args


class WebPushTestCase(DovecotTestCase):
    """A Dovecot with coi and push_coi, a VAPID key and a running HTTPS
    push receiver whose CA the sender trusts. Subclasses add plugin
    settings with extra_settings() and Dovecot arguments with
    extra_args()."""

    vapid_subject = "mailto:admin@example.org"
    with_receiver = True

    @classmethod
    def extra_settings(cls):
        return {}

    @classmethod
    def extra_args(cls):
        return {}

    @classmethod
    def make_receiver(cls):
        """The started push receiver (with_receiver): by default the
        Python one, which verifies VAPID and decrypts every push."""
        return PushReceiver().start()

    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="coitest-webpush-")
        os.chmod(cls.keydir, 0o755)
        cls.vapid = VapidKey()
        cls.vapid_key_path = write_vapid_key(cls.keydir, cls.vapid)
        cls.rx = None
        settings = {
            "webpush_vapid_key": cls.vapid_key_path,
            "webpush_vapid_subject": cls.vapid_subject,
        }
        if cls.with_receiver:
            cls.rx = cls.make_receiver()
            settings.update(receiver_settings(cls.keydir, cls.rx))
        settings.update(cls.extra_settings())
        args = dict(PUSH_PLUGINS)
        args.update(cls.extra_args())
        args["plugin"] = dict(settings, **args.get("plugin", {}))
        cls.dovecot_args = args
        try:
            super().setUpClass()
        except Exception:
            cls._cleanup_webpush()
            raise

    @classmethod
    def _cleanup_webpush(cls):
        if cls.rx is not None:
            cls.rx.stop()
        shutil.rmtree(cls.keydir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._cleanup_webpush()

    # helpers

    def new_subscriber(self, name, msgtype="all", **kw):
        """A receiver path and the subscription JSON for it."""
        sub, endpoint = self.rx.subscriber(name)
        return sub, endpoint, sub.subscription_json(endpoint, msgtype=msgtype, **kw)

    def subscriptions(self, client):
        """{id: parsed JSON} of GETMETADATA (DEPTH 1) "" (S)."""
        res, values = client.getmetadata(SUBS, depth=1)
        self.assertTrue(res.ok, res)
        out = {}
        for entry, value in values.items():
            if entry.lower().startswith(SUBS.lower() + "/") and value is not None:
                out[entry[len(SUBS) + 1:]] = json.loads(value)
        return out


class TokenTestCase(WebPushTestCase):
    """Without a push receiver; the test computes validation tokens itself
    from a fixed webpush_validation_secret (token()); no throttling."""

    with_receiver = False
    validation_secret = "coitest-token-validation-secret-0123"

    @classmethod
    def extra_settings(cls):
        return {"webpush_validation_secret": cls.validation_secret,
                "webpush_subscription_create_max": "0",
                "webpush_validation_fail_max": "0"}

    def token(self, user, sub_id, endpoint):
        return validation_token(self.validation_secret, user, sub_id, endpoint)
