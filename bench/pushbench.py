"""A Dovecot with coi and push_coi, a VAPID key and the HTTPS test push
receiver, for the push benchmarks (P2, P3, P5, memory)."""

import os
import shutil
import tempfile

from common import Dovecot, pin

from coitest.pushreceiver import Answer, PushReceiver  # noqa: F401
from coitest.webpush import PUSH_PLUGINS, push_settings, sub_entry

COI = "/private/vendor/vendor.dovecot/coi/config"


class PushSetup:
    def __init__(self, settings=None, extra_conf="mail_fsync = never\n", verify=False):
        self.keydir = tempfile.mkdtemp(prefix="coibench-webpush-")
        os.chmod(self.keydir, 0o755)
        self.rx = PushReceiver(verify=verify).start()
        plugin = push_settings(self.keydir, self.rx)
        plugin.update({
            "webpush_subscription_create_max": "0",
            "webpush_validation_fail_max": "0",
            "coi_default_enabled": "yes",
            "coi_default_message_filter": "active",
        })
        plugin.update(settings or {})
        args = dict(PUSH_PLUGINS)
        args["plugin"] = plugin
        args["extra_conf"] = extra_conf
        self.dc = pin(Dovecot(**args).start())

    def subscribe(self, user, names):
        """Validated subscriptions of user, one per receiver path name."""
        c = self.dc.imap(user)
        for name in names:
            sub, endpoint = self.rx.subscriber(name)
            value = sub.subscription_json(endpoint, msgtype="all")
            sid = name + "-subscription"
            res = c.setmetadata(sub_entry(sid), value)
            if not res.ok:
                raise RuntimeError("subscription refused: %s" % res.text)
            token = self.validation_token(name)
            res = c.setmetadata(sub_entry(sid + "/validate"), token)
            if not res.ok:
                raise RuntimeError("validation refused: %s" % res.text)
        c.logout()

    def validation_token(self, name):
        """The token of name's validation push (decrypted here when the
        receiver does not decrypt)."""
        req = self.rx.wait_requests(name, 1)[-1]
        if req.payload is None:
            req.payload = self.rx._subscribers["/push/" + name].decrypt(req.body)
        return req.json()["validation"]

    def close(self):
        self.dc.cleanup()
        self.rx.stop()
        shutil.rmtree(self.keydir, ignore_errors=True)
