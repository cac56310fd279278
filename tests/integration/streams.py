"""Byte streams a raw STOMP client talks over: a plain (or TLS) TCP socket, or a WebSocket
with its own minimal RFC 6455 framing (so tests can send malformed frames on purpose)."""

import base64
import os
import socket
import struct
import time

from support import deadline_s


class ConnectionClosed(ConnectionError):
    pass


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
