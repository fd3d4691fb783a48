#!/usr/bin/python3
"""The dovecot-coi demo: a private COI-enabled Dovecot on 127.0.0.1.

  demo.py start   start it (stopping an older demo first), enable COI for
                  user alice, deliver a chat message and a plain mail over
                  LMTP, and print where each landed
  demo.py stop    stop it and remove its directory
  demo.py status  say whether it runs

Everything is embedded: the configuration is generated into DEMO_DIR
(default /tmp/dovecot-coi-demo) with a file dict for METADATA, static
passwords and maildir homes, a fresh VAPID key for WebPush; no external
service is used. Ports: IMAP DEMO_IMAP_PORT (default 10143), LMTP
DEMO_LMTP_PORT (default 10024). DEMO_SETTINGS adds plugin settings
("name=value name=value").
"""

import os
import shutil
import signal
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

from coitest import Dovecot, PushReceiver, message  # noqa: E402
from coitest.dovecot import MAIL_GID, MAIL_UID, free_port  # noqa: E402

DEMO_DIR = os.environ.get("DEMO_DIR", "/tmp/dovecot-coi-demo")
COI = "/private/vendor/vendor.dovecot/coi/config"
SUBS = "/private/vendor/vendor.dovecot/webpush/subscriptions"


def port(env, default):
    value = int(os.environ.get(env, default))
    if Dovecot._port_open(value):
        value = free_port()
    return value


def running_pid():
    try:
        with open(os.path.join(DEMO_DIR, "dovecot.pid")) as f:
            pid = int(f.read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def stop():
    pid = running_pid()
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        print("demo: stopped Dovecot (pid %d)" % pid)
    if os.path.isdir(DEMO_DIR):
        shutil.rmtree(DEMO_DIR)
        print("demo: removed %s" % DEMO_DIR)


def show_mailboxes(imap):
    for name, flags in sorted(imap.list_mailboxes().items()):
        if "\\noselect" in flags:
            # a parent such as COI (of COI/Chats) holds no messages
            continue
        msgs = imap.messages(name)
        print("    %-12s %d message(s)" % (name, len(msgs)))
        for uid, flags, msgid in msgs:
            print("        uid %-3d %-40s flags: %s" % (uid, msgid, " ".join(sorted(flags)) or "-"))


def extra_settings():
    """More plugin settings from DEMO_SETTINGS ("name=value name=value")."""
    out = {}
    for item in os.environ.get("DEMO_SETTINGS", "").split():
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit("demo: DEMO_SETTINGS: %r is not name=value" % item)
        out[name] = value
    return out


def start():
    if running_pid() or os.path.exists(DEMO_DIR):
        stop()
    vapid_key = os.path.join(DEMO_DIR, "vapid.pem")
    # a local HTTPS push service (the test receiver) for the WebPush part;
    # it runs only while this script does
    rx = PushReceiver().start()
    push_ca = os.path.join(DEMO_DIR, "push-ca.pem")
    dc = Dovecot(mail_plugins="coi notify push_notification push_coi",
                 imap_plugins="imap_coi", lda_plugins="sieve",
                 directory=DEMO_DIR, imap_port=port("DEMO_IMAP_PORT", 10143),
                 lmtp_port=port("DEMO_LMTP_PORT", 10024), detach=True,
                 users=("alice", "bob"),
                 plugin=dict({"webpush_vapid_key": vapid_key,
                              "webpush_vapid_subject": "mailto:postmaster@example.com",
                              "push_notification_driver": "webpush",
                              "webpush_ca_file": push_ca,
                              "webpush_allowed_networks": "127.0.0.1"},
                             **extra_settings()))
    dc.start()
    # the VAPID key (WebPush): read when a user session starts, so it only
    # has to exist before the first login
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", vapid_key], check=True)
    os.chown(vapid_key, MAIL_UID, MAIL_GID)
    os.chmod(vapid_key, 0o600)
    shutil.copy(rx.ca_file, push_ca)
    os.chmod(push_ca, 0o644)
    print("demo: Dovecot with dovecot-coi runs (pid %d), config %s" % (dc.proc.pid, dc.config_path))

    imap = dc.imap("alice")
    print("demo: alice logs in; CAPABILITY has: %s" %
          " ".join(c for c in sorted(imap.capabilities()) if c in ("COI", "WEBPUSH", "METADATA")))
    for key, value in (("enabled", "yes"), ("message-filter", "active")):
        res = imap.setmetadata("%s/%s" % (COI, key), value)
        print("demo: SETMETADATA %s/%s %s -> %s %s" % (COI, key, value, res.status, res.text))
    res, values = imap.getmetadata(COI, depth=1)
    for k, v in sorted(values.items()):
        print("demo:   %s = %s" % (k, v))

    # WebPush: subscribe a (simulated) phone for chat messages, validate it
    # with the token of its validation push
    phone, endpoint = rx.subscriber("alice-phone")
    sub_id = "alice-phone-demo"
    res = imap.setmetadata("%s/%s" % (SUBS, sub_id), phone.subscription_json(
        endpoint, client="demo", device="phone", msgtype="chat"))
    print("demo: SETMETADATA %s/%s <subscription for %s> -> %s %s" %
          (SUBS, sub_id, endpoint, res.status, res.text))
    token = rx.wait_requests("alice-phone", 1)[0].json()["validation"]
    print("demo: the push service got the validation push (decrypted): "
          '{"validation": "%s"}' % token)
    res = imap.setmetadata("%s/%s/validate" % (SUBS, sub_id), token)
    print("demo: SETMETADATA %s/%s/validate <token> -> %s %s" % (SUBS, sub_id, res.status, res.text))

    _, chat = message(subject="Hi from a chat app", chat=True,
                      msgid="<chat$group.DemoGroup1234.abc@example.org>",
                      body="This is a COI chat message.")
    _, plain = message(subject="Plain mail", body="An ordinary email.")
    for label, msg in (("chat message", chat), ("plain mail", plain)):
        code, text = dc.lmtp_deliver("alice", msg)
        print("demo: LMTP delivery of a %s to alice: %s %s" % (label, code, text))

    print("demo: where the messages landed (alice's mailboxes):")
    show_mailboxes(imap)
    push = rx.wait_requests("alice-phone", 2)[1]
    print("demo: the push service got the push for the chat message "
          "(VAPID %s, decrypted payload):" % ("verified" if push.vapid_error is None
                                               else "NOT verified: " + push.vapid_error))
    print("    " + push.payload.decode())
    imap.logout()
    rx.stop()

    print("""
Connect an IMAP client (no TLS, loopback only):
    server 127.0.0.1 port {imap}, user alice (or any name), password {pw}
    e.g.: python3 -c 'import imaplib; c=imaplib.IMAP4("127.0.0.1",{imap}); c.login("alice","{pw}"); print(c.list())'
Deliver more mail over LMTP at 127.0.0.1:{lmtp}, or:
    {lda} -c {conf} -d alice < message.eml
Log: {log}
Stop it with: ./demo.sh stop""".format(imap=dc.imap_port, lmtp=dc.lmtp_port, pw=dc.password,
                                       lda="/usr/lib/dovecot/dovecot-lda", conf=dc.config_path,
                                       log=dc.log_path))
    bad = dc.unexpected_log_lines()
    if bad:
        print("\ndemo: the Dovecot log has errors or warnings:\n" + "\n".join(bad))
        return 1
    return 0


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else "start"
    if cmd == "start":
        return start()
    if cmd == "stop":
        stop()
        return 0
    if cmd == "status":
        pid = running_pid()
        print("demo: %s" % ("running, pid %d, in %s" % (pid, DEMO_DIR) if pid else "not running"))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
