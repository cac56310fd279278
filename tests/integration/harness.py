"""Shared helpers for the integration tests: the real broker binary, raw STOMP clients.

BrokerProcess starts $STAMPEDE_BIN on a temporary YAML config with `port: 0` listeners, reads
the bound ports from its `listening on <name> <host>:<port>` log lines and always kills it in
cleanup; at cleanup it fails the test if the broker's stderr holds a sanitizer report.
RawStomp speaks STOMP over a plain socket (TCP listener, or a WebSocket through WsStream) and
reads frames with deadlines, so tests can check bytes exactly. Nothing here sleeps for a fixed
time: every wait polls a condition until a deadline.
"""

import base64
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

SOURCE_DIR = os.environ.get(
    "STAMPEDE_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
INTEROP_DIR = os.path.join(SOURCE_DIR, "tests", "interop")
NODE = os.environ.get("STAMPEDE_NODE", "node")


def broker_binary():
    path = os.environ.get("STAMPEDE_BIN", os.path.join(SOURCE_DIR, "build", "stampede"))
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"no broker binary at {path} (set STAMPEDE_BIN)")
    return path


def slow_factor():
    """Sanitizer builds run ~3x slower: deadlines scale with this."""
    try:
        return float(os.environ.get("STAMPEDE_TIME_FACTOR", "1"))
    except ValueError:
        return 1.0


def deadline_s(seconds):
    return seconds * max(1.0, slow_factor())


def wait_for(predicate, timeout, what="condition", interval=0.005):
    """Polls predicate() until it returns a truthy value or the deadline passes."""
    end = time.monotonic() + deadline_s(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {deadline_s(timeout):.1f}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- YAML config


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
        if self.proc is None:
            return
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


# --------------------------------------------------------------------------- STOMP frames

class Frame:
    def __init__(self, command, header_list, body):
        self.command = command
        self.header_list = header_list  # [(name, raw value)] in wire order, not unescaped
        self.body = body

    @property
    def headers(self):
        """Header map: the first occurrence of a repeated header wins (STOMP 1.2)."""
        out = {}
        for name, value in self.header_list:
            out.setdefault(name, value)
        return out

    def __repr__(self):
        body = self.body if len(self.body) < 200 else self.body[:200] + b"..."
        return f"Frame({self.command!r}, {self.header_list!r}, {body!r})"


def encode_frame(command, headers=(), body=b"", content_length=True, eol=b"\n"):
    """Builds frame bytes. headers: dict or [(name, value)], values sent as given (no escaping).
    content_length: True = add the right one, False = none, or a str/int to send as is."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    if content_length is True:
        items.append(("content-length", str(len(body))))
    elif content_length is not False and content_length is not None:
        items.append(("content-length", str(content_length)))
    out = command.encode() + eol
    for name, value in items:
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else str(value).encode() \
            if not isinstance(value, bytes) else value
        out += name + b":" + value + eol
    return out + eol + body + b"\x00"


class ConnectionClosed(ConnectionError):
    pass


class FrameReader:
    """Incremental STOMP frame parser for the client side of tests."""

    def __init__(self):
        self.buf = b""
        self.heartbeats = 0  # EOLs seen between frames

    def feed(self, data):
        self.buf += data

    def next_frame(self):
        buf = self.buf
        i = 0
        while i < len(buf) and buf[i] in b"\r\n":
            if buf[i:i + 1] == b"\n":
                self.heartbeats += 1
            i += 1
        if i:
            self.buf = buf = buf[i:]
        head_end = buf.find(b"\n\n")
        head_end_crlf = buf.find(b"\r\n\r\n")
        candidates = [(p, 2) for p in [head_end] if p >= 0] + \
                     [(p, 4) for p in [head_end_crlf] if p >= 0]
        if not candidates:
            return None
        pos, sep = min(candidates)
        head = buf[:pos].replace(b"\r\n", b"\n").split(b"\n")
        command = head[0].decode("utf-8", "replace")
        header_list = []
        for line in head[1:]:
            name, _, value = line.partition(b":")
            header_list.append((name.decode("utf-8", "replace"), value.decode("utf-8", "replace")))
        body_start = pos + sep
        length = None
        for name, value in header_list:
            if name == "content-length":
                length = int(value)
                break
        if length is not None:
            if len(buf) < body_start + length + 1:
                return None
            body = buf[body_start:body_start + length]
            if buf[body_start + length] != 0:
                raise AssertionError(f"broker frame body not NUL-terminated: {buf[:300]!r}")
            rest = buf[body_start + length + 1:]
        else:
            nul = buf.find(b"\x00", body_start)
            if nul < 0:
                return None
            body = buf[body_start:nul]
            rest = buf[nul + 1:]
        self.buf = rest
        return Frame(command, header_list, body)


class RawStomp:
    """A STOMP client over a byte stream: plain TCP, or a WebSocket (WsStream)."""

    def __init__(self, stream):
        self.stream = stream
        self.reader = FrameReader()
        self.closed = False
        self.version = None
        self.pending = []  # frames read while waiting for a RECEIPT, in arrival order

    @classmethod
    def tcp(cls, host, port, rcvbuf=None, timeout=10, tls=None):
        """tls: an ssl.SSLContext for stomp+ssl listeners."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(deadline_s(timeout))
        sock.connect((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname="localhost")
        return cls(TcpStream(sock))

    @classmethod
    def websocket(cls, host, port, path="/ws", subprotocols=("v12.stomp",), timeout=10,
                  tls=None):
        return cls(WsStream.connect(host, port, path, subprotocols, timeout, tls))

    def close(self):
        self.stream.close()

    # -- sending

    def send_bytes(self, data):
        self.stream.send(data)

    def send_frame(self, command, headers=(), body=b"", content_length=True, eol=b"\n"):
        self.send_bytes(encode_frame(command, headers, body, content_length, eol))

    # -- receiving

    def _fill(self, timeout):
        data = self.stream.recv(timeout)
        if data is None:
            return False  # timeout
        if data == b"":
            self.closed = True
            raise ConnectionClosed("connection closed by the broker")
        self.reader.feed(data)
        return True

    def read_frame(self, timeout=5):
        """The next frame (frames set aside while waiting for a RECEIPT come first);
        AssertionError on timeout, ConnectionClosed on EOF."""
        if self.pending:
            return self.pending.pop(0)
        return self._read_new_frame(timeout)

    def _read_new_frame(self, timeout=5):
        end = time.monotonic() + deadline_s(timeout)
        while True:
            frame = self.reader.next_frame()
            if frame is not None:
                return frame
            if self.closed:
                raise ConnectionClosed("connection closed by the broker")
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no frame within {deadline_s(timeout):.1f}s (buffered {self.reader.buf[:200]!r})")
            self._fill(left)

    def try_read_frame(self, timeout):
        """The next frame within timeout, or None (no deadline scaling, for absence checks)."""
        if self.pending:
            return self.pending.pop(0)
        end = time.monotonic() + timeout
        while True:
            frame = self.reader.next_frame()
            if frame is not None:
                return frame
            left = end - time.monotonic()
            if left <= 0 or self.closed:
                return None
            try:
                self._fill(left)
            except ConnectionClosed:
                return self.reader.next_frame()

    def wait_heartbeats(self, count, timeout=5):
        """Waits until `count` heart-beat EOLs arrived in all; a frame meanwhile is an error."""
        end = time.monotonic() + deadline_s(timeout)
        while True:
            frame = self.reader.next_frame()
            if frame is not None:
                raise AssertionError(f"expected heart-beats, got {frame!r}")
            if self.reader.heartbeats >= count:
                return self.reader.heartbeats
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"only {self.reader.heartbeats} of {count} heart-beats "
                                     f"in {deadline_s(timeout):.1f}s")
            self._fill(left)

    def expect(self, command, timeout=5, **header_checks):
        frame = self.read_frame(timeout)
        if frame.command != command:
            raise AssertionError(f"expected {command}, got {frame!r}")
        for name, value in header_checks.items():
            name = name.replace("_", "-")
            if frame.headers.get(name) != value:
                raise AssertionError(f"expected {name}:{value} in {frame!r}")
        return frame

    def wait_closed(self, timeout=5):
        """Reads (and keeps) whatever comes until EOF. AssertionError if still open at deadline."""
        end = time.monotonic() + deadline_s(timeout)
        while not self.closed:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("broker did not close the connection")
            try:
                self._fill(left)
            except ConnectionClosed:
                break
            except OSError:  # reset counts as closed
                self.closed = True
        return True

    def expect_error(self, message, timeout=5, receipt_id=None):
        """The next frame is ERROR with exactly this `message`, then the broker closes."""
        frame = self.read_frame(timeout)
        if frame.command != "ERROR":
            raise AssertionError(f"expected ERROR {message!r}, got {frame!r}")
        if frame.headers.get("message") != message:
            raise AssertionError(
                f"expected ERROR message:{message!r}, got message:{frame.headers.get('message')!r}"
                f" ({frame!r})")
        if receipt_id is not None and frame.headers.get("receipt-id") != receipt_id:
            raise AssertionError(f"expected receipt-id:{receipt_id} in {frame!r}")
        self.wait_closed(timeout)
        return frame

    # -- STOMP conveniences

    def connect(self, version="1.2", heart_beat=None, command="CONNECT", extra=None,
                expect_connected=True):
        headers = [("host", "127.0.0.1")]
        if version is not None:
            headers.insert(0, ("accept-version", version))
        if heart_beat is not None:
            headers.append(("heart-beat", heart_beat))
        headers += list((extra or {}).items())
        self.send_frame(command, headers, content_length=False)
        if not expect_connected:
            return None
        frame = self.expect("CONNECTED", timeout=10)
        self.version = frame.headers.get("version")
        return frame

    def subscribe(self, destination, sub_id, ack=None, receipt=True, extra=None):
        headers = [("destination", destination), ("id", sub_id)]
        if ack:
            headers.append(("ack", ack))
        headers += list((extra or {}).items())
        self.request(("SUBSCRIBE", headers), receipt)

    def unsubscribe(self, sub_id, receipt=True):
        self.request(("UNSUBSCRIBE", [("id", sub_id)]), receipt)

    def send(self, destination, body=b"", headers=None, receipt=False, **kwargs):
        items = [("destination", destination)] + list((headers or {}).items())
        if receipt:
            self.request(("SEND", items, body), receipt, **kwargs)
        else:
            self.send_frame("SEND", items, body, **kwargs)

    _receipt_counter = 0

    def request(self, frame, receipt=True, **kwargs):
        """Sends (command, headers[, body]) and, if receipt, waits for its RECEIPT."""
        command, headers = frame[0], list(frame[1])
        body = frame[2] if len(frame) > 2 else b""
        if receipt:
            RawStomp._receipt_counter += 1
            rid = receipt if isinstance(receipt, str) else f"r-{RawStomp._receipt_counter}"
            headers.append(("receipt", rid))
        self.send_frame(command, headers, body, **kwargs)
        if receipt:
            self.wait_receipt(rid)

    def wait_receipt(self, rid, timeout=10):
        """Waits for RECEIPT receipt-id:rid; other frames are kept for read_frame, in order."""
        end = time.monotonic() + deadline_s(timeout)
        while True:
            left = (end - time.monotonic()) / max(1.0, slow_factor())
            if left <= 0:
                raise AssertionError(f"no RECEIPT {rid}; pending {self.pending!r}")
            frame = self._read_new_frame(left)
            if frame.command == "RECEIPT" and frame.headers.get("receipt-id") == rid:
                return frame
            if frame.command == "ERROR":
                raise AssertionError(f"ERROR while waiting for RECEIPT {rid}: {frame!r}")
            self.pending.append(frame)

    def sync(self):
        """A round trip: everything sent before has been processed by the broker."""
        self.request(("SEND", [("destination", "/topic/_sync_")], b""), True)

    def read_messages(self, count, timeout=10):
        end = time.monotonic() + deadline_s(timeout)
        out = []
        while len(out) < count:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(out)} of {count} messages: {out[-3:]!r}")
            frame = self.read_frame(left / max(1.0, slow_factor()) + 0.001)
            if frame.command != "MESSAGE":
                raise AssertionError(f"expected MESSAGE, got {frame!r} after {len(out)}")
            out.append(frame)
        return out

    def disconnect(self, receipt="bye"):
        self.send_frame("DISCONNECT", [("receipt", receipt)], content_length=False)
        self.wait_receipt(receipt)
        self.wait_closed()


class TcpStream:
    def __init__(self, sock):
        self.sock = sock

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            return self.sock.recv(1 << 16)
        except socket.timeout:
            return None
        except ConnectionResetError:
            return b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- WebSocket client

class WsStream:
    """A minimal RFC 6455 client: text sends by default, records the opcode of each message."""

    def __init__(self, sock, protocol, leftover=b""):
        self.sock = sock
        self.protocol = protocol
        self.buf = leftover
        self.messages = []  # (opcode, payload) of every data message received, in order
        self.binary_sends = False
        self._eof = False

    @classmethod
    def connect(cls, host, port, path, subprotocols, timeout=10, tls=None):
        sock = socket.create_connection((host, port), timeout=deadline_s(timeout))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        if subprotocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(subprotocols))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionClosed(f"WebSocket handshake closed: {data!r}")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n")[0]
        if b" 101 " not in status + b" ":
            raise AssertionError(f"WebSocket handshake refused: {head!r}")
        protocol = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-protocol":
                protocol = value.strip().decode()
        return cls(sock, protocol, rest)

    def send(self, data, opcode=None):
        if opcode is None:
            opcode = 0x2 if self.binary_sends else 0x1
        self.send_message(data, opcode)

    def send_message(self, payload, opcode=0x1, fin=True):
        mask = os.urandom(4)
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read_exact(self, n, end):
        while len(self.buf) < n:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise ConnectionClosed("eof")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_ws_frame(self, end):
        """One WS frame (fin, opcode, payload) or None on timeout; the read is atomic."""
        try:
            head = self._read_exact(2, end)
            if head is None:
                return None  # _read_exact consumes nothing when it times out
            fin, opcode = head[0] & 0x80, head[0] & 0x0F
            n = head[1] & 0x7F
            if n == 126:
                ext = self._read_exact(2, end)
                if ext is None:
                    self.buf = head + self.buf
                    return None
                n = struct.unpack("!H", ext)[0]
                head += ext
            elif n == 127:
                ext = self._read_exact(8, end)
                if ext is None:
                    self.buf = head + self.buf
                    return None
                n = struct.unpack("!Q", ext)[0]
                head += ext
            payload = self._read_exact(n, end)
            if payload is None:
                self.buf = head + self.buf
                return None
            return fin, opcode, payload
        except ConnectionClosed:
            raise

    def recv(self, timeout):
        """Payload bytes of the next data message; None on timeout, b'' when closed."""
        if self._eof:
            return b""
        end = time.monotonic() + max(timeout, 0.001)
        parts, first_opcode = [], None
        while True:
            try:
                frame = self._read_ws_frame(end)
            except ConnectionClosed:
                self._eof = True
                return b""
            if frame is None:
                if parts:  # keep waiting for the rest of a fragmented message
                    end = time.monotonic() + 5
                    continue
                return None
            fin, opcode, payload = frame
            if opcode == 0x8:  # close
                self._eof = True
                self.close_payload = payload
                try:
                    self.send_message(payload[:2], 0x8)
                except OSError:
                    pass
                return b""
            if opcode == 0x9:  # ping
                self.send_message(payload, 0xA)
                continue
            if opcode == 0xA:
                continue
            if opcode in (0x1, 0x2):
                first_opcode = opcode
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                self.messages.append((first_opcode, data))
                return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- Node scenarios

def node_available():
    if not os.path.isdir(os.path.join(INTEROP_DIR, "node_modules", "@stomp", "stompjs")):
        return False, f"{INTEROP_DIR}/node_modules missing: run `make npm-deps`"
    try:
        subprocess.run([NODE, "--version"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return False, f"node not runnable: {e}"
    return True, ""


def run_node(script, args=(), env=None, timeout=120):
    """Runs tests/interop/<script> to completion; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([NODE, os.path.join(INTEROP_DIR, script), *args],
                          cwd=INTEROP_DIR, env=full_env, capture_output=True,
                          timeout=deadline_s(timeout))


class NodePeer:
    """A long-running node helper that talks JSON lines on stdout (tests/interop/peer.mjs)."""

    def __init__(self, testcase, script, args=(), env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([NODE, os.path.join(INTEROP_DIR, script), *args],
                                     cwd=INTEROP_DIR, env=full_env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events = []
        self.stderr = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        testcase.addCleanup(self.kill)

    def _pump(self):
        for raw in iter(self.proc.stdout.readline, b""):
            try:
                event = json.loads(raw)
            except ValueError:
                event = {"event": "text", "text": raw.decode("utf-8", "replace")}
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _pump_err(self):
        for raw in iter(self.proc.stderr.readline, b""):
            self.stderr.append(raw.decode("utf-8", "replace"))

    def wait_event(self, name, timeout=20):
        end = time.monotonic() + deadline_s(timeout)
        with self._cond:
            while True:
                for event in self.events:
                    if event.get("event") == name:
                        return event
                if self.proc.poll() is not None and not any(
                        e.get("event") == name for e in self.events):
                    # let the pump thread catch up with the last lines
                    self._cond.wait(0.2)
                    if not any(e.get("event") == name for e in self.events):
                        raise AssertionError(
                            f"node peer exited ({self.proc.returncode}) before {name}: "
                            f"{self.events!r}\n{''.join(self.stderr)}")
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"node peer: no {name} event: {self.events!r}\n"
                                         + "".join(self.stderr))
                self._cond.wait(min(left, 0.1))

    def command(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


# --------------------------------------------------------------------------- test base

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
