"""Shared pieces of the benchmarks: sides that take turns, medians, ratios.

These machines are noisy: every benchmark measures its baseline and its
candidate in the same run, taking turns (P1, P2, P3 message by message,
lmtp_interleaved(); P4 by rounds, alternate()), and reports medians, so
the printed ratio compares like with like. No benchmark asserts a time."""

import os
import platform
import smtplib
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

from coitest import Dovecot, message  # noqa: E402,F401


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s, Python %s" % (cpu, os.cpu_count(), platform.platform(), platform.python_version())


def pin(dc):
    """Dovecot (its master and every process it starts from now on) on
    CPU 0, this process (P1's LMTP client, the test receiver) on CPU 1, so
    that the benchmark's own Python does not take CPU time from the
    deliveries being measured. The push benchmarks' LMTP client runs on
    CPU 0 (in_child()). No-op on one CPU."""
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(dc.proc.pid, {0})
        os.sched_setaffinity(0, {1})
    return dc


def pin_children(dc, name, cpus, timeout=10):
    """Moves Dovecot's process name (a child of its master, e.g. the Web
    Push service) to cpus. Waits for it to start."""
    deadline = time.time() + timeout
    while True:
        pids = list(dc.children((name,)))
        if pids or time.time() > deadline:
            break
        time.sleep(0.05)
    if not pids:
        raise RuntimeError("no %s process under Dovecot %d" % (name, dc.proc.pid))
    for pid in pids:
        os.sched_setaffinity(pid, cpus)
    return pids


def dovecot_cpu(dc, names=("lmtp", "auth", "log")):
    """{pid: CPU ticks, user + system} of dc's running processes named in
    names (by default those a delivery uses). cpu_between() turns two of
    these into seconds."""
    return {pid: int(f[11]) + int(f[12]) for pid, f in dc.children(names).items()}


def cpu_between(before, after):
    """CPU seconds that the processes of the dovecot_cpu() snapshot after
    used since the snapshot before: a process started in between counts
    from its start; one that ended in between is left out (a process that
    ends takes its time with it; the master's reaped children are not
    counted, as they include the IMAP processes that set a round up)."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


# With this, each LMTP connection of a benchmark has an LMTP process of
# its own. A process that serves many rounds makes all of them faster or
# slower by up to 10 % (two Dovecots without plugins, the same messages in
# turn, differed by 0.96 to 1.10 from run to run, steadily within a run);
# a new one per round spreads that over the rounds, where medians take it
# out (0.995 to 1.002).
LMTP_PROCESS_PER_CONNECTION = "service lmtp {\n  service_count = 1\n}\n"


def in_child(fn, *args):
    """Runs fn(*args) in a forked child process on CPU 0, where Dovecot's
    processes are (see pin()), and returns its result. For the LMTP client
    of the push benchmarks, which stands in for a remote MTA:
    - in this process it would share the GIL with the test push
      receiver's threads, and a receiver thread holding it delays the
      client's next LMTP command by up to the interpreter's 5 ms switch
      interval;
    - on CPU 1 it would wait for the CPU behind the Web Push service and
      the receiver. On CPU 0 it takes turns with the LMTP process (it
      waits for each reply; the LMTP process waits for each command)
      instead of competing with it.
    Either delay would count as the server's time."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)

    def run():
        try:
            if (os.cpu_count() or 1) >= 2:
                os.sched_setaffinity(0, {0})
            writer.send((True, fn(*args)))
        except BaseException as e:  # noqa: B902 - reported to the parent
            writer.send((False, repr(e)))

    proc = ctx.Process(target=run)
    proc.start()
    ok, value = reader.recv()
    proc.join()
    if not ok:
        raise RuntimeError("benchmark client failed: " + value)
    return value


def alternate(rounds, baseline, candidate):
    """Runs baseline() and candidate() alternately rounds times (starting
    with the other one every round); returns (baseline values, candidate values)."""
    b, c = [], []
    for i in range(rounds):
        if i % 2 == 0:
            b.append(baseline())
            c.append(candidate())
        else:
            c.append(candidate())
            b.append(baseline())
    return b, c


def report(name, unit, b, c, target=None, higher_is_better=True, paired=False):
    """Prints the medians of baseline values b and candidate values c, their
    ratio, the rounds and the median of the per-round ratios. The verdict
    is the ratio of the medians, or with paired (for sides that took turns
    message by message, lmtp_interleaved()) the median of the per-round
    ratios: round i of each side then ran in the same seconds, and its
    ratio is one paired measurement. Returns the ratio the verdict used."""
    mb, mc = statistics.median(b), statistics.median(c)
    ratio = mc / mb if mb else float("inf")
    # Round i of each side ran back to back (or, paired, in turns): their
    # ratio is not moved by a machine that gets faster or slower during the
    # run.
    pairs = [y / x for x, y in zip(b, c) if x]
    if paired:
        ratio = statistics.median(pairs)
    verdict = ""
    if target is not None:
        ok = ratio >= target if higher_is_better else ratio <= target
        verdict = "  target %s %.2f: %s" % (">=" if higher_is_better else "<=", target,
                                             "met" if ok else "NOT met")
    if paired:
        print("%s: median of the per-round ratios %.3f (%.3f to %.3f)%s" %
              (name, ratio, min(pairs), max(pairs), verdict))
        print("  baseline median %.1f %s, candidate median %.1f %s, ratio of the medians %.3f" %
              (mb, unit, mc, unit, mc / mb if mb else float("inf")))
    else:
        print("%s: baseline median %.1f %s, candidate median %.1f %s, ratio %.3f%s" %
              (name, mb, unit, mc, unit, ratio, verdict))
    print("  rounds baseline: %s" % ", ".join("%.1f" % x for x in b))
    print("  rounds candidate: %s" % ", ".join("%.1f" % x for x in c))
    if pairs and not paired:
        print("  median of the per-round ratios: %.3f (%.3f to %.3f)" %
              (statistics.median(pairs), min(pairs), max(pairs)))
    sys.stdout.flush()
    return ratio


LMTP = "/usr/lib/dovecot/lmtp"
VALGRIND = "/usr/bin/valgrind"


def callgrind_conf(out):
    """Dovecot configuration that runs every LMTP process under callgrind,
    writing its counts into the directory out (made writable for it)."""
    os.chmod(out, 0o777)
    return ("service lmtp {\n  executable = %s --tool=callgrind "
            "--callgrind-out-file=%s/callgrind.%%p %s\n}\n" % (VALGRIND, out, LMTP))


def callgrind_total(out):
    """The instructions of every callgrind count file in out."""
    import glob
    total = 0
    for path in glob.glob(os.path.join(out, "callgrind.*")):
        with open(path) as f:
            for line in f:
                if line.startswith("summary:"):
                    total += int(line.split()[1])
    return total


def lmtp_rate(dc, messages, user="alice", warmup=0):
    """Delivers messages over one LMTP connection; returns deliveries/s.
    warmup: the first so many are delivered untimed (see
    lmtp_interleaved())."""
    with smtplib.LMTP("127.0.0.1", dc.lmtp_port, timeout=60) as lmtp:
        lmtp.ehlo("bench")
        for msg in messages[:warmup]:
            lmtp.sendmail("sender@example.org", [user + "@example.com"], msg)
        start = time.perf_counter()
        for msg in messages[warmup:]:
            lmtp.sendmail("sender@example.org", [user + "@example.com"], msg)
        elapsed = time.perf_counter() - start
    return (len(messages) - warmup) / elapsed


def lmtp_interleaved(sides, messages, measure=None, warmup=0):
    """Delivers messages[i] to every side in turn, the order rotating with
    i, each side over its own LMTP connection; sides: (Dovecot, recipient)
    pairs, the recipient a string or a function of the message's index.
    Returns each side's per-delivery latencies in ms. The sides take turns
    message by message, so a machine that gets faster or slower during a
    run moves all of them alike: that is the alternation of baseline and
    candidate at its finest. measure: called once every connection is up
    and again after the last delivery, before the connections close (while
    their processes still run); then returns (latencies, its two results).
    warmup: the first so many messages are delivered untimed (and before
    measure's first call), leaving out what a new LMTP process does once."""
    conns = []
    try:
        for dc, _ in sides:
            lmtp = smtplib.LMTP("127.0.0.1", dc.lmtp_port, timeout=120)
            conns.append(lmtp)
            lmtp.ehlo("bench")
        first = None
        out = [[] for _ in sides]
        for i, msg in enumerate(messages):
            if i == warmup and measure:
                first = measure()
            for k in range(len(sides)):
                side = (i + k) % len(sides)
                rcpt = sides[side][1]
                rcpt = rcpt(i) if callable(rcpt) else rcpt
                start = time.perf_counter()
                conns[side].sendmail("sender@example.org", [rcpt], msg)
                if i >= warmup:
                    out[side].append((time.perf_counter() - start) * 1000.0)
        if measure:
            return out, (first, measure())
        return out
    finally:
        for lmtp in conns:
            try:
                lmtp.quit()
            except (OSError, smtplib.SMTPException):
                lmtp.close()
