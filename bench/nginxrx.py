"""A fast local HTTPS push receiver for P2: nginx (Debian's nginx-light)
answering 201 to every POST /push/<name>, with the test CA's server
certificate, over HTTP/1.1 with keep-alive.

P2 measures what pushes cost the delivering server. The push service is
remote in real life and costs this machine nothing; the test receiver of
the integration tests (Python, TLS in the interpreter) takes about as much
CPU time per push as the whole Web Push service, on the same two cores.
nginx takes a small fraction of that. It neither verifies VAPID nor
decrypts; its access log tells how many pushes each endpoint got."""

import os
import shutil
import subprocess
import tempfile
import time

from coitest.pushreceiver import Subscriber, TestCA
from coitest.dovecot import free_port

NGINX = "/usr/sbin/nginx"


class NginxReceiver:
    def __init__(self):
        self.ca = TestCA()
        self.dir = tempfile.mkdtemp(prefix="coibench-nginx-")
        self.port = free_port()
        self.log = os.path.join(self.dir, "access.log")
        self.proc = None
        self._offset = 0
        self._counts = {}

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
  log_format path '$uri';
  access_log {self.log} path buffer=4k flush=100ms;
  client_body_temp_path {self.dir};
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  server {{
    listen 127.0.0.1:{self.port} ssl;
    ssl_certificate {self.ca.cert_file};
    ssl_certificate_key {self.ca.key_file};
    location /push/ {{
      client_max_body_size 8k;
      return 201;
    }}
  }}
}}
""")
        # on CPU 1, with the Web Push service, away from the delivering
        # processes on CPU 0 (common.pin()): a remote push service would
        # take nothing from them
        cpus = {1} if (os.cpu_count() or 1) >= 2 else None
        self.proc = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir,
                                      "-g", "daemon off; user root;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=(lambda: os.sched_setaffinity(0, cpus))
                                     if cpus else None)
        deadline = time.time() + 10
        while True:
            import socket
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

    def endpoint(self, name):
        return "https://127.0.0.1:%d/push/%s" % (self.port, name)

    def subscriber(self, name):
        return Subscriber(), self.endpoint(name)

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
            self._counts[line] = self._counts.get(line, 0) + 1

    def count(self, name):
        self._read()
        return self._counts.get("/push/" + name, 0)

    def wait_requests(self, name, n, timeout=30):
        deadline = time.time() + timeout
        while self.count(name) < n:
            if time.time() > deadline:
                raise AssertionError("%s got %d of %d pushes in %ds" %
                                     (name, self.count(name), n, timeout))
            time.sleep(0.02)
