#!/usr/bin/python3
"""P1 delivery overhead: LMTP deliveries per second with COI enabled,
message-filter active and no push subscriptions, divided by the same
Dovecot without our plugins. Target >= 0.97.

With --instructions (needs valgrind): the CPU instructions the LMTP
process executes per delivery instead of wall-clock time, counted by
callgrind on each side: deterministic, so it shows small changes a shared
machine hides. It leaves out the kernel's time (file creation, renames),
which only the wall-clock run measures. Not run by make bench."""

import os
import shutil
import smtplib
import sys
import tempfile

from common import VALGRIND, Dovecot, alternate, callgrind_conf, callgrind_total, lmtp_rate, \
    machine, message, pin, report

# Rounds of 1000 deliveries to a fresh user: every filed chat message
# grows the mailbox list index's log (Chats' status), which each delivery
# reads again until Dovecot rewrites the index; shorter rounds would keep
# that log shorter than it is for a user who gets chat mail every day,
# and so flatter COI.
ROUNDS = 9
PER_ROUND = 1000
COI = "/private/vendor/vendor.dovecot/coi/config"


def messages(count=PER_ROUND, mix="half"):
    """Every other one a chat message (mix "half"), or all ("chat") or
    none ("plain")."""
    out = []
    for i in range(count):
        chat = {"half": i % 2 == 0, "chat": True, "plain": False}[mix]
        out.append(message(subject="bench %d" % i, chat=chat)[1].encode())
    return out


def enable_coi(dc, user):
    c = dc.imap(user)
    for key, value in (("enabled", "yes"), ("message-filter", "active")):
        res = c.setmetadata("%s/%s" % (COI, key), value)
        if not res.ok:
            raise RuntimeError("cannot enable COI: %s %s" % (res.status, res.text))
    c.logout()


def start(coi, extra_conf=""):
    conf = "mail_fsync = never\n" + extra_conf
    if coi:
        return Dovecot(mail_plugins="coi", imap_plugins="imap_coi", extra_conf=conf).start()
    return Dovecot(mail_plugins="", imap_plugins="", extra_conf=conf).start()


def wall_clock():
    print("P1 on " + machine())
    # fsync off in both: the disk would hide the plugin's CPU cost.
    base = pin(start(False))
    cand = pin(start(True))
    counter = [0]

    def fresh_user(dc, coi):
        # Every round delivers to a new user, so mailbox growth does not
        # favour whichever side ran first.
        counter[0] += 1
        user = "u%d" % counter[0]
        if coi:
            enable_coi(dc, user)
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


def lmtp_instructions(coi, count, mix):
    """Instructions all LMTP processes of a fresh Dovecot executed for
    count deliveries to a fresh user (plus the process's start-up)."""
    out = tempfile.mkdtemp(prefix="p1-callgrind-")
    dc = start(coi, callgrind_conf(out))
    try:
        if coi:
            enable_coi(dc, "u1")
        else:
            dc.imap("u1").logout()
        with smtplib.LMTP("127.0.0.1", dc.lmtp_port, timeout=600) as lmtp:
            lmtp.ehlo("bench")
            for msg in messages(count, mix):
                lmtp.sendmail("sender@example.org", ["u1@example.com"], msg)
    finally:
        dc.cleanup()
    total = callgrind_total(out)
    shutil.rmtree(out, ignore_errors=True)
    return total


def instructions():
    if not os.access(VALGRIND, os.X_OK):
        print("P1 --instructions: %s is not installed" % VALGRIND)
        return 1
    print("P1 instructions per LMTP delivery (callgrind) on " + machine())
    small, large = 20, 120
    for mix in ("half", "plain", "chat"):
        per = {}
        for coi in (False, True):
            # the difference of two runs leaves out the process start-up
            per[coi] = (lmtp_instructions(coi, large, mix) -
                        lmtp_instructions(coi, small, mix)) / (large - small)
        print("  %-5s messages: no plugins %.0f, COI %.0f instructions/delivery, ratio %.3f" %
              (mix, per[False], per[True], per[False] / per[True]))
        sys.stdout.flush()
    return 0


def main():
    if "--instructions" in sys.argv[1:]:
        return instructions()
    return wall_clock()


if __name__ == "__main__":
    sys.exit(main())
