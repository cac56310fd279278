"""limits.max_connections (per node) and limits.max_connections_per_ip (issue 15): checked at
accept, a clear refusal in the listener's own protocol (ERROR `too many connections` on TCP,
HTTP 503 on the ws port), connections already there keep being served, and every way a
connection ends gives its slot back (DISCONNECT, a dropped socket, an HTTP request answered)."""

import http.client
import re
import socket

from harness import BrokerTestCase, deadline_s, default_config, wait_for


def metrics_text(broker):
    """GET /metrics from 127.0.0.2, an address of its own, so the request is not one of the
    connections a test counts from 127.0.0.1 (it still counts toward the node's limit)."""
    conn = http.client.HTTPConnection("127.0.0.1", broker.ws_port, timeout=deadline_s(10),
                                      source_address=("127.0.0.2", 0))
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        assert response.status == 200, response.status
        return response.read().decode()
    finally:
        conn.close()


def metric(broker, name):
    return int(re.search(rf"^{re.escape(name)} (\d+)$", metrics_text(broker), re.M).group(1))


def raw_connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=deadline_s(10))
    return sock


def read_all(sock):
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    sock.close()
    return data


def refused_count(broker, limit):
    m = re.search(rf'^stampede_connections_refused_total{{limit="{limit}"}} (\d+)$',
                  metrics_text(broker), re.M)
    return int(m.group(1))


class PerAddressLimitTest(BrokerTestCase):

    def config(self):
        return default_config(shards=2, limits={"max_connections_per_ip": 3})

    def test_past_the_limit_an_address_is_refused_clearly_and_others_go_on(self):
        held = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(3)]
        held[0].subscribe("/topic/limit", "l")
        over = read_all(raw_connect(self.broker.tcp_port))
        self.assertTrue(over.startswith(b"ERROR\nmessage:too many connections\n"), over)
        self.assertIn(b"max_connections_per_ip", over)
        self.assertTrue(over.endswith(b"\0"))
        ws = raw_connect(self.broker.ws_port)
        ws.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   b"Sec-WebSocket-Version: 13\r\n\r\n")
        answer = read_all(ws)
        self.assertTrue(answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer)
        self.assertIn(b"Retry-After: 1", answer)
        self.assertEqual(refused_count(self.broker, "max_connections_per_ip"), 2)
        # the three already connected are served as before
        held[1].send("/topic/limit", b"still", receipt=True)
        self.assertEqual(held[0].expect("MESSAGE").body, b"still")
        self.broker.wait_log_count(r"connection\(s\) refused: this address holds "
                                   r"limits.max_connections_per_ip connections", 1)

    def test_every_way_a_connection_ends_gives_its_slot_back(self):
        # The /metrics request (from 127.0.0.2) holds one slot while it is answered.
        def all_back():
            wait_for(lambda: metric(self.broker, "stampede_connections_admitted") == 1, 10,
                     "every slot back")

        for _ in range(3):  # DISCONNECT, three rounds of three
            clients = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(3)]
            for c in clients:
                c.disconnect()
            all_back()
        for _ in range(3):  # dropped: no DISCONNECT, no close frame
            dropped = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(3)]
            for c in dropped:
                c.close()
            all_back()
        for _ in range(10):  # HTTP requests answered
            status, _ = self.broker.http_get("/health")
            self.assertEqual(status, 200)
        all_back()
        self.assertEqual(refused_count(self.broker, "max_connections_per_ip"), 0)


class NodeLimitTest(BrokerTestCase):

    def config(self):
        # 127.0.0.1 is a trusted proxy here: the per-address limit does not apply to it, the
        # node's does.
        return default_config(shards=2, limits={"max_connections": 4,
                                                "max_connections_per_ip": 1},
                              auth={"anonymous": True, "trusted_proxies": ["127.0.0.1"]})

    def test_the_node_limit_counts_every_listener(self):
        held = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(4)]  # CONNECTED: in
        refused = read_all(raw_connect(self.broker.ws_port))
        self.assertTrue(refused.startswith(b"HTTP/1.1 503"), refused)
        self.assertIn(b"limits.max_connections connections", refused)
        over = read_all(raw_connect(self.broker.tcp_port))
        self.assertTrue(over.startswith(b"ERROR\nmessage:too many connections\n"), over)
        held[0].subscribe("/topic/n", "n")
        held[3].send("/topic/n", b"served", receipt=True)
        self.assertEqual(held[0].expect("MESSAGE").body, b"served")
        held[3].disconnect()
        # its slot back: /metrics can be asked again (it was refused while the node was full)
        wait_for(lambda: refused_or_none(self.broker) is not None, 10, "a slot for /metrics")
        # the two above, and any /metrics asked while the slot was still on its way back
        self.assertGreaterEqual(refused_count(self.broker, "max_connections"), 2)
        self.assertEqual(refused_count(self.broker, "max_connections_per_ip"), 0)


def refused_or_none(broker):
    try:
        return refused_count(broker, "max_connections")
    except (AssertionError, OSError, http.client.HTTPException):
        return None
