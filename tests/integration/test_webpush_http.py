"""The real Web Push transport (webpush-http.c, webpush-sender.c,
webpush-spool.c on Dovecot's ioloop and libcurl) against the real HTTPS test
push receiver, through the webpush-send tool (tests/unit/webpush-send.c).

Covers WP-18 (headers of every push) and WP-19 (what each answer of the
push service does), connection reuse, a never-answering push service not
holding up other pushes, retries bounded by webpush_max_retry_time, the
endpoint address policy on every connected address, the pinned address,
the bounded wait of an ending process and the retry spool across processes.

The tool prints one JSON line per outcome / "gone" callback, in the order
they happen; its log (Dovecot's, on stderr) is checked for the lines the
sender writes. Bodies and VAPID headers are made here in Python; the C
encryption and VAPID modules have their own tests.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from coitest import build_dir
from coitest.dovecot import MAIL_GID, MAIL_UID, free_port
from coitest.pushreceiver import Answer, PushReceiver, VapidKey, b64u_encode

TOOL = os.path.join(build_dir(), "tests", "unit", "webpush-send")
# The tool runs as the mail user, as Dovecot's mail processes do: nothing
# writes a user's spool as root.
AS_USER = dict(user=MAIL_UID, group=MAIL_GID, extra_groups=[]) if os.geteuid() == 0 else {}
# e.g. WEBPUSH_SEND_WRAPPER="valgrind -q --leak-check=full --error-exitcode=9"
WRAPPER = os.environ.get("WEBPUSH_SEND_WRAPPER", "").split()


class WebpushToolCase(unittest.TestCase):
    """The push receiver, a VAPID key and helpers that run webpush-send
    (no tests of its own; also used by test_events)."""

    @classmethod
    def make_receiver(cls):
        """The started push receiver: by default the Python one, which
        verifies VAPID, decrypts and answers as each test scripts it."""
        return PushReceiver().start()

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TOOL):
            raise RuntimeError("%s is not built (run make)" % TOOL)
        cls.rx = cls.make_receiver()
        cls.vapid = VapidKey()
        cls.tmp = tempfile.mkdtemp(prefix="coitest-webpush-")
        os.chmod(cls.tmp, 0o755)

    @classmethod
    def tearDownClass(cls):
        cls.rx.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.rx.reset()
        self.spool = tempfile.mkdtemp(dir=self.tmp)
        if AS_USER:
            os.chown(self.spool, MAIL_UID, MAIL_GID)
        self.job_no = 0

    # --- helpers -----------------------------------------------------------

    def push(self, name, plaintext=b'{"msg":"hello"}', small=b'{"msg":"small"}',
             host=None, **extra):
        """A push to /push/<name> (a new subscriber unless it exists)."""
        sub, endpoint = self.rx.subscriber(name, host=host)
        origin = self.rx.origin(host)
        p = {
            "id": name,
            "owner": "alice",
            "subscription": "sub-" + name,
            "endpoint": endpoint,
            "headers": ["Authorization: " + self.vapid.authorization(origin)],
            "body": b64u_encode(sub.encrypt(plaintext)),
        }
        if small is not None:
            p["small_body"] = b64u_encode(sub.encrypt(small))
        p.update(extra)
        return p

    def settings(self, **kw):
        s = {
            "webpush_ca_file": self.rx.ca_file,
            "webpush_request_timeout": "5s",
            "webpush_max_retry_time": "30s",
            "webpush_retry_delay": "100ms",
            "webpush_retry_max_delay": "1s",
            "webpush_exit_wait": "5s",
            "webpush_spool_dir": self.spool,
        }
        s.update(kw)
        return ["%s=%s" % (k, v) for k, v in s.items() if v is not None]

    def run_tool(self, pushes, settings=None, mode="run", resume=(),
                 allowed_networks="127.0.0.0/8", authorization=None, take_gone=()):
        """Runs webpush-send; returns (events, log)."""
        self.job_no += 1
        job = {"mode": mode, "pushes": pushes, "resume": list(resume),
               "take_gone": list(take_gone)}
        if allowed_networks is not None:
            job["allowed_networks"] = allowed_networks
        if authorization is not None:
            job["authorization"] = authorization
        path = os.path.join(self.tmp, "job-%s-%d.json" % (self._testMethodName, self.job_no))
        with open(path, "w") as f:
            json.dump(job, f)
        env = dict(os.environ, LD_LIBRARY_PATH="/usr/lib/dovecot")
        res = subprocess.run(WRAPPER + [TOOL, path] + (settings if settings is not None
                                             else self.settings()),
                             capture_output=True, text=True, timeout=120, env=env, **AS_USER)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotRegex(res.stderr, r"Panic|Fatal")
        events = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual(events[-1], {"event": "end"}, res.stdout)
        return events[:-1], res.stderr

    @staticmethod
    def outcomes(events):
        return {e["id"]: e for e in events if e["event"] == "outcome"}


class WebpushTransport(WebpushToolCase):
    # --- WP-18 -------------------------------------------------------------

    def test_201_delivered_with_every_header(self):
        events, log = self.run_tool([self.push("ok", b'{"a":"b"}')], self.settings(
            webpush_ttl="3600", webpush_urgency="high", webpush_topic="new-mail_1"))
        out = self.outcomes(events)["ok"]
        self.assertEqual((out["result"], out["status"], out["attempts"]), ("delivered", 201, 1))
        req = self.rx.requests("ok")[0]
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.headers["ttl"], "3600")
        self.assertEqual(req.headers["content-encoding"], "aes128gcm")
        self.assertEqual(req.headers["content-type"], "application/octet-stream")
        self.assertEqual(req.headers["urgency"], "high")
        self.assertEqual(req.headers["topic"], "new-mail_1")
        self.assertIsNone(req.vapid_error)
        self.assertIsNone(req.decrypt_error)
        self.assertEqual(req.json(), {"a": "b"})
        self.assertNotIn("Error", log)

    def test_default_ttl_and_no_urgency_or_topic(self):
        events, _ = self.run_tool([self.push("defaults")])
        self.assertEqual(self.outcomes(events)["defaults"]["result"], "delivered")
        req = self.rx.requests("defaults")[0]
        self.assertEqual(req.headers["ttl"], "86400")
        self.assertNotIn("urgency", req.headers)
        self.assertNotIn("topic", req.headers)

    def test_push_overrides_urgency_and_topic_and_drops_duplicate_headers(self):
        p = self.push("override", urgency="very-low", topic="abc")
        p["headers"] += ["TTL: 5", "Content-Type: text/plain", "X-Extra: 1"]
        events, _ = self.run_tool([p], self.settings(webpush_urgency="high"))
        self.assertEqual(self.outcomes(events)["override"]["result"], "delivered")
        req = self.rx.requests("override")[0]
        self.assertEqual(req.headers["urgency"], "very-low")
        self.assertEqual(req.headers["topic"], "abc")
        self.assertEqual([v for k, v in req.header_list if k == "ttl"], ["86400"])
        self.assertEqual([v for k, v in req.header_list if k == "content-type"],
                         ["application/octet-stream"])
        self.assertEqual(req.headers["x-extra"], "1")

    def test_invalid_topic_is_refused_before_sending(self):
        events, log = self.run_tool([self.push("badtopic", topic="x" * 33),
                                     self.push("badtopic2", topic="no spaces")])
        out = self.outcomes(events)
        self.assertEqual(out["badtopic"]["result"], "rejected")
        self.assertEqual(out["badtopic2"]["result"], "rejected")
        self.assertEqual(out["badtopic"]["attempts"], 0)
        self.assertIn("invalid Topic", log)
        self.assertEqual(self.rx.requests("badtopic") + self.rx.requests("badtopic2"), [])

    def test_invalid_settings_are_named(self):
        for name, value in (("webpush_topic", "a" * 33), ("webpush_urgency", "urgent"),
                            ("webpush_ttl", "soon"), ("webpush_spool_dir", "relative")):
            res = subprocess.run([TOOL, os.devnull] + self.settings(**{name: value}),
                                 capture_output=True, text=True, timeout=30, **AS_USER,
                                 env=dict(os.environ, LD_LIBRARY_PATH="/usr/lib/dovecot"))
            self.assertNotEqual(res.returncode, 0)
            self.assertIn(name, res.stderr)

    # --- WP-19 -------------------------------------------------------------

    def test_other_2xx_is_success(self):
        self.rx.subscriber("accepted")
        self.rx.answer("accepted", 202)
        events, _ = self.run_tool([self.push("accepted")])
        out = self.outcomes(events)["accepted"]
        self.assertEqual((out["result"], out["status"]), ("delivered", 202))

    def test_404_and_410_report_gone(self):
        for name, status in (("gone404", 404), ("gone410", 410)):
            self.rx.subscriber(name)
            self.rx.answer(name, status)
        events, log = self.run_tool([self.push("gone404"), self.push("gone410")],
                                    self.settings(webpush_spool_dir=""))
        out = self.outcomes(events)
        for name, status in (("gone404", 404), ("gone410", 410)):
            self.assertEqual((out[name]["result"], out[name]["status"], out[name]["attempts"]),
                             ("gone", status, 1))
            gone = [e for e in events if e["event"] == "gone" and e["subscription"] == "sub-" + name]
            self.assertEqual(len(gone), 1)
            self.assertEqual(gone[0]["owner"], "alice")
            self.assertEqual(gone[0]["status"], status)
            self.assertEqual(len(self.rx.requests(name)), 1)
        self.assertIn("subscription is gone", log)

    def test_gone_is_recorded_for_the_next_session(self):
        # the answer may come when the delivery (and its user) is long gone:
        # the spool keeps one record per subscription until the user's next
        # session takes it
        self.rx.subscriber("deadsub")
        self.rx.answer("deadsub", 410)
        p1 = self.push("deadsub")
        p2 = dict(p1, id="deadsub-again")
        events, _ = self.run_tool([p1, p2])
        self.assertEqual([self.outcomes(events)[i]["result"] for i in ("deadsub", "deadsub-again")],
                         ["gone", "gone"])
        self.assertEqual(len([n for n in os.listdir(self.spool) if n.endswith(".gone")]), 1)
        events, _ = self.run_tool([], take_gone=[self.spool])
        records = [e for e in events if e["event"] == "gone_record"]
        self.assertEqual(records, [{"event": "gone_record", "owner": "alice",
                                    "subscription": "sub-deadsub", "endpoint": p1["endpoint"],
                                    "status": 410}])
        self.assertEqual(os.listdir(self.spool), [])
        events, _ = self.run_tool([], take_gone=[self.spool])
        self.assertEqual(events, [])

    def test_413_resends_once_without_content(self):
        self.rx.subscriber("big")
        self.rx.answer("big", 413, 201)
        events, log = self.run_tool([self.push("big", b'{"content":"long"}', b'{"short":1}')])
        out = self.outcomes(events)["big"]
        self.assertEqual((out["result"], out["status"], out["attempts"]), ("delivered", 201, 2))
        reqs = self.rx.requests("big")
        self.assertEqual([r.json() for r in reqs], [{"content": "long"}, {"short": 1}])
        self.assertIn("without content", log)

    def test_413_twice_is_an_error_not_a_deletion(self):
        self.rx.subscriber("huge")
        self.rx.answer("huge", Answer(413, body="Payload Too Large"))
        events, log = self.run_tool([self.push("huge")])
        out = self.outcomes(events)["huge"]
        self.assertEqual((out["result"], out["attempts"]), ("rejected", 2))
        self.assertEqual(len(self.rx.requests("huge")), 2)
        self.assertFalse([e for e in events if e["event"] == "gone"])
        self.assertRegex(log, r"Error: .*too large.*Payload Too Large")

    def test_413_without_smaller_body_is_not_resent(self):
        self.rx.subscriber("nosmall")
        self.rx.answer("nosmall", 413)
        events, _ = self.run_tool([self.push("nosmall", small=None)])
        out = self.outcomes(events)["nosmall"]
        self.assertEqual((out["result"], out["attempts"]), ("rejected", 1))

    def test_429_waits_for_retry_after(self):
        self.rx.subscriber("slowdown")
        self.rx.answer("slowdown", Answer(429, retry_after=1), 201)
        events, log = self.run_tool([self.push("slowdown")], self.settings(
            webpush_retry_max_delay="5s"))
        out = self.outcomes(events)["slowdown"]
        self.assertEqual((out["result"], out["attempts"]), ("delivered", 2))
        # the delay is the service's Retry-After, not the 100 ms backoff
        self.assertRegex(log, r"Attempt 1 failed \(HTTP 429\); retrying in 1000 ms")

    def test_429_retry_after_is_capped(self):
        self.rx.subscriber("capped")
        self.rx.answer("capped", Answer(429, retry_after=86400), 201)
        events, log = self.run_tool([self.push("capped")], self.settings(
            webpush_retry_max_delay="1s"))
        self.assertEqual(self.outcomes(events)["capped"]["result"], "delivered")
        self.assertRegex(log, r"retrying in 1000 ms")

    def test_429_http_date_retry_after(self):
        self.rx.subscriber("datewait")
        self.rx.answer("datewait", Answer(429, retry_after="Thu, 01 Jan 1970 00:00:00 GMT"), 201)
        events, log = self.run_tool([self.push("datewait")])
        self.assertEqual(self.outcomes(events)["datewait"]["result"], "delivered")
        self.assertRegex(log, r"HTTP 429\); retrying in 0 ms")

    def test_5xx_retries_with_exponential_backoff(self):
        self.rx.subscriber("flaky")
        self.rx.answer("flaky", 500, 503, 502, 201)
        events, log = self.run_tool([self.push("flaky")])
        out = self.outcomes(events)["flaky"]
        self.assertEqual((out["result"], out["attempts"]), ("delivered", 4))
        self.assertEqual(len(self.rx.requests("flaky")), 4)
        self.assertRegex(log, r"Attempt 1 failed \(HTTP 500\); retrying in 100 ms")
        self.assertRegex(log, r"Attempt 2 failed \(HTTP 503\); retrying in 200 ms")
        self.assertRegex(log, r"Attempt 3 failed \(HTTP 502\); retrying in 400 ms")
        # retries in a live process are kept in the spool, and removed when done
        self.assertEqual(os.listdir(self.spool), [])

    def test_5xx_gives_up_after_max_retry_time(self):
        self.rx.subscriber("down")
        self.rx.answer("down", 500)
        events, log = self.run_tool([self.push("down")], self.settings(
            webpush_max_retry_time="2s", webpush_retry_delay="200ms"))
        out = self.outcomes(events)["down"]
        self.assertEqual(out["result"], "expired")
        self.assertGreaterEqual(out["attempts"], 2)
        self.assertEqual(len(self.rx.requests("down")), out["attempts"])
        self.assertFalse([e for e in events if e["event"] == "gone"])
        self.assertRegex(log, r"Warning: .*Giving up after %d attempt" % out["attempts"])
        self.assertEqual(os.listdir(self.spool), [])

    def test_network_error_is_retried(self):
        port = free_port()  # nothing listens there
        p = self.push("refused")
        p["endpoint"] = "https://127.0.0.1:%d/push/refused" % port
        # a retry delay well inside the retry time: with the default
        # (1 s) the second attempt fell after it on a slow run, and so it
        # did once with a retry time of 1 s (the first attempt also loads
        # the CA bundle)
        events, log = self.run_tool([p], self.settings(webpush_max_retry_time="3s",
                                                        webpush_retry_delay="200ms"))
        out = self.outcomes(events)["refused"]
        self.assertEqual((out["result"], out["status"]), ("expired", 0))
        self.assertGreaterEqual(out["attempts"], 2)
        self.assertIn("Couldn't connect", out["error"])

    def test_400_401_403_are_logged_and_kept(self):
        for status in (400, 401, 403):
            name = "reject%d" % status
            self.rx.subscriber(name)
            self.rx.answer(name, Answer(status, body="reason-%d from the service" % status))
        events, log = self.run_tool([self.push("reject%d" % s) for s in (400, 401, 403)])
        out = self.outcomes(events)
        for status in (400, 401, 403):
            o = out["reject%d" % status]
            self.assertEqual((o["result"], o["status"], o["attempts"]), ("rejected", status, 1))
            self.assertRegex(log, r"Error: .*rejected the push: HTTP %d: reason-%d from the service"
                             % (status, status))
        self.assertFalse([e for e in events if e["event"] == "gone"])

    def test_redirect_is_not_followed(self):
        self.rx.subscriber("moved")
        self.rx.answer("moved", Answer(301, headers={"Location": self.rx.endpoint("ok")}))
        events, _ = self.run_tool([self.push("moved")])
        self.assertEqual(self.outcomes(events)["moved"]["result"], "rejected")
        self.assertEqual(self.rx.requests("ok"), [])

    # --- connections --------------------------------------------------------

    def test_sequential_pushes_reuse_one_connection(self):
        pushes = [self.push("seq%d" % i) for i in range(20)]
        for i in range(1, 20):
            pushes[i]["after"] = "seq%d" % (i - 1)
        events, _ = self.run_tool(pushes)
        self.assertEqual(sorted(e["result"] for e in self.outcomes(events).values()),
                         ["delivered"] * 20)
        self.assertEqual(len(self.rx.requests()), 20)
        self.assertEqual(self.rx.handshakes, 1)

    def test_parallel_pushes_share_few_connections(self):
        events, _ = self.run_tool([self.push("par%d" % i) for i in range(30)])
        self.assertEqual(sorted(e["result"] for e in self.outcomes(events).values()),
                         ["delivered"] * 30)
        self.assertLessEqual(self.rx.handshakes, 4)

    def test_never_answering_service_does_not_hold_up_others(self):
        self.rx.subscriber("blackhole")
        self.rx.answer("blackhole", Answer(hang=True))
        pushes = [self.push("blackhole")] + [self.push("fine%d" % i) for i in range(5)]
        events, _ = self.run_tool(pushes, self.settings(webpush_request_timeout="3s",
                                                        webpush_max_retry_time="1s"))
        order = [e["id"] for e in events if e["event"] == "outcome"]
        # every other push finished first, while the first was still held
        self.assertEqual(order[-1], "blackhole")
        out = self.outcomes(events)
        self.assertEqual(out["blackhole"]["result"], "expired")
        self.assertIn("Timeout", out["blackhole"]["error"])
        for i in range(5):
            self.assertEqual(out["fine%d" % i]["result"], "delivered")
            self.assertGreaterEqual(self.rx.requests("fine%d" % i)[0].hanging_before, 1)

    def test_slow_service_times_out_without_harm(self):
        # more pushes than connections to a service slower than the request
        # timeout: requests time out in every state (waiting for a
        # connection, connecting, waiting for the answer) and are retried
        # until webpush_max_retry_time; the process neither crashes nor hangs
        names = ["slow%d" % i for i in range(12)]
        for name in names:
            self.rx.subscriber(name)
            self.rx.answer(name, Answer(201, delay=3))
        events, log = self.run_tool([self.push(n) for n in names], self.settings(
            webpush_request_timeout="1s", webpush_max_retry_time="1s"))
        out = self.outcomes(events)
        self.assertEqual(sorted(out), sorted(names))
        for name in names:
            self.assertEqual(out[name]["result"], "expired")
            self.assertIn("Timeout", out[name]["error"])

    # --- addresses and TLS --------------------------------------------------

    def test_address_policy_refuses_loopback(self):
        events, log = self.run_tool([self.push("policy")], allowed_networks=None)
        out = self.outcomes(events)["policy"]
        self.assertEqual((out["result"], out["attempts"]), ("rejected", 1))
        self.assertIn("address 127.0.0.1 refused: loopback", out["error"])
        self.assertEqual(self.rx.handshakes, 0)
        self.assertEqual(self.rx.requests("policy"), [])

    def test_host_name_resolved_and_checked(self):
        # localhost is resolved by libcurl's asynchronous resolver; the
        # address connected to passes the policy (127.0.0.0/8 allowed here;
        # ::1 is not, and nothing listens there)
        events, _ = self.run_tool([self.push("byname", host="localhost")])
        self.assertEqual(self.outcomes(events)["byname"]["result"], "delivered")
        self.assertEqual(self.rx.requests("byname")[0].headers["host"],
                         "localhost:%d" % self.rx.port)
        events, _ = self.run_tool([self.push("byname2", host="localhost")],
                                  allowed_networks=None)
        out = self.outcomes(events)["byname2"]
        self.assertEqual(out["result"], "rejected")
        self.assertIn("loopback", out["error"])

    def test_pinned_address_needs_no_dns(self):
        # push.test resolves nowhere: only the pinned address reaches the receiver
        p = self.push("pinned", host="push.test", connect_ip="127.0.0.1")
        events, _ = self.run_tool([p])
        self.assertEqual(self.outcomes(events)["pinned"]["result"], "delivered")
        req = self.rx.requests("pinned")[0]
        self.assertEqual(req.headers["host"], "push.test:%d" % self.rx.port)
        self.assertIsNone(req.vapid_error)
        # the pinned address is checked too
        p = self.push("pinned2", host="push.test", connect_ip="127.0.0.1")
        events, _ = self.run_tool([p], allowed_networks=None)
        self.assertEqual(self.outcomes(events)["pinned2"]["result"], "rejected")

    def test_tls_is_always_verified(self):
        events, _ = self.run_tool([self.push("untrusted")], self.settings(
            webpush_ca_file=None, webpush_max_retry_time="1s"))
        out = self.outcomes(events)["untrusted"]
        self.assertEqual(out["result"], "expired")
        self.assertRegex(out["error"], "(?i)certificate")
        self.assertEqual(self.rx.requests("untrusted"), [])

    def test_bad_ca_file_is_a_clear_error(self):
        bad = os.path.join(self.tmp, "not-a-ca.pem")
        with open(bad, "w") as f:
            f.write("nothing\n")
        empty = os.path.join(self.tmp, "empty-job.json")
        with open(empty, "w") as f:
            f.write('{"pushes": []}')
        res = subprocess.run([TOOL, empty] + self.settings(webpush_ca_file=bad),
                             capture_output=True, text=True, timeout=30, **AS_USER,
                             env=dict(os.environ, LD_LIBRARY_PATH="/usr/lib/dovecot"))
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("webpush_ca_file", res.stderr)

    def test_authorize_hook_gives_each_attempt_its_header(self):
        p = self.push("authz")
        p["headers"] = ["Authorization: vapid t=stale, k=stale"]
        events, _ = self.run_tool([p], authorization=self.vapid.authorization(self.rx.origin()))
        self.assertEqual(self.outcomes(events)["authz"]["result"], "delivered")
        req = self.rx.requests("authz")[0]
        self.assertIsNone(req.vapid_error)
        self.assertEqual(len([k for k, _ in req.header_list if k == "authorization"]), 1)

    # --- process end and the spool ------------------------------------------

    def test_ending_process_waits_for_requests_in_flight(self):
        self.rx.subscriber("slowok")
        self.rx.answer("slowok", Answer(201, delay=0.5))
        events, _ = self.run_tool([self.push("slowok")], mode="exit")
        self.assertEqual(self.outcomes(events)["slowok"]["result"], "delivered")

    def test_ending_process_waits_only_a_bounded_time(self):
        self.rx.subscriber("stuck")
        self.rx.answer("stuck", Answer(hang=True))
        events, log = self.run_tool([self.push("stuck")], self.settings(
            webpush_exit_wait="500ms", webpush_request_timeout="60s"), mode="exit")
        out = self.outcomes(events)["stuck"]
        self.assertEqual(out["result"], "spooled")
        self.assertIn("still running after webpush_exit_wait", log)
        self.assertEqual(len([n for n in os.listdir(self.spool) if n.endswith(".push")]), 1)

    def test_retry_survives_the_process(self):
        self.rx.subscriber("later")
        self.rx.answer("later", 500)
        events, _ = self.run_tool([self.push("later", b'{"n":"spooled"}')], mode="exit")
        self.assertEqual(self.outcomes(events)["later"]["result"], "spooled")
        files = os.listdir(self.spool)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].endswith(".push"), files)
        with open(os.path.join(self.spool, files[0])) as f:
            entry = json.load(f)
        self.assertEqual(entry["attempts"], 1)
        self.assertEqual(entry["owner"], "alice")
        # a bad file next to it is skipped with a log line and removed
        with open(os.path.join(self.spool, "1-bad.push"), "w") as f:
            f.write("{not json")
        # the next process takes the spooled push over and delivers it
        self.rx.answer("later", 201)
        events, log = self.run_tool([], resume=[self.spool])
        self.assertRegex(log, r"Warning: .*bad spool file .*1-bad\.push")
        reqs = self.rx.requests("later")
        self.assertEqual(len(reqs), 2)
        self.assertEqual(reqs[1].json(), {"n": "spooled"})
        self.assertEqual(os.listdir(self.spool), [])

    def test_gone_after_the_process_that_sent_it_ended(self):
        self.rx.subscriber("gonelater")
        self.rx.answer("gonelater", 503)
        events, _ = self.run_tool([self.push("gonelater")], mode="exit")
        self.assertEqual(self.outcomes(events)["gonelater"]["result"], "spooled")
        self.rx.answer("gonelater", 410)
        events, _ = self.run_tool([], resume=[self.spool])
        gone = [e for e in events if e["event"] == "gone"]
        self.assertEqual(len(gone), 1)
        self.assertEqual((gone[0]["owner"], gone[0]["subscription"], gone[0]["status"]),
                         ("alice", "sub-gonelater", 410))
        self.assertEqual([n for n in os.listdir(self.spool) if not n.endswith(".gone")], [])
        events, _ = self.run_tool([], take_gone=[self.spool])
        self.assertEqual([(e["subscription"], e["status"]) for e in events
                          if e["event"] == "gone_record"], [("sub-gonelater", 410)])

    def test_spool_of_a_live_process_is_not_taken(self):
        self.rx.subscriber("owned")
        self.rx.answer("owned", 500)
        events, _ = self.run_tool([self.push("owned")], mode="exit")
        name = os.listdir(self.spool)[0]
        # pretend a running process (this one) owns it
        owned = "%s.%d@%s" % (name, os.getpid(), os.uname().nodename)
        os.rename(os.path.join(self.spool, name), os.path.join(self.spool, owned))
        self.rx.answer("owned", 201)
        events, _ = self.run_tool([], resume=[self.spool])
        self.assertEqual(len(self.rx.requests("owned")), 1)
        self.assertEqual(os.listdir(self.spool), [owned])
        # a dead owner's file is taken over
        child = subprocess.Popen(["true"])
        child.wait()
        dead = "%s.%d@%s" % (name, child.pid, os.uname().nodename)
        os.rename(os.path.join(self.spool, owned), os.path.join(self.spool, dead))
        events, _ = self.run_tool([], resume=[self.spool])
        self.assertEqual(len(self.rx.requests("owned")), 2)
        self.assertEqual(os.listdir(self.spool), [])

    def test_spool_is_bounded(self):
        for name in ("full1", "full2"):
            self.rx.subscriber(name)
            self.rx.answer(name, 500)
        events, log = self.run_tool([self.push("full1"), self.push("full2")], self.settings(
            webpush_spool_max="1"), mode="exit")
        results = sorted(e["result"] for e in self.outcomes(events).values())
        self.assertEqual(results, ["dropped", "spooled"])
        self.assertIn("is full (1 entries)", log)
        self.assertEqual(len(os.listdir(self.spool)), 1)

    def test_expired_spool_entry_is_dropped(self):
        self.rx.subscriber("old")
        self.rx.answer("old", 500)
        self.run_tool([self.push("old")], mode="exit")
        name = os.listdir(self.spool)[0]
        path = os.path.join(self.spool, name)
        with open(path) as f:
            entry = json.load(f)
        entry["first_attempt"] = int(time.time()) - 7200
        with open(path, "w") as f:
            json.dump(entry, f)
        self.rx.answer("old", 201)
        events, log = self.run_tool([], resume=[self.spool])
        self.assertIn("older than webpush_max_retry_time", log)
        self.assertEqual(len(self.rx.requests("old")), 1)
        self.assertEqual(os.listdir(self.spool), [])


if __name__ == "__main__":
    unittest.main()
