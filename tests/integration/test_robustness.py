"""Hostile input on every kind of listener at once: random bytes, cut and malformed HTTP and
WebSocket upgrades, bad WebSocket frames (reserved opcodes, unmasked, lengths far past the
data), STOMP with absurd content-lengths, HTTP publishes with junk credentials, TLS hellos on
plain ports, TLS handshakes followed by nothing or junk, server names that match no listener,
and connections dropped half-way or reset. Seeds are fixed, so a failure replays.

Nothing here asserts a particular answer (the other groups do that for each input); what is
asserted is that the broker survives it all, a bystander connected before the storm still
publishes and receives, new clients on every listener work, and (in the ASan build) the
sanitizers stay silent until the broker stops."""

import base64
import os
import random
import socket
import ssl
import struct
import tempfile
import unittest

from harness import BrokerProcess, RawStomp, default_config, wait_for
from test_cluster import metric
from test_tls import make_certificate, tls_listeners

CASES_PER_LISTENER = 250
# Enough to have caught issue 9's use-after-free under ASan (it took 15-80 tries of the probe).
PIPELINED_PER_LISTENER = 400


def websocket_upgrade(extra=b""):
    key = base64.b64encode(os.urandom(16))
    return (b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: v12.stomp\r\n" + extra + b"\r\n")


def websocket_frame(rnd, payload, opcode=1, fin=True, mask=True, claimed=None):
    length = len(payload) if claimed is None else claimed
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 65536:
        head += bytes([mask_bit | 126]) + struct.pack(">H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", length)
    if not mask:
        return head + payload
    key = bytes(rnd.randrange(256) for _ in range(4))
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def junk(rnd, low, high):
    return bytes(rnd.randrange(256) for _ in range(rnd.randrange(low, high)))


def hostile_bytes(rnd, websocket):
    """One connection's worth of bad input for a WebSocket/HTTP or a STOMP/TCP listener."""
    connect = b"CONNECT\naccept-version:1.2\n\n\0"
    if not websocket:
        return rnd.choice([
            junk(rnd, 1, 2000),
            connect + junk(rnd, 0, 2000),
            connect + b"SEND\ndestination:/topic/r\ncontent-length:" +
            str(rnd.randrange(10 ** 9)).encode() + b"\n\n" + junk(rnd, 0, 100),
            b"\x16\x03\x01" + junk(rnd, 0, 300),  # a TLS hello on a plain port
        ])
    kind = rnd.randrange(7)
    if kind == 0:
        return junk(rnd, 1, 3000)
    if kind == 1:
        return b"GET /ws HTTP/1.1\r\n" + junk(rnd, 1, 500)
    if kind == 2:
        return websocket_upgrade(junk(rnd, 0, 200).replace(b"\r\n", b""))
    if kind == 3:
        return websocket_upgrade() + websocket_frame(
            rnd, junk(rnd, 0, 300), opcode=rnd.choice([0, 1, 2, 3, 8, 9, 10, 15]),
            fin=rnd.random() < 0.7, mask=rnd.random() < 0.9)
    if kind == 4:
        return (websocket_upgrade() + websocket_frame(rnd, connect) +
                websocket_frame(rnd, junk(rnd, 0, 200),
                                claimed=rnd.choice([126, 65535, 1 << 20, 1 << 40])))
    if kind == 5:
        return (websocket_upgrade() + websocket_frame(rnd, connect) +
                websocket_frame(rnd, b"SUBSCRIBE\nid:1\ndestination:/topic/" + junk(rnd, 1, 30) +
                                b"\n\n\0"))
    return (b"POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
            str(rnd.randrange(10 ** 7)).encode() + b"\r\nAuthorization: Basic " +
            base64.b64encode(junk(rnd, 1, 40)) + b"\r\n\r\n" + junk(rnd, 0, 500))


def mutate(rnd, line):
    """One HTTP header line damaged the way the probe that found issue 9's use-after-free did
    it: a letter changed, doubled or dropped, backslashes and colons thrown in, junk added."""
    if not line:
        return line
    at = rnd.randrange(len(line))
    choice = rnd.randrange(5)
    if choice == 0:
        return line[:at] + bytes([rnd.randrange(32, 127)]) + line[at + 1:]
    if choice == 1:
        return line[:at] + line[at:at + 1] * rnd.randrange(2, 120) + line[at + 1:]
    if choice == 2:
        return line[:at] + line[at + 1:]
    if choice == 3:
        return line[:at] + b"\\" * rnd.randrange(1, 5) + b"::" + line[at:]
    return line[:at] + junk(rnd, 1, 60) + line[at:]


def pipelined_http(rnd):
    """Two to five HTTP/1.1 requests on one connection, each sent in its own write, some
    valid (keep-alive by default), some upgrades with a damaged line (an Upgrade value lws does
    not know among them), sometimes followed by STOMP bytes. A keep-alive answer followed by an
    unknown Upgrade is what made lws 4.1.6 read a freed header table."""
    chunks = []
    for _ in range(rnd.randrange(2, 6)):
        kind = rnd.randrange(4)
        if kind == 0:
            chunks.append(b"GET " + rnd.choice([b"/health", b"/metrics", b"/ws", b"/x"]) +
                          b" HTTP/1.1\r\nHost: a\r\n\r\n")
            continue
        lines = websocket_upgrade().split(b"\r\n")
        if kind == 1:
            lines[2] = b"Upgrade: " + rnd.choice([b"websocketx", b"h2", b"WebSock", b"irc"])
        for _ in range(rnd.randrange(1, 3)):
            i = rnd.randrange(1, len(lines) - 2)
            lines[i] = mutate(rnd, lines[i])
        chunks.append(b"\r\n".join(lines))
    if rnd.random() < 0.5:
        chunks.append(b"SEND\ndestination:/topic/x\ncontent-length:5\n\nhello\x00")
    return chunks


class RobustnessTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="stampede-robust-")
        self.addCleanup(self.dir.cleanup)
        cert, key = make_certificate(self.dir.name, "server")
        self.cert = cert
        tls = {"cert": cert, "key": key}
        config = default_config()
        config["listeners"] = [
            {"name": "web", "protocol": "ws", "host": "127.0.0.1", "port": 0, "path": "/ws"},
            {"name": "backend", "protocol": "tcp", "host": "127.0.0.1", "port": 0},
        ] + tls_listeners(tls)
        config["auth"]["max_failures_per_minute"] = 0  # the storm is not a brute-force test
        self.broker = BrokerProcess(config).start(self)
        self.client_tls = ssl.create_default_context()
        self.client_tls.check_hostname = False
        self.client_tls.verify_mode = ssl.CERT_NONE

    def clients(self):
        """A working client on every listener."""
        trusted = ssl.create_default_context(cafile=self.cert)
        made = [RawStomp.tcp("127.0.0.1", self.broker.ports["backend"]),
                RawStomp.websocket("127.0.0.1", self.broker.ports["web"]),
                RawStomp.tcp("127.0.0.1", self.broker.ports["stomps"], tls=trusted),
                RawStomp.websocket("127.0.0.1", self.broker.ports["wss"], tls=trusted)]
        for client in made:
            self.addCleanup(client.close)
            client.connect()
        return made

    def connections(self, name, seed, count, converse):
        """`count` connections to listener `name`, one after the other, each handed to
        converse(rnd, streams) with streams = [the socket]; converse appends the TLS stream
        when it wraps one, and the last stream is closed after it. Errors are the point here,
        not failures."""
        rnd = random.Random(seed)
        for _ in range(count):
            try:
                raw = socket.create_connection(("127.0.0.1", self.broker.ports[name]), timeout=2)
            except OSError:
                continue
            streams = [raw]
            try:
                converse(rnd, streams)
            except (OSError, ssl.SSLError):
                pass
            finally:
                streams[-1].close()

    def storm(self, name, seed):
        websocket = name in ("web", "wss")

        def converse(rnd, streams):
            reset = rnd.random() < 0.3  # a reset instead of a clean close
            try:
                if name in ("wss", "stomps") and rnd.random() < 0.85:
                    server_name = rnd.choice([None, "localhost", "nobody.example"])
                    streams.append(self.client_tls.wrap_socket(streams[0],
                                                               server_hostname=server_name))
                if rnd.random() < 0.9:  # else: connect (and handshake) only, then go
                    data = hostile_bytes(rnd, websocket)
                    cut = rnd.randrange(1, len(data) + 1) if rnd.random() < 0.3 else len(data)
                    streams[-1].sendall(data[:cut])
                if rnd.random() < 0.5:
                    streams[-1].settimeout(0.02)
                    streams[-1].recv(4096)
            finally:
                if reset:
                    try:
                        streams[-1].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    except OSError:
                        pass  # a failed TLS handshake has closed it already

        self.connections(name, seed, CASES_PER_LISTENER, converse)

    def pipelined_storm(self, name, seed):
        def converse(rnd, streams):
            if name == "wss":
                streams.append(self.client_tls.wrap_socket(streams[0],
                                                           server_hostname="localhost"))
            for chunk in pipelined_http(rnd):
                streams[-1].sendall(chunk)
            streams[-1].settimeout(0.005)
            streams[-1].recv(4096)

        self.connections(name, seed, PIPELINED_PER_LISTENER, converse)

    def test_the_broker_survives_hostile_input_on_every_listener(self):
        bystanders = self.clients()
        for client in bystanders:
            client.subscribe("/topic/bystander", "by")
        for seed, name in enumerate(("web", "backend", "wss", "stomps")):
            self.storm(name, seed)
        for seed, name in enumerate(("web", "wss"), start=10):
            self.pipelined_storm(name, seed)
        self.assertIsNone(self.broker.proc.poll(), "the broker died during the storm")
        # Every bystander still publishes to all of them, and every listener takes new clients.
        for i, sender in enumerate(bystanders):
            sender.send("/topic/bystander", f"after the storm {i}".encode(), receipt=True)
        for receiver in bystanders:
            bodies = sorted(receiver.expect("MESSAGE").body for _ in bystanders)
            self.assertEqual(bodies, [f"after the storm {i}".encode() for i in range(4)])
        self.fresh = self.clients()
        for fresh in self.fresh:
            fresh.sync()
        # Hundreds of refused TLS connections, a handful of log lines: the warning is counted
        # and reported at most once per 10 s per listener, so junk cannot flood the log.
        refused = [line for line in self.broker.output().splitlines()
                   if "refused before any STOMP" in line]
        self.assertGreaterEqual(len(refused), 1)
        self.assertLessEqual(len(refused), 6, "\n".join(refused))
        # Every hostile connection gave its limits.max_connections slot back: only the four
        # bystanders and the /metrics request itself hold one (a leak would lock clients out
        # once max_connections or max_connections_per_ip is set).
        for fresh in self.fresh:
            fresh.close()
        wait_for(lambda: metric(self.broker, "stampede_connections_admitted") == 5, 20,
                 "every slot of the storm given back")


if __name__ == "__main__":
    unittest.main()
