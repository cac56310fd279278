"""In-memory /queue/: one subscriber per message (round robin), held while nobody subscribes,
client and client-individual acks with redelivery on NACK, UNSUBSCRIBE and disconnect,
max_queue_messages."""

import unittest

from harness import BrokerTestCase


def bodies(messages):
    return [m.body for m in messages]


class QueueTest(BrokerTestCase):

    def test_round_robin(self):
        a = self.client()
        a.subscribe("/queue/work", "a")
        b = self.client(transport="ws")
        b.subscribe("/queue/work", "b")
        pub = self.client()
        for n in range(10):
            pub.send("/queue/work", f"job {n}".encode(), receipt=True)
        got_a = bodies(a.read_messages(5))
        got_b = bodies(b.read_messages(5))
        self.assertEqual(sorted(got_a + got_b), sorted(f"job {n}".encode() for n in range(10)))
        self.assertEqual(got_a, sorted(got_a, key=lambda x: int(x.split()[1])), "order per sub")
        self.assertEqual(got_b, sorted(got_b, key=lambda x: int(x.split()[1])), "order per sub")
        # exactly once: nobody got anything more
        a.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(a, "/topic/marker", pub)
        b.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(b, "/topic/marker", pub)

    def test_held_while_no_subscriber(self):
        pub = self.client()
        for n in range(5):
            pub.send("/queue/held", f"held {n}".encode(), receipt=True,
                     headers={"content-type": "text/plain", "x-n": str(n)})
        pub.close()
        sub = self.client()
        sub.subscribe("/queue/held", "h")
        messages = sub.read_messages(5)
        self.assertEqual(bodies(messages), [f"held {n}".encode() for n in range(5)])
        self.assertEqual(messages[3].headers["x-n"], "3")
        self.assertEqual(messages[3].headers["content-type"], "text/plain")
        self.assertEqual(messages[3].headers["destination"], "/queue/held")
        self.assertEqual(messages[3].headers["subscription"], "h")

    def test_ack_header_only_for_client_modes(self):
        pub = self.client()
        for mode, dest in (("auto", "/queue/m1"), ("client", "/queue/m2"),
                           ("client-individual", "/queue/m3"), (None, "/queue/m4")):
            with self.subTest(ack=mode):
                sub = self.client()
                sub.subscribe(dest, "s", ack=mode)
                pub.send(dest, b"x")
                msg = sub.expect("MESSAGE")
                if mode in ("client", "client-individual"):
                    self.assertTrue(msg.headers.get("ack"), f"no ack header: {msg!r}")
                else:
                    self.assertNotIn("ack", msg.headers)

    def test_nack_redelivers(self):
        sub = self.client()
        sub.subscribe("/queue/nack", "n", ack="client-individual")
        pub = self.client()
        pub.send("/queue/nack", b"retry me", receipt=True)
        first = sub.expect("MESSAGE")
        sub.request(("NACK", [("id", first.headers["ack"])]))
        again = sub.expect("MESSAGE")
        self.assertEqual(again.body, b"retry me")
        sub.request(("ACK", [("id", again.headers["ack"])]))
        sub.unsubscribe("n")
        # acked: gone for good
        other = self.client()
        other.subscribe("/queue/nack", "o")
        pub.send("/queue/nack", b"next", receipt=True)
        self.assertEqual(other.expect("MESSAGE").body, b"next")

    def test_unsubscribe_redelivers_unacked_to_another_subscriber(self):
        a = self.client()
        a.subscribe("/queue/u", "a", ack="client-individual")
        pub = self.client()
        for n in range(3):
            pub.send("/queue/u", f"u{n}".encode(), receipt=True)
        self.assertEqual(bodies(a.read_messages(3)), [b"u0", b"u1", b"u2"])
        b = self.client()
        b.subscribe("/queue/u", "b")
        a.unsubscribe("a")
        self.assertEqual(sorted(bodies(b.read_messages(3))), [b"u0", b"u1", b"u2"])

    def test_disconnect_redelivers_unacked_but_not_acked(self):
        a = self.client()
        a.subscribe("/queue/d", "a", ack="client-individual")
        pub = self.client()
        for n in range(4):
            pub.send("/queue/d", f"d{n}".encode(), receipt=True)
        got = a.read_messages(4)
        a.request(("ACK", [("id", got[1].headers["ack"])]))
        a.request(("ACK", [("id", got[3].headers["ack"])]))
        b = self.client()
        b.subscribe("/queue/d", "b")
        a.close()  # abrupt: no DISCONNECT frame
        self.assertEqual(sorted(bodies(b.read_messages(2))), [b"d0", b"d2"])
        pub.send("/queue/d", b"marker", receipt=True)
        self.assertEqual(b.expect("MESSAGE").body, b"marker", "an acked message came back")

    def test_client_ack_is_cumulative(self):
        a = self.client()
        a.subscribe("/queue/c", "a", ack="client")
        pub = self.client()
        for n in range(5):
            pub.send("/queue/c", f"c{n}".encode(), receipt=True)
        got = a.read_messages(5)
        a.request(("ACK", [("id", got[2].headers["ack"])]))  # acks c0, c1, c2
        b = self.client()
        b.subscribe("/queue/c", "b")
        a.close()
        self.assertEqual(sorted(bodies(b.read_messages(2))), [b"c3", b"c4"])
        pub.send("/queue/c", b"marker", receipt=True)
        self.assertEqual(b.expect("MESSAGE").body, b"marker")

    def test_disconnect_frame_redelivers_unacked(self):
        """A graceful DISCONNECT is a disconnect too: unacked messages go to another consumer."""
        for mode in ("client", "client-individual"):
            with self.subTest(ack=mode):
                dest = f"/queue/graceful.{mode}"
                a = self.client()
                a.subscribe(dest, "a", ack=mode)
                pub = self.client()
                for n in range(3):
                    pub.send(dest, f"g{n}".encode(), receipt=True)
                got = a.read_messages(3)
                a.request(("ACK", [("id", got[0].headers["ack"])]))
                b = self.client()
                b.subscribe(dest, "b")
                a.disconnect()
                self.assertEqual(sorted(bodies(b.read_messages(2))), [b"g1", b"g2"])

    def test_ack_with_message_id_in_1_1(self):
        a = self.client(version="1.1")
        a.subscribe("/queue/v11", "a", ack="client-individual")
        pub = self.client()
        pub.send("/queue/v11", b"one", receipt=True)
        pub.send("/queue/v11", b"two", receipt=True)
        one, two = a.read_messages(2)
        a.request(("ACK", [("message-id", one.headers["message-id"]), ("subscription", "a")]))
        b = self.client()
        b.subscribe("/queue/v11", "b")
        a.close()
        self.assertEqual(b.expect("MESSAGE").body, b"two")
        pub.send("/queue/v11", b"marker", receipt=True)
        self.assertEqual(b.expect("MESSAGE").body, b"marker")

    def test_queue_and_topic_are_separate(self):
        q = self.client()
        q.subscribe("/queue/same", "q")
        t = self.client()
        t.subscribe("/topic/same", "t")
        pub = self.client()
        pub.send("/queue/same", b"to queue")
        pub.send("/topic/same", b"to topic")
        self.assertEqual(q.expect("MESSAGE").body, b"to queue")
        self.assertEqual(t.expect("MESSAGE").body, b"to topic")


class QueueFullTest(BrokerTestCase):
    config_overrides = {"limits": {"max_queue_messages": 3}}

    def test_queue_full(self):
        by = self.bystander()
        pub = self.client()
        for n in range(3):
            pub.send("/queue/full", f"f{n}".encode(), receipt=True)
        pub.send_frame("SEND", [("destination", "/queue/full"), ("receipt", "fourth")], b"f3")
        pub.expect_error("queue full", receipt_id="fourth")
        self.assert_still_works(by)
        # the three held ones are intact
        sub = self.client()
        sub.subscribe("/queue/full", "s")
        self.assertEqual(bodies(sub.read_messages(3)), [b"f0", b"f1", b"f2"])


if __name__ == "__main__":
    unittest.main()
