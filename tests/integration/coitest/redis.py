"""A private redis-server on a free loopback port, for the multi-server
tests (Dovecot's redis dict as mail_attribute_dict)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from .dovecot import free_port

REDIS_SERVER = "/usr/bin/redis-server"


class Redis:
    def __init__(self):
        self.dir = None
        self.proc = None
        self.port = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="coiredis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.command("PING") == "+PONG":
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def command(self, *args):
        """One command in RESP; returns the first reply line (str) or None."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                req = "*%d\r\n" % len(args) + "".join(
                    "$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)
                s.sendall(req.encode())
                return s.recv(65536).decode(errors="replace").split("\r\n")[0]
        except OSError:
            return None

    def get(self, key):
        """The value of key (str), or None when it is not set."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(("*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" %
                       (len(key.encode()), key)).encode())
            data = b""
            while not data.endswith(b"\r\n") or data.startswith(b"$") and \
                    data.count(b"\r\n") < 2 and not data.startswith(b"$-1"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, rest = data.decode(errors="replace").partition("\r\n")
        if head == "$-1":
            return None
        if not head.startswith("$"):
            raise RuntimeError("redis GET %s: %s" % (key, head))
        return rest[:int(head[1:])]

    def keys(self, pattern="*"):
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(("*2\r\n$4\r\nKEYS\r\n$%d\r\n%s\r\n" % (len(pattern), pattern)).encode())
            time.sleep(0.1)
            data = s.recv(1 << 20).decode(errors="replace").split("\r\n")
        return [x for x in data[1:] if x and not x.startswith(("$", "*"))]

    @property
    def dict_uri(self):
        return "redis:host=127.0.0.1:port=%d" % self.port

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
