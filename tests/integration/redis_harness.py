"""A real redis-server on a free loopback port, and a tiny RESP client, for the cluster tests.

RedisProcess never uses `--port 0` (to Redis that means "no TCP"): it picks a free port by
binding one first. It can be killed, restarted on the same port, stopped and continued.
"""

import os
import signal
import socket
import subprocess
import tempfile
import unittest

from harness import wait_for


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    def __init__(self):
        self.binary = "/usr/bin/redis-server"
        if not os.access(self.binary, os.X_OK):
            raise unittest.SkipTest("redis-server is not installed")
        self.port = free_port()
        self.proc = None
        self._tmp = tempfile.TemporaryDirectory(prefix="stampede-redis-")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self, testcase=None):
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self._tmp.name, "--loglevel", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, 10, "redis-server to answer PING")
        if testcase is not None:
            testcase.addCleanup(self.stop)
        return self

    def _answers(self):
        try:
            return self.command("PING") == "PONG"
        except OSError:
            return False

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._tmp.cleanup()

    def command(self, *args, timeout=2):
        """One command on a fresh connection; returns the decoded reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(encode_command(args))
            return RespReader(s).read()


def encode_command(args):
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(out)


class RespReader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"bad RESP line {line!r}")
