"""SockJS over raw HTTP for the integration tests: short requests with http.client, a
streaming receiver on a plain socket (its answer is delimited by the connection's close), and
the SockJS websocket transport on WsStream. Every wait has a deadline."""

import http.client
import json
import socket
import time
import uuid

from harness import default_config, deadline_s
from streams import WsStream

PREFIX = "/ws-sockjs"


def sockjs_config(shards=2, sockjs=None, limits=None, **overrides):
    """A ws listener with SockJS under PREFIX (plus the usual tcp listener)."""
    config = default_config(shards=shards, **overrides)
    web = config["listeners"][0]
    web["sockjs"] = {"prefix": PREFIX, **(sockjs or {})}
    if limits:
        config["limits"] = {**config.get("limits", {}), **limits}
    return config


def new_session_url():
    return f"{PREFIX}/000/{uuid.uuid4()}"


def request(port, method, path, body=None, headers=None, timeout=10):
    """(status, headers as a lower-case dict, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=deadline_s(timeout))
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        payload = response.read()
        return (response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
    finally:
        conn.close()


def stomp_json(frame_bytes):
    """One STOMP frame as the JSON array of one string that sockjs-client sends."""
    return json.dumps([frame_bytes.decode()])


def stomp_frame(command, headers=(), body=""):
    lines = [command] + [f"{k}:{v}" for k, v in headers]
    return ("\n".join(lines) + "\n\n" + body + "\0").encode()


def parse_frames(text):
    """SockJS frames of an xhr answer (one per line): ('o',), ('h',), ('a', [messages]),
    ('c', [code, reason])."""
    frames = []
    for line in text.split("\n"):
        if not line:
            continue
        if line in ("o", "h"):
            frames.append((line, None))
        elif line[0] in "ac":
            frames.append((line[0], json.loads(line[1:])))
        elif set(line) == {"h"}:
            frames.append(("prelude", len(line)))
        else:
            raise AssertionError(f"not a SockJS frame: {line!r}")
    return frames


def stomp_commands(frames):
    """The STOMP frames carried by the 'a' frames, as (command, headers dict, body)."""
    text = "".join("".join(f[1]) for f in frames if f[0] == "a")
    out = []
    for raw in text.split("\0"):
        raw = raw.lstrip("\n")
        if not raw:
            continue
        head, _, body = raw.partition("\n\n")
        lines = head.split("\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.setdefault(k, v)
        out.append((lines[0], headers, body))
    return out


class Session:
    """One SockJS session driven by hand over xhr-polling."""

    def __init__(self, port, url=None):
        self.port = port
        self.url = url or new_session_url()

    def poll(self, timeout=10):
        status, headers, body = request(self.port, "POST", self.url + "/xhr", timeout=timeout)
        assert status == 200, (status, body)
        return parse_frames(body.decode())

    def send_raw(self, body, headers=None):
        return request(self.port, "POST", self.url + "/xhr_send", body=body, headers=headers)

    def send(self, command, headers=(), body=""):
        status, _, answer = self.send_raw(stomp_json(stomp_frame(command, headers, body)))
        assert status == 204, (status, answer)

    def poll_until(self, predicate, timeout=10):
        """Polls until the STOMP frames gathered satisfy predicate(frames); returns them."""
        end = time.monotonic() + deadline_s(timeout)
        gathered = []
        while time.monotonic() < end:
            frames = self.poll()
            gathered += stomp_commands(frames)
            if predicate(gathered):
                return gathered
            if any(f[0] == "c" for f in frames):
                raise AssertionError(f"session closed: {frames}")
        raise AssertionError(f"not seen in time; got {gathered}")

    def open_and_connect(self):
        assert self.poll() == [("o", None)]
        self.send("CONNECT", [("accept-version", "1.2"), ("host", "x"), ("heart-beat", "0,0")])
        return self.poll_until(lambda f: any(c[0] == "CONNECTED" for c in f))


class StreamingReceiver:
    """A POST .../xhr_streaming (or a GET .../eventsource) held open; read() gives each
    complete line as it arrives."""

    def __init__(self, port, url, timeout=10, transport="xhr_streaming"):
        method = "GET" if transport == "eventsource" else "POST"
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=deadline_s(timeout))
        self.sock.sendall((f"{method} {url}/{transport} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Length: 0\r\n\r\n").encode())
        self.buf = b""
        self.eof = False
        head = self._read_until(b"\r\n\r\n", timeout)
        assert head is not None, "no answer head"
        status_line, *header_lines = head.decode().split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def _read_until(self, marker, timeout):
        end = time.monotonic() + deadline_s(timeout)
        while marker not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or self.eof:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                return None
            self.buf += chunk
        out, _, self.buf = self.buf.partition(marker)
        return out

    def read(self, timeout=10):
        """The next line (without its newline); None at the end of the answer or timeout."""
        line = self._read_until(b"\n", timeout)
        return None if line is None else line.decode()

    def ended(self, timeout=10):
        """True once the server closed the answer (nothing more than what was read)."""
        rest = self._read_until(b"\x00never\x00", timeout)
        return rest is None and self.eof

    def close(self):
        self.sock.close()


def sockjs_websocket(port, path, timeout=10):
    """A WebSocket on a SockJS websocket path (no STOMP subprotocol: sockjs-client asks none)."""
    return WsStream.connect("127.0.0.1", port, path, (), timeout)


def ws_recv_text(ws, timeout=5):
    data = ws.recv(deadline_s(timeout))
    assert data is not None, "nothing received in time"
    return data.decode()
