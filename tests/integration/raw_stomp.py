"""STOMP frames and RawStomp, a STOMP client over a stream (streams.py) that reads frames with
deadlines, so tests can check bytes exactly."""

import socket
import time

from streams import ConnectionClosed, TcpStream, WsStream
from support import deadline_s, slow_factor

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
