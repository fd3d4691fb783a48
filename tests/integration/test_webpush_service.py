"""The Web Push service (the webpush executable, setting webpush_service):
a real Dovecot that runs it as a service, real LMTP and dovecot-lda
deliveries and IMAP sessions whose pushes it sends to the real HTTPS push
receiver, which verifies VAPID and decrypts every push.

Every push test of test_webpush_push.py and the doveadm webpush test of
test_doveadm_webpush.py runs here once more with the service (validation,
new-mail pushes, msgtype, 413, 404/410 removing subscriptions, also after
the delivering process ended). The tests of this file's own show what only
the service does: one process sends the pushes of every mail process,
mail processes send their pushes themselves while the service cannot be
reached, and the service survives hostile lines on its socket."""

import json
import os
import re
import signal
import socket
import time

from coitest import message
from coitest.webpush import ServiceMode, tabescape, tabunescape

import test_doveadm_webpush as dwp
import test_events as events
import test_webpush_push as wpp


class ServiceValidationPush(ServiceMode, wpp.ValidationPush):
    pass


class ServiceNewMailPushes(ServiceMode, wpp.NewMailPushes):
    pass


class ServiceChatRequiresCoi(ServiceMode, wpp.ChatRequiresCoi):
    pass


class ServiceExpiryAtDelivery(ServiceMode, wpp.ExpiryAtDelivery):
    pass


class ServiceValidationNotRequired(ServiceMode, wpp.ValidationNotRequired):
    pass


class ServiceDoveadmWebpushTest(ServiceMode, dwp.WebpushTest):
    """The push's log lines come from the service here, not from doveadm."""

    def test_rejected_answer_is_printed(self):
        self.dc.expect_log(r"webpush: Error: push-coi: push t2/t2-phone-subscription: The push "
                           r"service rejected the push: HTTP 403")
        super().test_rejected_answer_is_printed()

    def test_transient_answer_without_retry(self):
        # doveadm's -o plugin/webpush_max_retry_time=0 reaches the service
        # (the attempt may end in the next second)
        self.dc.expect_log(r"webpush: Warning: push-coi: push t4/t4-phone-subscription: Giving up "
                           r"after 1 attempt\(s\) in [01] s")
        super().test_transient_answer_without_retry()


class ServicePushStats(ServiceMode, events.PushStats):
    """The push events come from the service, with the same category and
    fields: the same metrics count them."""

    def test_sent_and_failed_counted(self):
        self.dc.expect_log(r"webpush: Error: push-coi: push ps1/ps1-refused-subscription: "
                           r"The push service rejected the push: HTTP 403")
        super().test_sent_and_failed_counted()


def service_pids(dc):
    """PIDs of the webpush processes of Dovecot dc."""
    return list(dc.children(("webpush",)))


class ServiceProcess(ServiceMode, wpp.PushCase):
    """With the push_coi category's debug lines in the log (the service's
    own among them)."""

    @classmethod
    def extra_args(cls):
        args = dict(super().extra_args())
        args["extra_conf"] = args.get("extra_conf", "") + "log_debug = category=push-coi\n"
        return args

    def test_one_process_sends_the_pushes_of_every_mail_process(self):
        """The pushes of IMAP (validation), of separate LMTP sessions and
        of separate dovecot-lda processes all leave from the service: it
        keeps its one TLS connection to the push service for all of them,
        where each of those processes would open its own."""
        user = "sv1"
        c = self.imap(user)
        self.subscribe(c, user, "sv1-phone")
        handshakes = self.rx.handshakes
        subjects = []
        for i, via in enumerate(("lmtp", "lda", "lmtp", "lda")):
            subject = "one of four %d" % i
            subjects.append(subject)
            _, msg = message(subject=subject)
            if via == "lmtp":
                self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
            else:
                res = self.dc.lda_deliver(user, msg)
                self.assertEqual(res.returncode, 0, res.stderr)
        payloads = self.wait_payloads("sv1-phone", 4)
        self.assertEqual(sorted(p["subject"] for p in payloads), sorted(subjects))
        self.assertEqual(self.rx.handshakes, handshakes)
        pids = service_pids(self.dc)
        self.assertEqual(len(pids), 1)
        # below the mail processes: a delivery goes first
        self.assertEqual(os.getpriority(os.PRIO_PROCESS, pids[0]), 10)

    def test_mail_process_sends_itself_while_the_service_is_away(self):
        """The service killed: the mail process notices the lost
        connection, and its next push reaches the service started again
        (the master starts it on the next connection); no push is lost."""
        user = "sv2"
        c = self.imap(user)
        self.subscribe(c, user, "sv2-phone")
        with self.dc.lmtp_session() as lmtp:
            _, msg = message(subject="before the kill")
            self.assertEqual(lmtp.deliver(user, msg)[0], 250)
            self.wait_payloads("sv2-phone", 1)
            pids = service_pids(self.dc)
            self.assertEqual(len(pids), 1)
            self.dc.expect_log(r"service\(webpush\): child %d killed with signal 9" % pids[0])
            self.dc.expect_log(r"Connection to the Web Push service .* lost")
            os.kill(pids[0], signal.SIGKILL)
            self.dc.wait_log(r"Connection to the Web Push service .* lost")
            _, msg = message(subject="after the kill")
            self.assertEqual(lmtp.deliver(user, msg)[0], 250)
            payloads = self.wait_payloads("sv2-phone", 2)
        self.assertEqual([p["subject"] for p in payloads],
                         ["before the kill", "after the kill"])
        new = service_pids(self.dc)
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new, pids)

    def connect_service(self, version="VERSION\twebpush-client\t2\t0\n"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(os.path.join(self.dc.dir, "run", "webpush"))
        f = s.makefile("rwb", buffering=0)
        if version is not None:
            f.write(version.encode())
        return s, f

    def read_line(self, f):
        line = f.readline()
        return line.decode().rstrip("\n")

    @staticmethod
    def job_line(*fields):
        """A line of the service's protocol: tab-escaped fields."""
        return ("\t".join(tabescape(str(f)) for f in fields) + "\n").encode()

    def push_line(self, push, **changes):
        p = dict(push, **changes)
        return self.job_line("PUSH", p["id"], p["owner"], p["subscription"], p["endpoint"],
                             p["p256dh"], p["auth"], 0, "", '{"subject":"x"}')

    def refused(self, f, push):
        """Sends push; returns the error of its outcome, which must refuse
        it."""
        f.write(self.push_line(push))
        fields = [tabunescape(x) for x in self.read_line(f).split("\t")]
        self.assertEqual(fields[:3], ["OUTCOME", str(push["id"]), "rejected"])
        return fields[5]

    def test_hostile_lines_on_the_socket(self):
        """Whatever a process that can open the socket sends, the service
        logs a clear error and drops that connection or refuses that push,
        and goes on sending the pushes of everyone else."""
        user = "sv3"
        c = self.imap(user)
        sub = self.subscribe(c, user, "sv3-phone")

        # not our protocol at all
        self.dc.expect_log(r"webpush: Error: .*Connected to wrong socket type")
        s, f = self.connect_service("VERSION\timap\t1\t0\n")
        self.assertEqual(self.read_line(f), "VERSION\twebpush-server\t2\t0")
        self.assertEqual(f.readline(), b"")
        s.close()

        # the protocol of another version
        self.dc.expect_log(r"webpush: Error: .*Socket supports major version 1, but we support only 2")
        s, f = self.connect_service("VERSION\twebpush-client\t1\t0\n")
        self.read_line(f)
        self.assertEqual(f.readline(), b"")
        s.close()

        # garbage after the handshake
        self.dc.expect_log(r"webpush: Error: .*Invalid line from a mail process: "
                           r"unknown line type .*: disconnecting it")
        s, f = self.connect_service()
        self.read_line(f)
        f.write(b"\xff{{{ \x00 not a line\n")
        self.assertEqual(f.readline(), b"")
        s.close()

        # a setting the service does not take
        self.dc.expect_log(r"Invalid line from a mail process: SETTINGS: unknown setting "
                           r"'mail_location': disconnecting it")
        s, f = self.connect_service()
        self.read_line(f)
        f.write(self.job_line("SETTINGS", "mail_location", "/etc"))
        self.assertEqual(f.readline(), b"")
        s.close()

        # pushes refused one by one, each with its outcome
        endpoint = self.rx.endpoint("sv3-phone")
        keys = json.loads(sub.subscription_json(endpoint))["resource"]["keys"]
        push = {"id": 1, "owner": user, "subscription": "sv3-phone-subscription",
                "endpoint": endpoint, "p256dh": keys["p256dh"].rstrip("="),
                "auth": keys["auth"].rstrip("=")}
        s, f = self.connect_service()
        self.read_line(f)
        self.dc.expect_log(r"webpush: Warning: push-coi: Push to subscription sv3-phone-subscription of "
                           r"sv3 refused: no settings line before the push")
        self.assertEqual(self.refused(f, push), "no settings line before the push")

        self.dc.expect_log(r"webpush: Error: push-coi: Invalid push_coi settings: webpush_ttl")
        self.dc.expect_log(r"refused: invalid settings: webpush_ttl")
        settings = ["webpush_ca_file", os.path.join(self.keydir, "ca.pem"),
                    "webpush_vapid_key", self.vapid_key_path,
                    "webpush_vapid_subject", self.vapid_subject]
        f.write(self.job_line("SETTINGS", *settings, "webpush_ttl", "soon"))
        self.assertIn("webpush_ttl", self.refused(f, dict(push, id=2)))

        # valid settings, but an endpoint the policy refuses
        self.dc.expect_log(r"webpush: Warning: push-coi: Subscription sv3-phone-subscription of sv3: "
                           r"endpoint refused: ")
        f.write(self.job_line("SETTINGS", *settings))
        self.assertIn("endpoint refused", self.refused(f, dict(push, id=3, endpoint="ftp://x/y")))

        # a key of the wrong size ends the connection
        self.dc.expect_log(r"Invalid line from a mail process: PUSH: 'p256dh' is 3 octets, not 65")
        f.write(self.push_line(push, id=4, p256dh="AAAA"))
        self.assertEqual(f.readline(), b"")
        s.close()

        # a header that would be two
        self.dc.expect_log(r"Invalid line from a mail process: PUSH: a header with a line break")
        s, f = self.connect_service()
        self.read_line(f)
        f.write(self.push_line(push).rstrip(b"\n") + self.job_line("", "X: 1\r\nEvil: 2"))
        self.assertEqual(f.readline(), b"")
        s.close()

        # a line longer than any push
        self.dc.expect_log(r"webpush: Error: .*(Too large input|too long)")
        s, f = self.connect_service()
        self.read_line(f)
        try:
            f.write(b"RESUME\t" + b"x" * (200 * 1024) + b"\n")
            self.assertEqual(f.readline(), b"")
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()

        # and the real mail processes still get their pushes through
        self.assertEqual(len(service_pids(self.dc)), 1)
        _, msg = message(subject="after the hostile lines")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        self.assertEqual(self.wait_payloads("sv3-phone", 1)[0]["subject"],
                         "after the hostile lines")

    def settings_fields(self, ttl):
        """A settings line's fields for pushes to the receiver; ttl makes
        each one different (the service keeps one profile per line)."""
        return ["webpush_ca_file", os.path.join(self.keydir, "ca.pem"),
                "webpush_vapid_key", self.vapid_key_path,
                "webpush_vapid_subject", self.vapid_subject,
                "webpush_allowed_networks", "127.0.0.1",
                "webpush_ttl", str(ttl)]

    def raw_push(self, user, name):
        """A push to receiver path name as a mail process hands it over
        (push_line()), for user's subscription name-subscription."""
        sub = self.subscribe(self.imap(user), user, name)
        endpoint = self.rx.endpoint(name)
        keys = json.loads(sub.subscription_json(endpoint))["resource"]["keys"]
        return {"id": 1, "owner": user, "subscription": name + "-subscription",
                "endpoint": endpoint, "p256dh": keys["p256dh"].rstrip("="),
                "auth": keys["auth"].rstrip("=")}

    def send_with_settings(self, f, ttl, push):
        """Sends a settings line and push; returns the push's outcome
        fields, or None when the service disconnected instead."""
        try:
            f.write(self.job_line("SETTINGS", *self.settings_fields(ttl)))
            f.write(self.push_line(push))
            line = f.readline()
        except (BrokenPipeError, ConnectionResetError):
            return None
        if line == b"":
            return None
        return [tabunescape(x) for x in line.decode().rstrip("\n").split("\t")]

    def test_settings_beyond_the_limit_replace_idle_ones(self):
        """The service keeps at most 64 settings profiles (one per domain
        where each has its own VAPID key, say): beyond that it forgets one
        that no connected mail process uses and that has no push left,
        instead of refusing the new settings."""
        push = self.raw_push("sv5", "sv5-phone")
        s, f = self.connect_service()
        self.read_line(f)
        for i in range(80):
            out = self.send_with_settings(f, 1000 + i, dict(push, id=i + 1))
            self.assertEqual(out[:3] if out else out, ["OUTCOME", str(i + 1), "delivered"])
        s.close()
        reqs = self.rx.wait_requests("sv5-phone", 81)
        self.assertEqual([r.headers["ttl"] for r in reqs[1:]],
                         [str(1000 + i) for i in range(80)])
        # every profile has its own sender, all of them one CA store (a
        # copy of the system's CA bundle takes about 0.9 MB): it is loaded
        # once at most, not 80 times
        sent = r"webpush: Debug: .*Sending a push to subscription sv5-phone-subscription of sv5"
        deadline = time.time() + 10
        # (the validation push, then the 80)
        while (len([x for x in self.dc.log_lines() if re.search(sent, x)]) < 81 and
               time.time() < deadline):
            time.sleep(0.05)
        lines = self.dc.log_lines()
        self.assertEqual(len([x for x in lines if re.search(sent, x)]), 81)
        loads = [x for x in lines if re.search(r"webpush: Debug: .*Loaded the CA certificates", x)]
        self.assertLessEqual(len(loads), 1, loads)

    def test_settings_in_use_are_kept(self):
        """Profiles that connected mail processes use are never forgotten:
        with 64 of them in use, new settings are refused with a clear
        error; once one of those processes is gone, they are taken."""
        push = self.raw_push("sv6", "sv6-phone")
        self.dc.expect_log(r"webpush: Error: .*more than 64 different settings of push_coi in "
                           r"use at once .*: disconnecting the mail process")
        conns = []
        refused = None
        try:
            for i in range(70):
                s, f = self.connect_service()
                self.read_line(f)
                out = self.send_with_settings(f, 5000 + i, dict(push, id=i + 1))
                if out is None:
                    refused = i
                    s.close()
                    break
                self.assertEqual(out[:3], ["OUTCOME", str(i + 1), "delivered"])
                conns.append(s)
            # the test's Dovecot's own mail processes may hold a few
            self.assertIsNotNone(refused)
            self.assertGreaterEqual(refused, 60)
            self.assertLessEqual(refused, 64)
            conns.pop(0).close()
            deadline = time.time() + 10
            while True:
                s, f = self.connect_service()
                self.read_line(f)
                out = self.send_with_settings(f, 5000 + refused, dict(push, id=100))
                s.close()
                if out is not None or time.time() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(out[:3] if out else out, ["OUTCOME", "100", "delivered"])
        finally:
            for s in conns:
                s.close()


def deliver_three(case, user, tag):
    """Subscribes user (receiver path <user>-phone) and delivers three
    messages in one LMTP session; returns their subjects and the three
    payloads that arrived."""
    c = case.imap(user)
    case.subscribe(c, user, user + "-phone")
    subjects = ["%s %d" % (tag, i) for i in range(3)]
    with case.dc.lmtp_session() as lmtp:
        for subject in subjects:
            _, msg = message(subject=subject)
            case.assertEqual(lmtp.deliver(user, msg)[0], 250)
    return subjects, case.wait_payloads(user + "-phone", 3)


class ServiceIdle(ServiceMode, wpp.PushCase):
    """webpush -n idle: the service takes only CPU time no other process wants
    (SCHED_IDLE), and still sends every push."""

    service_options = "-n idle"

    def test_idle_scheduling(self):
        subjects, payloads = deliver_three(self, "si1", "idle")
        self.assertEqual([p["subject"] for p in payloads], subjects)
        pids = service_pids(self.dc)
        self.assertEqual(len(pids), 1)
        self.assertEqual(os.sched_getscheduler(pids[0]), os.SCHED_IDLE)


class ServiceBadOption(ServiceMode, wpp.PushCase):
    """An -n value the service does not take: it ends at once with an error
    that names the option (the master starts it again, throttled)."""

    service_options = "-n 20"
    service_min_avail = 1

    def test_invalid_niceness_is_fatal(self):
        self.dc.expect_log(r"webpush: Fatal: -n: not a niceness from 0 to 19, nor idle: 20")
        self.dc.expect_log(r"service\(webpush\): command startup failed, throttling")
        self.dc.expect_log(r"service\(webpush\): child \d+ returned error")
        # process_min_avail starts the service with Dovecot, before the test's
        # mark; once throttled, the master starts it again only for a
        # connection. So the Fatal line may be the one before the mark.
        self.dc.wait_log(r"webpush: Fatal: -n: not a niceness from 0 to 19, nor idle: 20",
                         since_mark=False)


class ServiceUnreachable(wpp.PushCase):
    """webpush_service names a socket nobody listens on: the mail processes
    send their pushes themselves and say so, once a minute at most."""

    @classmethod
    def extra_settings(cls):
        return dict(super().extra_settings(), webpush_service="no-such-webpush")

    def test_pushes_sent_by_the_process(self):
        user = "su1"
        self.dc.expect_log(r"push-coi: Web Push service .*/no-such-webpush: connect\(.*\) "
                           r"failed: .*: this process sends its pushes itself")
        subjects, payloads = deliver_three(self, user, "unreachable")
        # several connections at once: in any order
        self.assertEqual(sorted(p["subject"] for p in payloads), subjects)
        warnings = [line for line in self.dc.log_lines()
                    if "this process sends its pushes itself" in line]
        # one for the IMAP process, one for the LMTP process
        self.assertEqual(len(warnings), 2, warnings)


class ServiceStops(ServiceMode, wpp.PushCase):
    """Dovecot stops while the service waits to retry a push: the service
    ends cleanly and keeps the push in the user's spool, as a mail process
    does (the next session of the user resumes it)."""

    @classmethod
    def extra_settings(cls):
        return dict(super().extra_settings(), webpush_retry_delay="1min",
                    webpush_max_retry_time="1h", webpush_exit_wait="1s")

    def test_waiting_retry_spooled_at_stop(self):
        user = "ss1"
        c = self.imap(user)
        self.subscribe(c, user, "ss1-phone")
        c.logout()
        self.rx.answer("ss1-phone", 503)
        self.dc.expect_log(r"webpush: .*push ss1/ss1-phone-subscription: .*HTTP 503")
        _, msg = message(subject="retried after the stop")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        self.rx.wait_requests("ss1-phone", 2)
        pid = service_pids(self.dc)[0]
        self.dc.expect_log(r"master: Warning: Killed with signal 15")
        self.dc.stop()
        log = self.dc.read_log()
        self.assertNotRegex(log, r"killed with signal|Panic|Fatal")
        self.assertFalse(os.path.exists("/proc/%d" % pid))
        spool = os.path.join(self.dc.home(user), ".webpush-spool")
        entries = [n for n in os.listdir(spool) if n.endswith(".push")]
        self.assertEqual(len(entries), 1, os.listdir(spool))
        with open(os.path.join(spool, entries[0])) as f:
            entry = json.load(f)
        # the owner as LMTP named the user
        self.assertEqual((entry["owner"], entry["subscription"]),
                         (user + "@example.com", "ss1-phone-subscription"))
