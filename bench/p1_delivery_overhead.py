#!/usr/bin/python3
"""P1 delivery overhead: LMTP deliveries per second with COI enabled,
message-filter active and no push subscriptions, divided by the same
Dovecot without our plugins. Target >= 0.97.

Also printed, from the same deliveries: COI against a third Dovecot
without our plugins that files the same chat messages into the same
COI/Chats itself (lmtp_save_to_detail_mailbox, the recipient's +detail
naming the folder). That ratio is what the plugins add to Dovecot's own
cost of filing into a second mailbox; the verdict's baseline files
nothing and so never pays that cost.

With --instructions (needs valgrind): the CPU instructions the LMTP
process executes per delivery instead of wall-clock time, counted by
callgrind on each side: deterministic, so it shows small changes a shared
machine hides. It leaves out the kernel's time (file creation, renames),
which only the wall-clock run measures. Not run by make bench."""

import os
import shutil
import smtplib
import statistics
import sys
import tempfile

from common import VALGRIND, Dovecot, callgrind_conf, callgrind_total, dovecot_cpu, \
    lmtp_interleaved, machine, message, pin, report

# Each round delivers PER_ROUND messages to a fresh user on every side,
# message by message in turn (lmtp_interleaved). Every filed chat message
# grows the mailbox list index's log (Chats' status), which each delivery
# reads from the index's last rewrite on; Dovecot rewrites the index once
# it reads more than 8 kB of log, about every 46 chat messages. A round
# is long enough to spend nearly all of its deliveries in that steady
# state, as a user who gets chat mail all day does.
ROUNDS = 9
PER_ROUND = 600
COI = "/private/vendor/vendor.dovecot/coi/config"
COI_FOLDERS = ("COI", "COI/Chats", "COI/Contacts")
# the Dovecot that files chat messages itself: by the recipient's detail
FILING_CONF = "recipient_delimiter = +\nlmtp_save_to_detail_mailbox = yes\n"


def is_chat(i, mix="half"):
    return {"half": i % 2 == 0, "chat": True, "plain": False}[mix]


def messages(count=PER_ROUND, mix="half"):
    """Every other one a chat message (mix "half"), or all ("chat") or
    none ("plain")."""
    return [message(subject="bench %d" % i, chat=is_chat(i, mix))[1].encode()
            for i in range(count)]


def enable_coi(dc, user):
    c = dc.imap(user)
    for key, value in (("enabled", "yes"), ("message-filter", "active")):
        res = c.setmetadata("%s/%s" % (COI, key), value)
        if not res.ok:
            raise RuntimeError("cannot enable COI: %s %s" % (res.status, res.text))
    c.logout()


def make_coi_folders(dc, user):
    """The folders COI would make, made over IMAP on a Dovecot without it."""
    c = dc.imap(user)
    for name in COI_FOLDERS:
        for cmd in ("CREATE", "SUBSCRIBE"):
            res = c.command(cmd, name)
            if not res.ok:
                raise RuntimeError("%s %s: %s %s" % (cmd, name, res.status, res.text))
    c.logout()


def start(coi, extra_conf=""):
    conf = "mail_fsync = never\n" + extra_conf
    if coi:
        return Dovecot(mail_plugins="coi", imap_plugins="imap_coi", extra_conf=conf).start()
    return Dovecot(mail_plugins="", imap_plugins="", extra_conf=conf).start()


def mailbox_counts(dc, user):
    c = dc.imap(user)
    counts = {}
    for name in ("INBOX", "COI/Chats"):
        status = c.status(name, "MESSAGES")
        counts[name] = status["MESSAGES"] if status else None
    c.logout()
    return counts


def wall_clock():
    print("P1 on " + machine())
    # fsync off on every side: the disk would hide the plugin's CPU cost.
    base = pin(start(False))
    filing = pin(start(False, FILING_CONF))
    cand = pin(start(True))
    counter = [0]
    rates = {"base": [], "filing": [], "coi": []}

    def round_(msgs):
        # Every round delivers to new users, so mailbox growth does not
        # favour any side.
        counter[0] += 1
        user = "u%d" % counter[0]
        base.imap(user).logout()
        make_coi_folders(filing, user)
        enable_coi(cand, user)
        plain = user + "@example.com"
        chats = user + "+COI/Chats@example.com"
        sides = (base, filing, cand)
        cpu = [dovecot_cpu(dc) for dc in sides]
        lat = lmtp_interleaved([(base, plain),
                                (filing, lambda i: chats if is_chat(i) else plain),
                                (cand, plain)], msgs)
        after = [dovecot_cpu(dc) for dc in sides]
        # None: a process ended during the round, and its time with it
        cpu = [(a[0] - b[0]) * 1000.0 / len(msgs) if b[1] <= a[1] else None
               for b, a in zip(cpu, after)]
        return user, [len(msgs) * 1000.0 / sum(side) for side in lat], cpu

    try:
        # a short round first: every process started, every cache warm
        user, _, _ = round_(messages(20))
        # the chat messages went where each side should file them
        expect = {"base": {"INBOX": 20, "COI/Chats": None},
                  "filing": {"INBOX": 10, "COI/Chats": 10},
                  "coi": {"INBOX": 10, "COI/Chats": 10}}
        for name, dc in (("base", base), ("filing", filing), ("coi", cand)):
            got = mailbox_counts(dc, user)
            if got != expect[name]:
                raise RuntimeError("P1 %s side filed %s, expected %s" % (name, got, expect[name]))
        msgs = messages()
        cpu = {"base": [], "filing": [], "coi": []}
        for _ in range(ROUNDS):
            _, rate, ms = round_(msgs)
            for name, r, m in zip(("base", "filing", "coi"), rate, ms):
                rates[name].append(r)
                if m is not None:
                    cpu[name].append(m)
        report("P1 delivery overhead (deliveries/s, COI active vs no plugins)", "msg/s",
               rates["base"], rates["coi"], target=0.97)
        ratio = statistics.median(rates["coi"]) / statistics.median(rates["filing"])
        print("P1 for comparison: Dovecot without plugins filing the same chat messages into "
              "COI/Chats itself: median %.1f msg/s; COI against it: ratio %.3f "
              "(what the plugins add to Dovecot's own filing)" %
              (statistics.median(rates["filing"]), ratio))
        print("  rounds Dovecot filing: %s" % ", ".join("%.1f" % x for x in rates["filing"]))
        # the server's side of it: CPU time of the LMTP, auth and log
        # processes per delivery, kernel included; the client's share of
        # the wall clock (the same on every side) is not in it
        print("P1 CPU time of Dovecot's LMTP, auth and log processes per delivery (user + "
              "system): no plugins "
              "%.3f ms, Dovecot filing %.3f ms, COI %.3f ms; no plugins / COI %.3f, "
              "Dovecot filing / COI %.3f" %
              tuple([statistics.median(cpu[n]) for n in ("base", "filing", "coi")] +
                    [statistics.median(cpu["base"]) / statistics.median(cpu["coi"]),
                     statistics.median(cpu["filing"]) / statistics.median(cpu["coi"])]))
        for name in ("base", "filing", "coi"):
            print("  rounds %s: %s" % (name, ", ".join("%.3f" % x for x in cpu[name])))
        sys.stdout.flush()
    finally:
        base.cleanup()
        filing.cleanup()
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
