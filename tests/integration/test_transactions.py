"""BEGIN/COMMIT/ABORT: SENDs and ACKs in a transaction take effect, and are receipted, at COMMIT
only; they vanish on ABORT and on disconnect (receipted as discarded)."""

import unittest

from harness import BrokerTestCase


class TransactionTest(BrokerTestCase):

    def setUp(self):
        super().setUp()
        self.sub = self.client()
        self.sub.subscribe("/topic/tx", "tx")
        self.sub.subscribe("/topic/marker", "mk")
        self.pub = self.client()

    def tx_send(self, tx, body, receipt=None):
        """A SEND held in `tx`: its RECEIPT (if asked) comes at COMMIT or ABORT, not now."""
        headers = [("destination", "/topic/tx"), ("transaction", tx)]
        if receipt:
            headers.append(("receipt", receipt))
        self.pub.send_frame("SEND", headers, body)

    def test_commit_delivers_in_order_and_only_at_commit(self):
        self.pub.request(("BEGIN", [("transaction", "t1")]))
        for n in range(5):
            self.tx_send("t1", f"tx {n}".encode())
        self.pub.send("/topic/tx", b"outside", receipt=True)
        # the SEND outside the transaction arrives, the held ones do not
        self.assertEqual(self.sub.expect("MESSAGE").body, b"outside")
        self.assert_nothing_arrives(self.sub, "/topic/marker", self.pub)
        self.pub.request(("COMMIT", [("transaction", "t1")]))
        messages = self.sub.read_messages(5)
        self.assertEqual([m.body for m in messages], [f"tx {n}".encode() for n in range(5)])
        for m in messages:
            self.assertNotIn("transaction", m.headers)

    def test_abort_discards(self):
        self.pub.request(("BEGIN", [("transaction", "t2")]))
        self.tx_send("t2", b"never")
        self.pub.request(("ABORT", [("transaction", "t2")]))
        self.assert_nothing_arrives(self.sub, "/topic/marker", self.pub)
        # the id is free again after ABORT
        self.pub.request(("BEGIN", [("transaction", "t2")]))
        self.tx_send("t2", b"second try")
        self.pub.request(("COMMIT", [("transaction", "t2")]))
        self.assertEqual(self.sub.expect("MESSAGE").body, b"second try")

    def test_disconnect_discards(self):
        quitter = self.client()
        quitter.request(("BEGIN", [("transaction", "t3")]))
        quitter.request(("SEND", [("destination", "/topic/tx"), ("transaction", "t3")], b"x"),
                        receipt=False)
        quitter.disconnect()
        self.assert_nothing_arrives(self.sub, "/topic/marker", self.pub)

    def test_abrupt_close_discards(self):
        quitter = self.client()
        quitter.request(("BEGIN", [("transaction", "t4")]))
        quitter.request(("SEND", [("destination", "/topic/tx"), ("transaction", "t4")], b"x"),
                        receipt=False)
        quitter.close()
        # a new client with the same transaction name is unrelated
        again = self.client()
        again.request(("BEGIN", [("transaction", "t4")]))
        again.request(("COMMIT", [("transaction", "t4")]))
        self.assert_nothing_arrives(self.sub, "/topic/marker", self.pub)

    def test_two_transactions_interleaved(self):
        self.pub.request(("BEGIN", [("transaction", "a")]))
        self.pub.request(("BEGIN", [("transaction", "b")]))
        self.tx_send("a", b"a1")
        self.tx_send("b", b"b1")
        self.tx_send("a", b"a2")
        self.pub.request(("COMMIT", [("transaction", "b")]))
        self.pub.request(("ABORT", [("transaction", "a")]))
        self.assertEqual(self.sub.expect("MESSAGE").body, b"b1")
        self.assert_nothing_arrives(self.sub, "/topic/marker", self.pub)

    def test_ack_in_transaction_takes_effect_at_commit_only(self):
        q = self.client()
        q.subscribe("/queue/txack", "q", ack="client-individual")
        self.pub.send("/queue/txack", b"m1", receipt=True)
        self.pub.send("/queue/txack", b"m2", receipt=True)
        m1, m2 = q.read_messages(2)
        q.request(("BEGIN", [("transaction", "ta")]))
        q.request(("ACK", [("id", m1.headers["ack"]), ("transaction", "ta")]), receipt=False)
        q.request(("ABORT", [("transaction", "ta")]))  # m1's ACK vanishes
        q.request(("BEGIN", [("transaction", "tb")]))
        q.request(("ACK", [("id", m2.headers["ack"]), ("transaction", "tb")]), receipt=False)
        q.request(("COMMIT", [("transaction", "tb")]))  # m2 acked
        other = self.client()
        other.subscribe("/queue/txack", "o")
        q.close()
        self.assertEqual(other.expect("MESSAGE").body, b"m1")
        self.pub.send("/queue/txack", b"marker", receipt=True)
        self.assertEqual(other.expect("MESSAGE").body, b"marker", "m2 was acked at COMMIT")

    def test_uncommitted_ack_vanishes_on_disconnect(self):
        q = self.client()
        q.subscribe("/queue/txack2", "q", ack="client-individual")
        self.pub.send("/queue/txack2", b"m1", receipt=True)
        m1 = q.expect("MESSAGE")
        q.request(("BEGIN", [("transaction", "tc")]))
        q.request(("ACK", [("id", m1.headers["ack"]), ("transaction", "tc")]), receipt=False)
        other = self.client()
        other.subscribe("/queue/txack2", "o")
        q.close()
        self.assertEqual(other.expect("MESSAGE").body, b"m1")

    def test_transactional_send_to_queue(self):
        self.pub.request(("BEGIN", [("transaction", "tq")]))
        self.pub.request(("SEND", [("destination", "/queue/txq"), ("transaction", "tq")], b"q1"),
                         receipt=False)
        q = self.client()
        q.subscribe("/queue/txq", "q")
        q.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(q, "/topic/marker", self.pub)
        self.pub.request(("COMMIT", [("transaction", "tq")]))
        self.assertEqual(q.expect("MESSAGE").body, b"q1")


class TransactionReceiptTest(BrokerTestCase):
    """A RECEIPT means the frame was acted upon: for SEND, ACK and NACK in a transaction that
    is the COMMIT (RabbitMQ's and the stomp.js suites check it); ABORT receipts them as
    discarded."""

    def frames_until_receipt(self, client, rid):
        """Every frame up to and including RECEIPT `rid`, in arrival order."""
        frames = []
        while True:
            frame = client.read_frame(timeout=5)
            frames.append(frame)
            if frame.command == "RECEIPT" and frame.headers.get("receipt-id") == rid:
                return frames

    def test_send_and_ack_receipts_come_at_commit(self):
        sub = self.client()
        sub.subscribe("/queue/txr", "q", ack="client-individual")
        pub = self.client()
        pub.send("/queue/txr", b"to ack", receipt=True)
        delivered = sub.expect("MESSAGE")
        pub.request(("BEGIN", [("transaction", "t")]))
        pub.send_frame("SEND", [("destination", "/topic/txr"), ("transaction", "t"),
                                ("receipt", "send-1")], b"held")
        sub.request(("BEGIN", [("transaction", "u")]))
        sub.send_frame("ACK", [("id", delivered.headers["ack"]), ("transaction", "u"),
                               ("receipt", "ack-1")])
        # Nothing is acted upon yet, so nothing is receipted: a later frame's RECEIPT comes
        # first.
        pub.request(("SEND", [("destination", "/topic/elsewhere")], b"x"), receipt="probe")
        self.assertEqual(pub.pending, [])
        sub.request(("SUBSCRIBE", [("destination", "/topic/none"), ("id", "probe")]),
                    receipt="probe-sub")
        self.assertEqual(sub.pending, [])
        # COMMIT acts on them in order: their receipts, then COMMIT's.
        pub.send_frame("COMMIT", [("transaction", "t"), ("receipt", "commit-t")])
        got = [f.headers.get("receipt-id") for f in self.frames_until_receipt(pub, "commit-t")
               if f.command == "RECEIPT"]
        self.assertEqual(got, ["send-1", "commit-t"])
        sub.send_frame("COMMIT", [("transaction", "u"), ("receipt", "commit-u")])
        got = [f.headers.get("receipt-id") for f in self.frames_until_receipt(sub, "commit-u")
               if f.command == "RECEIPT"]
        self.assertEqual(got, ["ack-1", "commit-u"])

    def test_abort_receipts_the_held_frames_as_discarded(self):
        sub = self.client()
        sub.subscribe("/topic/txa", "a")
        pub = self.client()
        pub.request(("BEGIN", [("transaction", "t")]))
        pub.send_frame("SEND", [("destination", "/topic/txa"), ("transaction", "t"),
                                ("receipt", "s1")], b"never")
        pub.send_frame("SEND", [("destination", "/topic/txa"), ("transaction", "t")], b"never")
        pub.send_frame("ABORT", [("transaction", "t"), ("receipt", "abort")])
        frames = self.frames_until_receipt(pub, "abort")
        receipts = [(f.headers.get("receipt-id"), f.headers.get("x-discarded")) for f in frames]
        self.assertEqual(receipts, [("s1", "true"), ("abort", None)])
        pub.send("/topic/txa", b"after", receipt=True)
        self.assertEqual(sub.expect("MESSAGE").body, b"after")  # nothing of the ABORTed SENDs


if __name__ == "__main__":
    unittest.main()
