#!/usr/bin/python3
"""P1 delivery overhead: LMTP deliveries per second with COI enabled,
message-filter active and no push subscriptions, divided by the same
Dovecot without our plugins. Target >= 0.97."""

import sys

from common import Dovecot, alternate, lmtp_rate, machine, message, pin, report

ROUNDS = 7
PER_ROUND = 200
COI = "/private/vendor/vendor.dovecot/coi/config"


def messages():
    out = []
    for i in range(PER_ROUND):
        out.append(message(subject="bench %d" % i, chat=(i % 2 == 0))[1].encode())
    return out


def main():
    print("P1 on " + machine())
    # fsync off in both: the disk would hide the plugin's CPU cost.
    base = pin(Dovecot(mail_plugins="", imap_plugins="", extra_conf="mail_fsync = never\n").start())
    cand = pin(Dovecot(mail_plugins="coi", imap_plugins="imap_coi",
                       extra_conf="mail_fsync = never\n").start())
    counter = [0]

    def fresh_user(dc, coi):
        # Every round delivers to a new user, so mailbox growth does not
        # favour whichever side ran first.
        counter[0] += 1
        user = "u%d" % counter[0]
        if coi:
            c = dc.imap(user)
            for key, value in (("enabled", "yes"), ("message-filter", "active")):
                res = c.setmetadata("%s/%s" % (COI, key), value)
                if not res.ok:
                    raise RuntimeError("cannot enable COI: %s %s" % (res.status, res.text))
            c.logout()
        else:
            dc.imap(user).logout()
        return user

    try:
        msgs = messages()
        lmtp_rate(base, msgs[:20], fresh_user(base, False))
        lmtp_rate(cand, msgs[:20], fresh_user(cand, True))
        b, r = alternate(ROUNDS, lambda: lmtp_rate(base, msgs, fresh_user(base, False)),
                         lambda: lmtp_rate(cand, msgs, fresh_user(cand, True)))
        report("P1 delivery overhead (deliveries/s, COI active vs no plugins)", "msg/s", b, r,
               target=0.97)
    finally:
        base.cleanup()
        cand.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
