#!/usr/bin/python3
"""P1 delivery overhead: LMTP deliveries per second with COI enabled,
message-filter active and no push subscriptions, divided by the same
Dovecot without our plugins. Target >= 0.97.

Three Dovecots take the same messages in turn, one by one: the baseline
(no plugins), the same again (how far apart two equal sides land in the
run: the noise the verdict has to be read with) and COI. With --filing,
a fourth: one without our plugins that files the same chat messages into
COI/Chats itself (lmtp_save_to_detail_mailbox, the recipient's +detail
naming the folder: Dovecot's own cost of filing into a second mailbox,
which the verdict's baseline never pays; not run by make bench, which
must stay under 5 minutes). Also printed: the CPU time of each side's
LMTP, auth and log processes per delivery.

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

from common import LMTP_PROCESS_PER_CONNECTION, VALGRIND, Dovecot, callgrind_conf, \
    callgrind_total, cpu_between, dovecot_cpu, lmtp_interleaved, machine, message, pin, report

# Each round delivers PER_ROUND messages to a fresh user on every side,
# message by message in turn (lmtp_interleaved). Every filed chat message
# adds about 180 bytes to the mailbox list index's log (Chats' status),
# and every delivery reads that log from its start (for the modseq at its
# end) until Dovecot rotates it at 64 kB, after about 360 chat messages.
# A round files 360: its deliveries see every log length from empty to
# full once, as those of a user who gets chat mail all day do.
ROUNDS = 7
PER_ROUND = 720
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


# the sides of the wall-clock run: name, what report lines call it
SIDES = (("base", "no plugins"), ("again", "no plugins again"),
         ("filing", "Dovecot filing"), ("coi", "COI"))


def wall_clock(with_filing):
    print("P1 on " + machine())
    sides = [(name, label) for name, label in SIDES if with_filing or name != "filing"]
    names = [name for name, _ in sides]
    # fsync off on every side: the disk would hide the plugin's CPU cost;
    # an LMTP process per connection (see common.LMTP_PROCESS_PER_CONNECTION)
    conf = {"base": "", "again": "", "filing": FILING_CONF, "coi": ""}
    dcs = {name: pin(start(name == "coi", conf[name] + LMTP_PROCESS_PER_CONNECTION))
           for name in names}
    counter = [0]
    rates = {name: [] for name in names}
    cpu = {name: [] for name in names}

    def round_(msgs):
        # Every round delivers to new users, so mailbox growth does not
        # favour any side.
        counter[0] += 1
        user = "u%d" % counter[0]
        dcs["base"].imap(user).logout()
        dcs["again"].imap(user).logout()
        if with_filing:
            make_coi_folders(dcs["filing"], user)
        enable_coi(dcs["coi"], user)
        plain = user + "@example.com"
        chats = user + "+COI/Chats@example.com"
        rcpt = {name: plain for name in names}
        rcpt["filing"] = lambda i: chats if is_chat(i) else plain
        lat, (before, after) = lmtp_interleaved(
            [(dcs[name], rcpt[name]) for name in names], msgs,
            measure=lambda: [dovecot_cpu(dcs[name]) for name in names])
        for k, name in enumerate(names):
            rates[name].append(len(msgs) * 1000.0 / sum(lat[k]))
            cpu[name].append(cpu_between(before[k], after[k]) * 1000.0 / len(msgs))
        return user

    try:
        # a short round first: every process started, every cache warm
        user = round_(messages(20))
        # the chat messages went where each side should file them
        expect = {"base": {"INBOX": 20, "COI/Chats": None},
                  "again": {"INBOX": 20, "COI/Chats": None},
                  "filing": {"INBOX": 10, "COI/Chats": 10},
                  "coi": {"INBOX": 10, "COI/Chats": 10}}
        for name in names:
            got = mailbox_counts(dcs[name], user)
            if got != expect[name]:
                raise RuntimeError("P1 %s side filed %s, expected %s" % (name, got, expect[name]))
            del rates[name][:], cpu[name][:]
        msgs = messages()
        for _ in range(ROUNDS):
            round_(msgs)
        report("P1 delivery overhead (deliveries/s, COI active vs no plugins)", "msg/s",
               rates["base"], rates["coi"], target=0.97, paired=True)
        med = {name: statistics.median(rates[name]) for name in names}

        def paired(x, y):
            """median, min and max of the per-round ratios x[i] / y[i]"""
            r = [a / b for a, b in zip(x, y)]
            return statistics.median(r), min(r), max(r)

        print("P1 noise: the same Dovecot without plugins again, median %.1f msg/s; against the "
              "first, median of the per-round ratios %.3f (%.3f to %.3f): how far apart two "
              "equal sides land in this run" %
              ((med["again"],) + paired(rates["again"], rates["base"])))
        if with_filing:
            print("P1 for comparison: a Dovecot without plugins filing the same chat messages "
                  "into COI/Chats itself, median %.1f msg/s; COI against it: %.3f" %
                  (med["filing"], med["coi"] / med["filing"]))
        for name in names[1:-1]:
            print("  rounds %s: %s" % (dict(SIDES)[name],
                                       ", ".join("%.1f" % x for x in rates[name])))
        # the server's side of it: CPU time of the LMTP, auth and log
        # processes per delivery, kernel included; the client's share of
        # the wall clock (the same on every side) is not in it
        mc = {name: statistics.median(cpu[name]) for name in names}
        print("P1 CPU time of Dovecot's LMTP, auth and log processes per delivery (user + "
              "system, medians): %s; no plugins / COI, median of the per-round ratios %.3f "
              "(%.3f to %.3f)" %
              ((", ".join("%s %.3f ms" % (label, mc[name]) for name, label in sides),) +
               paired(cpu["base"], cpu["coi"])))
        for name, label in sides:
            print("  rounds %s: %s" % (label, ", ".join("%.3f" % x for x in cpu[name])))
        sys.stdout.flush()
    finally:
        for dc in dcs.values():
            dc.cleanup()
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
    return wall_clock("--filing" in sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
