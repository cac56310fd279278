"""Per-queue policies (destinations.queues[]): the redelivery limit and the dead-letter queue
(x-death-reason max-redeliveries and rejected, x-redeliveries, x-original-destination), no
dead-letter loops, overflow drop_oldest and max_bytes, and time to live (`expires` on SEND and
ttl_ms), all checked on the wire."""

import re
import threading
import time
import unittest

import stomp

from harness import BrokerTestCase

QUEUES = [
    {"pattern": "/queue/dl.#", "max_redeliveries": 2},
    {"pattern": "/queue/once.#", "max_redeliveries": 0},
    {"pattern": "/queue/drop.#", "dead_letter": ""},
    {"pattern": "/queue/named.#", "dead_letter": "/queue/graveyard"},
    {"pattern": "/queue/ov.#", "max_messages": 2, "overflow": "drop_oldest"},
    {"pattern": "/queue/bytes.#", "max_bytes": 10},
    {"pattern": "/queue/ttl.#", "ttl_ms": 300},
]


def metric(broker, name):
    status, body = broker.http_get("/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    m = re.search(rf"^{re.escape(name)} (\d+)$", body.decode(), re.M)
    if m is None:
        raise AssertionError(f"{name} missing from /metrics")
    return int(m.group(1))


def now_ms():
    return int(time.time() * 1000)


class DeadLetterCase(BrokerTestCase):
    config_overrides = {"destinations": {"queues": QUEUES}}

    def assert_queue_next_is_marker(self, destination):
        """Nothing waits in `destination`: a marker sent now is the first thing it delivers."""
        pub = self.client()
        marker = f"marker {time.monotonic()}".encode()
        pub.send(destination, marker, receipt=True)
        sub = self.client()
        sub.subscribe(destination, "marker")
        message = sub.expect("MESSAGE")
        self.assertEqual(message.body, marker, f"{destination} held {message!r}")


class RedeliveryLimitTest(DeadLetterCase):

    def test_nacks_count_redeliveries_then_the_message_is_dead_lettered(self):
        dlq = self.client()
        dlq.subscribe("/queue/dl.a.dlq", "dlq")
        sub = self.client()
        sub.subscribe("/queue/dl.a", "s", ack="client-individual")
        pub = self.client()
        pub.send("/queue/dl.a", b"poison", headers={"x-app": "1"}, receipt=True)
        first = sub.expect("MESSAGE")
        self.assertNotIn("x-redeliveries", first.headers)
        for n in (1, 2):
            sub.request(("NACK", [("id", first.headers["ack"])]))
            first = sub.expect("MESSAGE")
            self.assertEqual(first.headers.get("redelivered"), "true")
            self.assertEqual(first.headers.get("x-redeliveries"), str(n))
        sub.request(("NACK", [("id", first.headers["ack"])]))
        dead = dlq.expect("MESSAGE")
        self.assertEqual(dead.body, b"poison")
        self.assertEqual(dead.headers["destination"], "/queue/dl.a.dlq")
        self.assertEqual(dead.headers["x-death-reason"], "max-redeliveries")
        self.assertEqual(dead.headers["x-redeliveries"], "2")
        self.assertEqual(dead.headers["x-original-destination"], "/queue/dl.a")
        self.assertEqual(dead.headers["x-app"], "1")
        self.assertNotIn("redelivered", dead.headers)
        self.assertNotEqual(dead.headers["message-id"], first.headers["message-id"])
        self.assertEqual(metric(self.broker, "stampede_queue_dead_lettered_total"), 1)
        # gone from the original queue
        sub.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(sub, "/topic/marker", pub)

    def test_default_limit_is_five_and_dead_letter_is_queue_dot_dlq(self):
        sub = self.client()
        sub.subscribe("/queue/plain", "s", ack="client-individual")
        pub = self.client()
        pub.send("/queue/plain", b"m", receipt=True)
        seen = []
        for _ in range(6):
            message = sub.expect("MESSAGE")
            seen.append(message.headers.get("x-redeliveries"))
            sub.request(("NACK", [("id", message.headers["ack"])]))
        self.assertEqual(seen, [None, "1", "2", "3", "4", "5"])
        dlq = self.client()
        dlq.subscribe("/queue/plain.dlq", "dlq")
        dead = dlq.expect("MESSAGE")
        self.assertEqual(dead.headers["x-death-reason"], "max-redeliveries")
        self.assertEqual(dead.headers["x-redeliveries"], "5")

    def test_disconnect_and_unsubscribe_count_too(self):
        pub = self.client()
        pub.send("/queue/dl.gone", b"m", receipt=True)
        for n in range(3):
            sub = self.client()
            sub.subscribe("/queue/dl.gone", "s", ack="client")
            message = sub.expect("MESSAGE")
            self.assertEqual(message.headers.get("x-redeliveries"), str(n) if n else None)
            if n == 1:
                sub.unsubscribe("s")
            else:
                sub.close()
        dlq = self.client()
        dlq.subscribe("/queue/dl.gone.dlq", "dlq")
        dead = dlq.expect("MESSAGE")
        self.assertEqual(dead.headers["x-death-reason"], "max-redeliveries")
        self.assertEqual(dead.headers["x-redeliveries"], "2")

    def test_max_redeliveries_zero_dead_letters_at_the_first_give_back(self):
        pub = self.client()
        sub = self.client()
        sub.subscribe("/queue/once.x", "s", ack="client-individual")
        pub.send("/queue/once.x", b"m", receipt=True)
        sub.expect("MESSAGE")
        sub.close()
        dlq = self.client()
        dlq.subscribe("/queue/once.x.dlq", "dlq")
        self.assertEqual(dlq.expect("MESSAGE").headers["x-redeliveries"], "0")


class RejectTest(DeadLetterCase):

    def test_nack_requeue_false_dead_letters_at_once(self):
        sub = self.client()
        sub.subscribe("/queue/dl.r", "s", ack="client-individual")
        pub = self.client()
        pub.send("/queue/dl.r", b"bad", receipt=True)
        message = sub.expect("MESSAGE")
        sub.request(("NACK", [("id", message.headers["ack"]), ("requeue", "false")]))
        dlq = self.client()
        dlq.subscribe("/queue/dl.r.dlq", "dlq", ack="client-individual")
        dead = dlq.expect("MESSAGE")
        self.assertEqual((dead.body, dead.headers["x-death-reason"]), (b"bad", "rejected"))
        self.assertEqual(dead.headers["x-redeliveries"], "0")
        # A dead letter is never dead-lettered again: rejected in the DLQ it is dropped.
        dlq.request(("NACK", [("id", dead.headers["ack"]), ("requeue", "false")]))
        dlq.unsubscribe("dlq")
        sub.unsubscribe("s")
        self.assert_queue_next_is_marker("/queue/dl.r.dlq.dlq")
        self.assert_queue_next_is_marker("/queue/dl.r.dlq")
        self.assert_queue_next_is_marker("/queue/dl.r")

    def test_a_rejecting_nack_in_a_transaction_acts_at_commit(self):
        sub = self.client()
        sub.subscribe("/queue/dl.tx", "s", ack="client-individual")
        pub = self.client()
        pub.send("/queue/dl.tx", b"later", receipt=True)
        message = sub.expect("MESSAGE")
        sub.request(("BEGIN", [("transaction", "t")]), receipt=False)
        sub.send_frame("NACK", [("id", message.headers["ack"]), ("requeue", "false"),
                                ("transaction", "t"), ("receipt", "nack")])
        dlq = self.client()
        dlq.subscribe("/queue/dl.tx.dlq", "d")
        dlq.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(dlq, "/topic/marker", pub)  # held until COMMIT
        sub.request(("COMMIT", [("transaction", "t")]))  # the NACK's RECEIPT comes first
        self.assertIn("nack", [f.headers.get("receipt-id") for f in sub.pending])
        self.assertEqual(dlq.expect("MESSAGE").headers["x-death-reason"], "rejected")

    def test_dead_letter_queue_consumers_share_it_like_any_queue(self):
        pub = self.client()
        sub = self.client()
        sub.subscribe("/queue/named.a", "s", ack="client-individual")
        for n in range(2):
            pub.send("/queue/named.a", f"m{n}".encode(), receipt=True)
        for message in sub.read_messages(2):
            sub.request(("NACK", [("id", message.headers["ack"]), ("requeue", "false")]))
        grave = self.client()
        grave.subscribe("/queue/graveyard", "g")
        self.assertEqual([m.body for m in grave.read_messages(2)], [b"m0", b"m1"])

    def test_empty_dead_letter_drops(self):
        sub = self.client()
        sub.subscribe("/queue/drop.x", "s", ack="client-individual")
        pub = self.client()
        pub.send("/queue/drop.x", b"gone", receipt=True)
        message = sub.expect("MESSAGE")
        sub.request(("NACK", [("id", message.headers["ack"]), ("requeue", "false")]))
        sub.unsubscribe("s")
        self.assert_queue_next_is_marker("/queue/drop.x.dlq")
        self.assert_queue_next_is_marker("/queue/drop.x")
        self.assertEqual(metric(self.broker, "stampede_queue_dropped_total"), 1)
        self.assertEqual(metric(self.broker, "stampede_queue_dead_lettered_total"), 0)

    def test_senders_cannot_set_the_death_headers(self):
        sub = self.client()
        sub.subscribe("/queue/forged", "s")
        pub = self.client()
        pub.send("/queue/forged", b"x", receipt=True,
                 headers={"x-death-reason": "rejected", "x-redeliveries": "3",
                          "x-original-destination": "/queue/other"})
        headers = sub.expect("MESSAGE").headers
        for name in ("x-death-reason", "x-redeliveries", "x-original-destination"):
            self.assertNotIn(name, headers)


class OverflowTest(DeadLetterCase):

    def test_drop_oldest_dead_letters_the_oldest_and_accepts_the_new(self):
        pub = self.client()
        for n in range(4):
            pub.send("/queue/ov.a", f"o{n}".encode(), receipt=True)  # all accepted
        sub = self.client()
        sub.subscribe("/queue/ov.a", "s")
        self.assertEqual([m.body for m in sub.read_messages(2)], [b"o2", b"o3"])
        dlq = self.client()
        dlq.subscribe("/queue/ov.a.dlq", "d")
        dead = dlq.read_messages(2)
        self.assertEqual([m.body for m in dead], [b"o0", b"o1"])
        self.assertEqual(dead[0].headers["x-death-reason"], "overflow")
        self.assertEqual(dead[0].headers["x-original-destination"], "/queue/ov.a")

    def test_max_bytes_bounds_the_waiting_bodies(self):
        by = self.bystander()
        pub = self.client()
        pub.send("/queue/bytes.a", b"123456", receipt=True)
        pub.send_frame("SEND", [("destination", "/queue/bytes.a"), ("receipt", "second")],
                       b"789012")
        pub.expect_error("queue full", receipt_id="second")
        self.assert_still_works(by)
        sub = self.client()
        sub.subscribe("/queue/bytes.a", "s")
        self.assertEqual(sub.expect("MESSAGE").body, b"123456")


class ExpiryTest(DeadLetterCase):

    def test_expires_in_the_past_is_never_delivered_but_dead_lettered(self):
        pub = self.client()
        pub.send("/queue/exp", b"stale", headers={"expires": str(now_ms() - 1000)},
                 receipt=True)
        pub.send("/queue/exp", b"fresh", headers={"expires": str(now_ms() + 60000)},
                 receipt=True)
        sub = self.client()
        sub.subscribe("/queue/exp", "s")
        fresh = sub.expect("MESSAGE")
        self.assertEqual(fresh.body, b"fresh")
        dlq = self.client()
        dlq.subscribe("/queue/exp.dlq", "d")
        dead = dlq.expect("MESSAGE")
        self.assertEqual((dead.body, dead.headers["x-death-reason"]), (b"stale", "expired"))
        self.assertEqual(dead.headers["x-original-destination"], "/queue/exp")

    def test_queue_ttl_counts_from_the_send(self):
        pub = self.client()
        pub.send("/queue/ttl.a", b"old", receipt=True)
        time.sleep(0.5)  # ttl_ms: 300
        pub.send("/queue/ttl.a", b"new", receipt=True)
        sub = self.client()
        sub.subscribe("/queue/ttl.a", "s")
        self.assertEqual(sub.expect("MESSAGE").body, b"new")
        dlq = self.client()
        dlq.subscribe("/queue/ttl.a.dlq", "d")
        self.assertEqual(dlq.expect("MESSAGE").headers["x-death-reason"], "expired")

    def test_an_expired_redelivery_is_not_delivered_again(self):
        sub = self.client()
        sub.subscribe("/queue/ttl.b", "s", ack="client-individual")
        pub = self.client()
        pub.send("/queue/ttl.b", b"late", receipt=True)
        message = sub.expect("MESSAGE")
        time.sleep(0.5)
        sub.request(("NACK", [("id", message.headers["ack"])]))
        dlq = self.client()
        dlq.subscribe("/queue/ttl.b.dlq", "d")
        dead = dlq.expect("MESSAGE")
        self.assertEqual(dead.headers["x-death-reason"], "expired")
        self.assertEqual(dead.headers["x-redeliveries"], "1")


class StompPyTest(DeadLetterCase):
    """Debian's stomp.py, as RabbitMQ users drive it: nack(requeue="false") and `expires`."""

    def test_stomp_py_reject_and_redelivery_limit(self):
        conn = stomp.Connection12([("127.0.0.1", self.broker.tcp_port)], heartbeats=(0, 0))
        recorder = Recorder()
        conn.set_listener("r", recorder)
        conn.connect("guest", "guest", wait=True)
        self.addCleanup(lambda: conn.is_connected() and conn.disconnect())
        conn.subscribe("/queue/dl.py.dlq", id="dead", ack="auto")
        conn.subscribe("/queue/dl.py", id="work", ack="client-individual")
        conn.send("/queue/dl.py", "reject me")
        first = recorder.wait(lambda m: m.headers["destination"] == "/queue/dl.py", 1)[0]
        conn.nack(first.headers["ack"], requeue="false")
        conn.send("/queue/dl.py", "retry me")
        for n in range(3):  # max_redeliveries: 2 for /queue/dl.#
            got = recorder.wait(lambda m: m.body == "retry me", n + 1)[n]
            conn.nack(got.headers["ack"])
        dead = recorder.wait(lambda m: m.headers["destination"] == "/queue/dl.py.dlq", 2)
        self.assertEqual([(m.body, m.headers["x-death-reason"]) for m in dead],
                         [("reject me", "rejected"), ("retry me", "max-redeliveries")])
        self.assertEqual(dead[1].headers["x-redeliveries"], "2")


class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    def on_message(self, frame):
        with self.lock:
            self.messages.append(frame)

    def wait(self, predicate, count, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                found = [m for m in self.messages if predicate(m)]
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"{count} messages expected, got {self.messages!r}")


if __name__ == "__main__":
    unittest.main()
