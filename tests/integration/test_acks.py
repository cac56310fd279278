"""Acknowledgements and the defaults third-party client suites rely on (issue 11): ACK/NACK
by id whatever the `subscription` header says, `redelivered:true` on every redelivery, ACKs of
topic deliveries, heart-beats as fast as the client asks (down to heartbeat.server_min_ms),
and a 1 MiB body under the default limits."""

import time
import unittest

import stomp

from harness import BrokerProcess, BrokerTestCase, default_config, encode_frame, wait_for
from test_cross_transport import Recorder


def outstanding(client, quiet=0.4):
    """The MESSAGE frames that arrive until the connection has been quiet for `quiet` s."""
    got = []
    while True:
        frame = client.try_read_frame(quiet)
        if frame is None:
            return got
        if frame.command != "MESSAGE":
            raise AssertionError(f"expected MESSAGE, got {frame!r}")
        got.append(frame)


def bodies(messages):
    return [m.body for m in messages]


def send_of_size(total):
    """A SEND frame of exactly `total` bytes, command through NUL."""
    for body_size in range(total - 80, total):
        frame = encode_frame("SEND", [("destination", "/topic/big")], b"y" * body_size)
        if len(frame) == total:
            return frame
    raise AssertionError(f"no SEND of {total} bytes")


class AckByIdTest(BrokerTestCase):

    def test_1_1_ack_with_a_subscription_that_does_not_match_is_applied(self):
        # RabbitMQ's own STOMP tests send such ACKs and NACKs; the id decides.
        for command in ("ACK", "NACK"):
            with self.subTest(command=command):
                queue = f"/queue/wrong-sub-{command}"
                sub = self.client(version="1.1")
                sub.subscribe(queue, "real", ack="client-individual")
                pub = self.client()
                pub.send(queue, b"m", receipt=True)
                message = sub.expect("MESSAGE")
                sub.request((command, [("message-id", message.headers["message-id"]),
                                       ("subscription", "not-this-one")]))
                if command == "NACK":
                    again = sub.expect("MESSAGE")  # given back, to the same sole consumer
                    self.assertEqual(again.headers.get("redelivered"), "true")
                    sub.request(("ACK", [("message-id", again.headers["message-id"]),
                                         ("subscription", "real")]))
                other = self.client()
                other.subscribe(queue, "o")
                sub.close()
                pub.send(queue, b"marker", receipt=True)
                self.assertEqual(other.expect("MESSAGE").body, b"marker",
                                 "an acknowledged message came back")

    def test_acking_a_message_twice_is_an_error(self):
        sub = self.client()
        sub.subscribe("/queue/twice", "q", ack="client-individual")
        pub = self.client()
        pub.send("/queue/twice", b"once", receipt=True)
        ack = sub.expect("MESSAGE").headers["ack"]
        sub.request(("ACK", [("id", ack)]))
        sub.send_frame("ACK", [("id", ack)], content_length=False)
        sub.expect_error("unknown message id")

    def test_topic_deliveries_under_client_ack_are_acknowledged(self):
        for version, header in (("1.2", "ack"), ("1.1", "message-id")):
            with self.subTest(version=version):
                sub = self.client(version=version)
                sub.subscribe("/topic/acked", "t", ack="client")
                pub = self.client()
                pub.send("/topic/acked", b"t1", receipt=True)
                message = sub.expect("MESSAGE")
                key = "id" if version == "1.2" else "message-id"
                sub.request(("ACK", [(key, message.headers[header]), ("subscription", "t")]))
                sub.request(("NACK", [(key, message.headers[header]), ("subscription", "t")]))
                pub.send("/topic/acked", b"t2", receipt=True)
                self.assertEqual(sub.expect("MESSAGE").body, b"t2")
                sub.close()


class RedeliveredTest(BrokerTestCase):

    def test_nack_unsubscribe_and_disconnect_mark_redeliveries(self):
        pub = self.client()
        a = self.client()
        a.subscribe("/queue/redo", "a", ack="client-individual")
        pub.send("/queue/redo", b"m", receipt=True)
        first = a.expect("MESSAGE")
        self.assertNotIn("redelivered", first.headers)
        a.request(("NACK", [("id", first.headers["ack"])]))
        second = a.expect("MESSAGE")  # after NACK
        self.assertEqual(second.headers.get("redelivered"), "true")
        self.assertEqual(second.headers["message-id"], first.headers["message-id"])
        b = self.client()
        b.subscribe("/queue/redo", "b", ack="client-individual")
        a.unsubscribe("a")
        third = b.expect("MESSAGE")  # after UNSUBSCRIBE
        self.assertEqual(third.headers.get("redelivered"), "true")
        c = self.client()
        c.subscribe("/queue/redo", "c")
        b.close()
        fourth = c.expect("MESSAGE")  # after the connection dropped
        self.assertEqual(fourth.headers.get("redelivered"), "true")
        self.assertEqual(fourth.body, b"m")

    def test_a_sender_cannot_claim_a_redelivery(self):
        sub = self.client()
        sub.subscribe("/queue/claim", "q")
        pub = self.client()
        pub.send("/queue/claim", b"fresh", headers={"redelivered": "true"}, receipt=True)
        self.assertNotIn("redelivered", sub.expect("MESSAGE").headers)


class PrefetchTest(BrokerTestCase):
    """prefetch-count caps unacknowledged queue deliveries per subscription, checked on the
    wire: never more MESSAGE frames outstanding than the cap."""

    def test_never_more_than_the_cap(self):
        sub = self.client()
        sub.subscribe("/queue/pf", "p", ack="client-individual", extra={"prefetch-count": "2"})
        pub = self.client()
        for n in range(6):
            pub.send("/queue/pf", f"m{n}".encode(), receipt=True)
        first = outstanding(sub)
        self.assertEqual(bodies(first), [b"m0", b"m1"])
        sub.request(("ACK", [("id", first[0].headers["ack"])]))
        second = outstanding(sub)
        self.assertEqual(bodies(second), [b"m2"])
        sub.request(("NACK", [("id", first[1].headers["ack"])]))  # given back: still 2 out
        third = outstanding(sub)
        self.assertEqual(len(third), 1)
        self.assertEqual(third[0].body, b"m1")
        self.assertEqual(third[0].headers.get("redelivered"), "true")
        # A second consumer takes what the first has no room for.
        other = self.client()
        other.subscribe("/queue/pf", "o")
        self.assertEqual(sorted(bodies(other.read_messages(3))), [b"m3", b"m4", b"m5"])

    def test_auto_ack_ignores_it_and_bad_values_are_refused(self):
        sub = self.client()
        sub.subscribe("/queue/pfa", "a", extra={"prefetch-count": "1"})
        pub = self.client()
        for n in range(3):
            pub.send("/queue/pfa", f"a{n}".encode(), receipt=True)
        self.assertEqual(bodies(sub.read_messages(3)), [b"a0", b"a1", b"a2"])
        bad = self.client()
        bad.send_frame("SUBSCRIBE", [("destination", "/queue/pfb"), ("id", "b"),
                                     ("ack", "client"), ("prefetch-count", "lots"),
                                     ("receipt", "rb")], content_length=False)
        bad.expect_error("bad prefetch-count", receipt_id="rb")


class TopicPrefetchTest(BrokerTestCase):
    """prefetch-count on a topic subscription with client ack: at most N MESSAGE frames
    unacknowledged; what the topic carries meanwhile waits for the subscriber (bounded like
    its outbound queue) and follows as ACKs make room, in order, none lost."""

    def test_client_individual_caps_and_releases_in_order(self):
        sub = self.client()
        sub.subscribe("/topic/tpf", "t", ack="client-individual", extra={"prefetch-count": "2"})
        free = self.client()
        free.subscribe("/topic/tpf", "f")
        pub = self.client()
        for n in range(5):
            pub.send("/topic/tpf", f"m{n}".encode(), receipt=True)
        # A subscriber without prefetch is not held back by the capped one.
        self.assertEqual(bodies(free.read_messages(5)), [b"m0", b"m1", b"m2", b"m3", b"m4"])
        first = outstanding(sub)
        self.assertEqual(bodies(first), [b"m0", b"m1"])
        sub.request(("ACK", [("id", first[1].headers["ack"])]))
        self.assertEqual(bodies(outstanding(sub)), [b"m2"])
        # A NACK makes room too (a topic has nothing to give back).
        sub.request(("NACK", [("id", first[0].headers["ack"])]))
        rest = outstanding(sub)
        self.assertEqual(bodies(rest), [b"m3"])
        self.assertNotIn("redelivered", rest[0].headers)

    def test_client_mode_acknowledges_cumulatively(self):
        sub = self.client()
        sub.subscribe("/topic/tpc", "c", ack="client", extra={"prefetch-count": "3"})
        pub = self.client()
        for n in range(7):
            pub.send("/topic/tpc", f"c{n}".encode(), receipt=True)
        first = outstanding(sub)
        self.assertEqual(bodies(first), [b"c0", b"c1", b"c2"])
        sub.request(("ACK", [("id", first[1].headers["ack"])]))  # c0 and c1
        self.assertEqual(bodies(outstanding(sub)), [b"c3", b"c4"])
        sub.request(("ACK", [("id", first[2].headers["ack"])]))
        self.assertEqual(bodies(outstanding(sub)), [b"c5"])

    def test_stomp_1_1_acks_by_message_id(self):
        sub = self.client(version="1.1")
        sub.subscribe("/topic/tp11", "s", ack="client-individual", extra={"prefetch-count": "1"})
        pub = self.client()
        for n in range(3):
            pub.send("/topic/tp11", f"v{n}".encode(), receipt=True)
        got = outstanding(sub)
        self.assertEqual(bodies(got), [b"v0"])
        sub.request(("ACK", [("message-id", got[0].headers["message-id"]),
                             ("subscription", "s")]))
        got = outstanding(sub)
        self.assertEqual(bodies(got), [b"v1"])



class TopicPrefetchBoundTest(BrokerTestCase):
    """What waits behind a topic subscription's prefetch cap counts against
    max_pending_bytes_per_connection: past it, slow_consumer decides."""

    config_overrides = {"limits": {"max_pending_bytes_per_connection": 65536}}

    def test_past_the_limit_the_capped_subscriber_is_a_slow_consumer(self):
        sub = self.client()
        sub.subscribe("/topic/tpb", "b", ack="client", extra={"prefetch-count": "1"})
        bystander = self.bystander()
        watcher = self.client()
        watcher.subscribe("/topic/tpb", "w")
        pub = self.client()
        body = b"x" * 8192
        for _ in range(12):
            pub.send("/topic/tpb", body, receipt=True)
        # One delivered, 11 waiting: 88 KiB, past 64 KiB.
        self.assertEqual(sub.read_frame().command, "MESSAGE")
        sub.expect_error("slow consumer")
        self.assertEqual(len(watcher.read_messages(12)), 12)
        self.assert_still_works(bystander)


class TopicPrefetchDropOldestTest(BrokerTestCase):
    """slow_consumer: drop_oldest drops the oldest waiting messages instead; the newest
    follow once the subscriber acknowledges."""

    config_overrides = {"limits": {"max_pending_bytes_per_connection": 65536,
                                   "slow_consumer": "drop_oldest"}}

    def test_the_oldest_waiting_are_dropped(self):
        sub = self.client()
        sub.subscribe("/topic/tpd", "d", ack="client-individual", extra={"prefetch-count": "1"})
        pub = self.client()
        for n in range(12):
            pub.send("/topic/tpd", str(n).encode() + b" " + b"x" * 8192, receipt=True)
        first = sub.read_frame()
        self.assertTrue(first.body.startswith(b"0 "))
        got = []
        frame = first
        while True:
            sub.request(("ACK", [("id", frame.headers["ack"])]))
            frame = sub.try_read_frame(0.5)
            if frame is None:
                break
            got.append(int(frame.body.split(b" ")[0]))
        self.assertEqual(got, sorted(got))
        self.assertEqual(got[-1], 11)
        self.assertLess(len(got), 11)  # some were dropped


class StompPyAckTest(BrokerTestCase):
    """The same with Debian's stomp.py, as RabbitMQ's own STOMP tests drive a broker: 1.1
    NACK and ACK with a subscription header that names another subscription, and receipts of
    transactional frames at COMMIT."""

    def stomp_py(self, connection_class):
        conn = connection_class([("127.0.0.1", self.broker.tcp_port)], heartbeats=(0, 0))
        recorder = Recorder()
        conn.set_listener("r", recorder)
        conn.connect("guest", "guest", wait=True)
        self.addCleanup(lambda: conn.is_connected() and conn.disconnect())
        return conn, recorder

    def test_1_1_nack_and_ack_by_message_id(self):
        conn, got = self.stomp_py(stomp.Connection11)
        conn.subscribe("/queue/py11", id="real", ack="client-individual")
        conn.send("/queue/py11", "work", receipt="sent")
        wait_for(lambda: got.messages, 10, "the MESSAGE")
        first = got.messages[0]
        conn.nack(first.headers["message-id"], "some-other-subscription")
        wait_for(lambda: len(got.messages) == 2, 10, "the redelivery")
        again = got.messages[1]
        self.assertEqual(again.headers.get("redelivered"), "true")
        conn.ack(again.headers["message-id"], "some-other-subscription", receipt="acked")
        wait_for(lambda: "acked" in got.receipts, 10, "the ACK's RECEIPT")
        self.assertEqual(got.errors, [])

    def test_transaction_receipts_at_commit(self):
        conn, got = self.stomp_py(stomp.Connection12)
        tx = conn.begin()
        conn.send("/topic/pytx", "held", transaction=tx, receipt="held-send")
        conn.send("/topic/elsewhere", "probe", receipt="probe")
        wait_for(lambda: "probe" in got.receipts, 10, "the probe's RECEIPT")
        self.assertNotIn("held-send", got.receipts)
        conn.commit(tx, receipt="committed")
        wait_for(lambda: "committed" in got.receipts, 10, "the COMMIT's RECEIPT")
        self.assertLess(got.receipts.index("held-send"), got.receipts.index("committed"))


class DefaultHeartBeatTest(BrokerTestCase):
    """With the shipped defaults (heartbeat.server_min_ms 1000), a client asking for beats
    every second gets them every second (stomp.js finds a dead connection in 2 s, not 20)."""

    config_overrides = {"heartbeat": {}}

    def test_one_second_when_asked(self):
        c = self.broker.tcp_client(self)
        connected = c.connect(heart_beat="0,1000")
        self.assertEqual(connected.headers["heart-beat"].split(",")[0], "1000")
        start = time.monotonic()
        c.wait_heartbeats(3, timeout=6)
        self.assertLess(time.monotonic() - start, 4.5, "beats slower than the 1 s asked for")


class OneMebibyteBodyTest(unittest.TestCase):
    """The default limits admit a 1 MiB body with its headers (limits.max_frame_bytes counts
    the whole frame: command, headers and body), and refuse one byte over the limit."""

    LIMIT = 1114112

    def setUp(self):
        self.broker = BrokerProcess(default_config()).start(self)

    def test_at_the_edge_on_both_transports(self):
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                sub = self.broker.tcp_client(self)
                sub.connect()
                sub.subscribe("/topic/big", "b")
                pub = (self.broker.tcp_client(self) if transport == "tcp"
                       else self.broker.ws_client(self))
                pub.connect()
                body = b"x" * (1024 * 1024)
                pub.send("/topic/big", body, headers={"x-pad": "p" * 1000}, receipt=True)
                self.assertEqual(sub.expect("MESSAGE", timeout=15).body, body)
                # A frame of exactly the limit passes; one byte more is refused.
                exact = send_of_size(self.LIMIT)
                pub.send_bytes(exact)
                self.assertEqual(len(sub.expect("MESSAGE", timeout=15).body),
                                 len(send_of_size(self.LIMIT).split(b"\n\n", 1)[1]) - 1)
                # One byte over is refused at the blank line, while the client is still sending
                # the body: the ERROR must reach it all the same (the broker lingers).
                try:
                    pub.send_bytes(send_of_size(self.LIMIT + 1))
                except OSError:
                    pass  # the broker shut its side; what it wrote is still to be read
                pub.expect_error("max_frame_bytes exceeded", timeout=15)
                sub.close()


if __name__ == "__main__":
    unittest.main()
