"""A Dovecot with coi and push_coi, a VAPID key and the HTTPS test push
receiver, for the push benchmarks (P2, P3, P5, memory)."""

import os
import shutil
import tempfile

from common import Dovecot, pin, pin_children

from coitest.pushreceiver import Answer, PushReceiver  # noqa: F401
from coitest.webpush import PUSH_PLUGINS, push_settings, service_conf, sub_entry, \
    validation_token

COI = "/private/vendor/vendor.dovecot/coi/config"


class PushSetup:
    def __init__(self, settings=None, extra_conf="mail_fsync = never\n", verify=False,
                 service=False, rx=None):
        """service: with the Web Push service (webpush_service), started
        with Dovecot and free to run on any CPU (see common.pin()).
        rx: a started receiver (default: the integration tests' Python
        receiver, which can also hold requests without answering)."""
        self.keydir = tempfile.mkdtemp(prefix="coibench-webpush-")
        os.chmod(self.keydir, 0o755)
        self.rx = rx or PushReceiver(verify=verify).start()
        plugin = push_settings(self.keydir, self.rx)
        # tokens computed here (as any server with the same secret would),
        # so that subscribing never waits for a validation push: with the
        # service, those queue behind P3's never-answered pushes to the
        # same receiver
        self.secret = "bench-" + os.urandom(8).hex()
        plugin.update({
            "webpush_validation_secret": self.secret,
            "webpush_subscription_create_max": "0",
            "webpush_validation_fail_max": "0",
            "coi_default_enabled": "yes",
            "coi_default_message_filter": "active",
        })
        plugin.update(settings or {})
        args = dict(PUSH_PLUGINS)
        args["plugin"] = plugin
        if service:
            plugin["webpush_service"] = "webpush"
            extra_conf += service_conf(min_avail=1)
        args["extra_conf"] = extra_conf
        self.dc = pin(Dovecot(**args).start())
        if service:
            # the service on the CPU where Dovecot's delivering
            # processes are not (see common.pin())
            pin_children(self.dc, "webpush", {1} if (os.cpu_count() or 1) >= 2 else {0})

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
            token = validation_token(self.secret, user, sid, endpoint)
            res = c.setmetadata(sub_entry(sid + "/validate"), token)
            if not res.ok:
                raise RuntimeError("validation refused: %s" % res.text)
        c.logout()

    def close(self):
        self.dc.cleanup()
        self.rx.stop()
        shutil.rmtree(self.keydir, ignore_errors=True)
