"""Shared helpers for the integration tests: the real broker binary, raw STOMP clients (the
clients, streams, Node peers and timing live in raw_stomp.py, streams.py, node_peer.py and
support.py; everything is importable from here).

BrokerProcess starts $STAMPEDE_BIN on a temporary YAML config with `port: 0` listeners, reads
the bound ports from its `listening on <name> <host>:<port>` log lines and always kills it in
cleanup; at cleanup it fails the test if the broker's stderr holds a sanitizer report.
RawStomp speaks STOMP over a plain socket (TCP listener, or a WebSocket through WsStream) and
reads frames with deadlines, so tests can check bytes exactly. Nothing here sleeps for a fixed
time: every wait polls a condition until a deadline.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from node_peer import NodePeer, assert_node_tests_pass, node_available, run_node
from raw_stomp import Frame, FrameReader, RawStomp, encode_frame
from streams import ConnectionClosed, TcpStream, WsStream
from support import (INTEROP_DIR, NODE, SOURCE_DIR, broker_binary, deadline_s, slow_factor,
                     wait_for)

# The tests import everything from here; the pieces live in the modules above.
__all__ = ["BrokerProcess", "BrokerTestCase", "ConnectionClosed", "Frame", "FrameReader",
           "INTEROP_DIR", "NODE", "NodePeer", "RawStomp", "SOURCE_DIR", "TcpStream", "WsStream",
           "broker_binary", "deadline_s", "deep_merge", "default_config", "encode_frame",
           "node_available", "run_node", "slow_factor", "to_yaml", "wait_for"]


def _yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and value.startswith("${") and value.endswith("}") \
            and value.count("${") == 1:
        return value  # plain scalar, so `port: ${PORT}` is typed after interpolation
    return json.dumps(str(value))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(value, indent=0):
    """A small block-style YAML emitter for dicts, lists and scalars."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 1))
            elif isinstance(item, dict):
                lines.append(f"{pad}{key}: {{}}")
            elif isinstance(item, list):
                lines.append(f"{pad}{key}: []")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1).lstrip()
                lines.append(f"{pad}- {body}")
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return "\n".join(lines)


def deep_merge(base, extra):
    out = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def default_config(shards=1, **overrides):
    config = {
        "node": {"shards": shards},
        "listeners": [
            {"name": "web", "protocol": "ws", "host": "127.0.0.1", "port": 0, "path": "/ws"},
            {"name": "backend", "protocol": "tcp", "host": "127.0.0.1", "port": 0},
        ],
        "auth": {"anonymous": True},
        "logging": {"level": "info"},
        "shutdown": {"drain_s": 2},
    }
    return deep_merge(config, overrides)


# --------------------------------------------------------------------------- broker process

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")
LISTENING_RE = re.compile(r"listening on (\S+) (\S+):(\d+)")


class BrokerProcess:
    """The real broker on a temporary config. Use start(testcase) so cleanup is registered."""

    def __init__(self, config=None, env=None, config_text=None):
        self.binary = broker_binary()  # skips the test early when there is no binary
        self.config = config if config is not None else default_config()
        self.config_text = config_text
        self.extra_env = env or {}
        self.proc = None
        self.ports = {}
        self.hosts = {}
        self._lines = []
        self._cond = threading.Condition()
        self._reader = None
        self._tmp = tempfile.TemporaryDirectory(prefix="stampede-it-")
        self.config_path = os.path.join(self._tmp.name, "stampede.yaml")
        self.expect_exit = False  # set by tests that make the broker exit on purpose
        self._stopped = False

    # -- lifecycle

    def write_config(self, config=None, text=None):
        if text is None:
            text = to_yaml(config if config is not None else self.config) + "\n"
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(text)
        return self.config_path

    def start(self, testcase=None, wait=True):
        self.write_config(self.config, self.config_text)
        env = dict(os.environ)
        env.update(self.extra_env)
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env)
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        if testcase is not None:
            testcase.addCleanup(self.stop, testcase)
        if wait:
            self.wait_listening()
        return self

    def _read_output(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self._lines.append(line)
                m = LISTENING_RE.search(line)
                if m:
                    self.ports[m.group(1)] = int(m.group(3))
                    self.hosts[m.group(1)] = m.group(2)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def listener_names(self):
        return [listener["name"] for listener in self.config.get("listeners", [])]

    def wait_listening(self, names=None, timeout=20):
        names = names or self.listener_names()
        self.wait_log_count(LISTENING_RE, len(names), timeout, what=f"listening lines for {names}")
        missing = [n for n in names if n not in self.ports]
        if missing:
            raise AssertionError(f"no listening line for {missing}:\n{self.output()}")

    def wait_log_count(self, pattern, count, timeout=10, what=None):
        """Waits until at least `count` output lines match `pattern` (a regex)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        end = time.monotonic() + deadline_s(timeout)
        with self._cond:
            while True:
                matches = [line for line in self._lines if regex.search(line)]
                if len(matches) >= count:
                    return matches
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(
                        f"broker exited ({self.proc.returncode}) before {what or pattern}:\n"
                        + self.output())
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what or pattern!s}; broker output:\n"
                        + self.output())
                self._cond.wait(min(left, 0.1))

    def line_count(self):
        with self._cond:
            return len(self._lines)

    def wait_new_output(self, after, timeout=10):
        """Waits until the broker printed anything beyond its first `after` lines."""
        end = time.monotonic() + deadline_s(timeout)
        with self._cond:
            while len(self._lines) <= after:
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for broker output")
                self._cond.wait(min(left, 0.1))
            return self._lines[after:]

    def output(self):
        with self._cond:
            return "\n".join(self._lines)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, testcase=None):
        if self.proc is None or self._stopped:
            return  # a test that stopped it itself, then the cleanup
        self._stopped = True
        crashed = self.proc.poll()
        killed = False
        if crashed is None:
            # A graceful stop first, so LeakSanitizer gets to report at exit in the ASan build.
            self.proc.send_signal(signal.SIGTERM)
            drain = self.config.get("shutdown", {}).get("drain_s", 10) if self.config else 10
            if self.wait_exit(deadline_s(drain + 5)) is None:
                self.proc.send_signal(signal.SIGKILL)
                killed = True
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        if self._reader is not None:
            self._reader.join(timeout=10)
        self.proc.stdout.close()
        self._tmp.cleanup()
        self.check_sanitizers(testcase)
        if crashed is not None and not self.expect_exit:
            self._report(testcase, "broker exited on its own during the test "
                         f"(status {crashed}{self._signal_name(crashed)})")
        status = self.proc.returncode
        if crashed is None and not killed and status != 0:
            self._report(testcase, f"broker exited with status {status}"
                         f"{self._signal_name(status)} on SIGTERM")
        if killed:
            print(f"warning: broker ignored SIGTERM for {deadline_s(drain + 5):.0f}s; killed",
                  flush=True)

    @staticmethod
    def _signal_name(status):
        if status is not None and status < 0:
            try:
                return f", {signal.Signals(-status).name}"
            except ValueError:
                return ""
        return ""

    def _report(self, testcase, message):
        text = f"{message}; broker output:\n{self.output()[-8000:]}"
        if testcase is not None:
            testcase.fail(text)
        raise AssertionError(text)

    def check_sanitizers(self, testcase=None):
        text = self.output()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                message = f"sanitizer report in broker output ({marker!r}):\n{text[-20000:]}"
                if testcase is not None:
                    testcase.fail(message)
                raise AssertionError(message)

    # -- addresses

    @property
    def tcp_port(self):
        return self.ports[self._first("tcp")]

    @property
    def ws_port(self):
        return self.ports[self._first("ws")]

    @property
    def ws_url(self):
        name = self._first("ws")
        path = next(l.get("path", "/ws") for l in self.config["listeners"] if l["name"] == name)
        return f"ws://127.0.0.1:{self.ports[name]}{path}"

    def _first(self, protocol):
        for listener in self.config["listeners"]:
            if listener.get("protocol", "ws") == protocol:
                return listener["name"]
        raise KeyError(f"no {protocol} listener in the test config")

    # -- clients

    def tcp_client(self, testcase=None, **kwargs):
        client = RawStomp.tcp("127.0.0.1", self.tcp_port, **kwargs)
        if testcase is not None:
            testcase.addCleanup(client.close)
        return client

    def ws_client(self, testcase=None, subprotocols=("v12.stomp",), **kwargs):
        client = RawStomp.websocket("127.0.0.1", self.ws_port, "/ws", subprotocols, **kwargs)
        if testcase is not None:
            testcase.addCleanup(client.close)
        return client

    def http_get(self, path, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.ws_port, timeout=deadline_s(timeout))
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


class BrokerTestCase(unittest.TestCase):
    """Starts one broker per test (config from config()); clients close before it stops."""

    shards = 1
    config_overrides = {}

    def config(self):
        return default_config(shards=self.shards, **self.config_overrides)

    def setUp(self):
        self.broker = BrokerProcess(self.config()).start(self)

    def client(self, version="1.2", transport="tcp", heart_beat=None, **kwargs):
        """A connected raw client."""
        if transport == "tcp":
            c = self.broker.tcp_client(self, **kwargs)
        else:
            c = self.broker.ws_client(self, **kwargs)
        c.connect(version=version, heart_beat=heart_beat)
        return c

    def bystander(self, transport="tcp"):
        """A client that is connected (and subscribed) before something bad happens."""
        c = self.client(transport=transport)
        c.subscribe("/topic/bystander", "by-1")
        return c

    def assert_still_works(self, bystander):
        """The bystander connection, and a fresh one, still publish and receive."""
        body = f"still here {time.monotonic()}".encode()
        bystander.send("/topic/bystander", body, receipt=True)
        message = bystander.expect("MESSAGE", destination="/topic/bystander")
        self.assertEqual(message.body, body)
        fresh = self.client()
        fresh.subscribe("/topic/fresh", "f-1")
        bystander.send("/topic/fresh", b"hello fresh")
        self.assertEqual(fresh.expect("MESSAGE").body, b"hello fresh")
        fresh.disconnect()

    def assert_nothing_arrives(self, client, marker_destination, publisher):
        """Proves `client` got no frame before a marker sent after the event under test.
        `client` must be subscribed to marker_destination; publisher sends the marker."""
        marker = f"marker {time.monotonic()}".encode()
        publisher.send(marker_destination, marker, receipt=True)
        frame = client.read_frame()
        self.assertEqual((frame.command, frame.body), ("MESSAGE", marker),
                         f"something arrived before the marker: {frame!r}")
