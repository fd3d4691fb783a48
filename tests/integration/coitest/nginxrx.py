"""nginx (Debian's nginx-light) as an HTTPS push service, with the test
CA's server certificate, over HTTP/1.1 with keep-alive or over HTTP/2
(ALPN "h2", as the big push services speak it).

Answers by endpoint path, with nothing to script:
  /push/<name>        201
  /push/gone/<name>   410 (the subscription is gone)
  /push/small/<name>  413 when the body is over 1 kB, else 201 (a push
                      service that takes only small pushes)
  /push/busy/<name>   503 (retry later)

It neither verifies VAPID nor decrypts (coitest.pushreceiver does, over
HTTP/1.1); its access log has one JSON line per request with the path, the
protocol, the status, nginx's serial number of the connection and the
Web Push request headers, which requests() returns.

Used by the benchmarks (P2: a push service that takes a small fraction of
the CPU time the Python receiver needs per push) and by
test_webpush_http2."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from .dovecot import free_port
from .pushreceiver import Subscriber, TestCA

NGINX = "/usr/sbin/nginx"
# the body size over which /push/small/ answers 413
SMALL_MAX = 1024


class NginxReceiver:
    def __init__(self, http2=False):
        self.ca = TestCA()
        self.dir = tempfile.mkdtemp(prefix="coitest-nginx-")
        self.port = free_port()
        self.http2 = http2
        self.log = os.path.join(self.dir, "access.log")
        self.proc = None
        self._offset = 0
        self._counts = {}
        self._requests = []

    @property
    def ca_file(self):
        return self.ca.ca_file

    def start(self):
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format push escape=json '{{"uri":"$uri","protocol":"$server_protocol",'
    '"method":"$request_method","status":"$status","connection":"$connection",'
    '"ttl":"$http_ttl","content_encoding":"$http_content_encoding",'
    '"content_type":"$http_content_type","content_length":"$http_content_length",'
    '"urgency":"$http_urgency","topic":"$http_topic",'
    '"authorization":"$http_authorization"}}';
  access_log {self.log} push buffer=4k flush=100ms;
  client_body_temp_path {self.dir};
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  server {{
    listen 127.0.0.1:{self.port} ssl{" http2" if self.http2 else ""};
    ssl_certificate {self.ca.cert_file};
    ssl_certificate_key {self.ca.key_file};
    location /push/ {{
      client_max_body_size 8k;
      return 201;
    }}
    location /push/gone/ {{
      return 410;
    }}
    location /push/small/ {{
      client_max_body_size {SMALL_MAX};
      return 201;
    }}
    location /push/busy/ {{
      return 503;
    }}
  }}
}}
""")
        # on CPU 1, with the Web Push service, away from the delivering
        # processes on CPU 0 (the benchmarks' common.pin()): a remote push
        # service would take nothing from them
        cpus = {1} if (os.cpu_count() or 1) >= 2 else None
        self.proc = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir,
                                      "-g", "daemon off; user root;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=(lambda: os.sched_setaffinity(0, cpus))
                                     if cpus else None)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("nginx did not start: %s" % self._errors())
                time.sleep(0.05)
        return self

    def _errors(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.ca.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Nothing to forget: nothing is scripted, and the requests of
        each name are kept apart (tests use names of their own)."""

    def origin(self, host=None):
        return "https://%s:%d" % (host or "127.0.0.1", self.port)

    def endpoint(self, name, host=None):
        """The endpoint of /push/<name>; name may start with one of the
        scripted prefixes (gone/, small/, busy/)."""
        return "%s/push/%s" % (self.origin(host), name)

    def subscriber(self, name, host=None):
        return Subscriber(), self.endpoint(name, host)

    def _read(self):
        try:
            with open(self.log) as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind("\n") + 1
        self._offset += len(data[:end].encode())
        for line in data[:end].splitlines():
            req = json.loads(line)
            self._requests.append(req)
            self._counts[req["uri"]] = self._counts.get(req["uri"], 0) + 1

    def count(self, name):
        """Requests to /push/<name> logged so far (nginx writes its log
        every 0.1 s)."""
        self._read()
        return self._counts.get("/push/" + name, 0)

    def requests(self, name=None):
        """The logged requests (dicts of the log format's fields), of
        /push/<name> or all."""
        self._read()
        return [r for r in self._requests if name is None or r["uri"] == "/push/" + name]

    def wait_requests(self, name, n, timeout=30):
        deadline = time.time() + timeout
        while self.count(name) < n:
            if time.time() > deadline:
                raise AssertionError("%s got %d of %d pushes in %ds" %
                                     (name, self.count(name), n, timeout))
            time.sleep(0.02)
