"""Topic fan-out: every subscriber gets every message, in order, with the right headers;
RabbitMQ-style wildcards; once per subscription; UNSUBSCRIBE."""

import unittest

from harness import BrokerTestCase


class TopicTest(BrokerTestCase):

    def test_fan_out_in_order_to_every_subscriber(self):
        subs = []
        for i, transport in enumerate(("tcp", "ws", "tcp", "ws")):
            c = self.client(transport=transport)
            c.subscribe("/topic/room.42", f"sub-{i}")
            subs.append(c)
        pub = self.client()
        for n in range(200):
            pub.send("/topic/room.42", f"message {n}".encode(), headers={"x-n": str(n)})
        for i, c in enumerate(subs):
            messages = c.read_messages(200)
            self.assertEqual([m.body for m in messages],
                             [f"message {n}".encode() for n in range(200)])
            self.assertTrue(all(m.headers["subscription"] == f"sub-{i}" for m in messages))
            ids = [m.headers["message-id"] for m in messages]
            self.assertEqual(len(set(ids)), 200, "message-id must be unique per message")

    def test_message_headers(self):
        sub = self.client()
        sub.subscribe("/topic/room.42", "s-1")
        pub = self.client()
        pub.send("/topic/room.42", '{"text":"héllo"}'.encode(),
                 headers={"content-type": "application/json;charset=utf-8",
                          "x-custom": "value 1", "priority": "5", "transaction-like": "no"})
        msg = sub.expect("MESSAGE")
        h = msg.headers
        self.assertEqual(h["destination"], "/topic/room.42")
        self.assertEqual(h["subscription"], "s-1")
        self.assertTrue(h.get("message-id"))
        self.assertEqual(h["content-type"], "application/json;charset=utf-8")
        self.assertEqual(h["content-length"], str(len(msg.body)))
        self.assertEqual(h["x-custom"], "value 1")
        self.assertEqual(h["priority"], "5")
        self.assertEqual(h["transaction-like"], "no")
        self.assertNotIn("ack", h, "no ack header for an auto subscription")
        self.assertEqual(msg.body.decode(), '{"text":"héllo"}')
        names = [name for name, _ in msg.header_list]
        self.assertEqual(len(names), len(set(names)), f"repeated headers: {names}")

    def test_no_content_type_unless_sender_gave_one(self):
        sub = self.client()
        sub.subscribe("/topic/plain", "p")
        pub = self.client()
        pub.send("/topic/plain", b"plain")
        msg = sub.expect("MESSAGE")
        self.assertNotIn("content-type", msg.headers)
        self.assertEqual(msg.headers["content-length"], "5")

    def test_content_length_recomputed_when_sender_sent_none(self):
        sub = self.client()
        sub.subscribe("/topic/nolen", "p")
        pub = self.client()
        pub.send("/topic/nolen", b"no length given", content_length=False)
        msg = sub.expect("MESSAGE")
        self.assertEqual(msg.headers["content-length"], "15")
        self.assertEqual(msg.body, b"no length given")

    def test_receipt_transaction_and_x_sender_are_not_passed_through(self):
        sub = self.client()
        sub.subscribe("/topic/strip", "s")
        pub = self.client()
        pub.request(("BEGIN", [("transaction", "tx-9")]))
        pub.send_frame("SEND", [("destination", "/topic/strip"), ("transaction", "tx-9"),
                                ("x-sender", "user:forged"), ("x-keep", "kept"),
                                ("receipt", "strip")], b"b")
        pub.request(("COMMIT", [("transaction", "tx-9")]))
        msg = sub.expect("MESSAGE")
        self.assertNotIn("receipt", msg.headers)
        self.assertNotIn("transaction", msg.headers)
        self.assertNotIn("x-sender", msg.headers, "anonymous senders get no x-sender; "
                         "a client-supplied one must be dropped")
        self.assertEqual(msg.headers["x-keep"], "kept")

    def test_sender_also_subscribed_gets_its_own_message(self):
        c = self.client()
        c.subscribe("/topic/self", "me")
        c.send("/topic/self", b"echo")
        self.assertEqual(c.expect("MESSAGE").body, b"echo")

    def test_star_wildcard_matches_one_segment(self):
        sub = self.client()
        sub.subscribe("/topic/room.*", "star")
        pub = self.client()
        for dest in ("/topic/room", "/topic/room.a", "/topic/room.a.b", "/topic/roomx.a",
                     "/topic/other.a", "/topic/room.b"):
            pub.send(dest, dest.encode())
        got = [m.body.decode() for m in sub.read_messages(2)]
        self.assertEqual(got, ["/topic/room.a", "/topic/room.b"])
        self.assert_nothing_arrives(sub, "/topic/room.marker", pub)

    def test_hash_wildcard_matches_zero_or_more_segments(self):
        sub = self.client()
        sub.subscribe("/topic/room.#", "hash")
        pub = self.client()
        for dest in ("/topic/room", "/topic/room.a", "/topic/room.a.b", "/topic/roomx",
                     "/topic/other.room", "/topic/room.a.b.c"):
            pub.send(dest, dest.encode())
        got = [m.body.decode() for m in sub.read_messages(4)]
        self.assertEqual(got, ["/topic/room", "/topic/room.a", "/topic/room.a.b",
                               "/topic/room.a.b.c"])
        # the marker itself matches room.#, so it is the next and only frame
        self.assert_nothing_arrives(sub, "/topic/room.zz", pub)

    def test_wildcards_in_the_middle(self):
        sub = self.client()
        sub.subscribe("/topic/a.*.c", "mid")
        sub.subscribe("/topic/x.#.z", "midhash")
        pub = self.client()
        for dest in ("/topic/a.b.c", "/topic/a.c", "/topic/a.b.b.c", "/topic/x.z",
                     "/topic/x.y.z", "/topic/x.y.y.z", "/topic/x.y"):
            pub.send(dest, dest.encode())
        got = [(m.headers["subscription"], m.body.decode()) for m in sub.read_messages(4)]
        self.assertEqual(got, [("mid", "/topic/a.b.c"), ("midhash", "/topic/x.z"),
                               ("midhash", "/topic/x.y.z"), ("midhash", "/topic/x.y.y.z")])
        sub.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(sub, "/topic/marker", pub)

    def test_once_per_subscription(self):
        sub = self.client()
        sub.subscribe("/topic/room.7", "exact")
        sub.subscribe("/topic/room.*", "star")
        sub.subscribe("/topic/room.#", "hash")
        other = self.client()
        other.subscribe("/topic/room.7", "exact")  # same id on another connection
        pub = self.client()
        pub.send("/topic/room.7", b"once")
        got = sorted(m.headers["subscription"] for m in sub.read_messages(3))
        self.assertEqual(got, ["exact", "hash", "star"])
        self.assertEqual(other.expect("MESSAGE").headers["subscription"], "exact")
        sub.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(sub, "/topic/marker", pub)
        other.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(other, "/topic/marker", pub)

    def test_unsubscribe_stops_delivery(self):
        sub = self.client()
        sub.subscribe("/topic/u", "u")
        sub.subscribe("/topic/marker", "mk")
        pub = self.client()
        pub.send("/topic/u", b"before")
        self.assertEqual(sub.expect("MESSAGE").body, b"before")
        sub.unsubscribe("u")
        pub.send("/topic/u", b"after")
        self.assert_nothing_arrives(sub, "/topic/marker", pub)

    def test_resubscribe_same_id_after_unsubscribe(self):
        sub = self.client()
        sub.subscribe("/topic/r1", "same")
        sub.unsubscribe("same")
        sub.subscribe("/topic/r2", "same")
        pub = self.client()
        pub.send("/topic/r1", b"old")
        pub.send("/topic/r2", b"new")
        msg = sub.expect("MESSAGE")
        self.assertEqual((msg.body, msg.headers["destination"]), (b"new", "/topic/r2"))

    def test_disconnected_subscriber_does_not_disturb_others(self):
        gone = self.client()
        gone.subscribe("/topic/g", "g")
        stay = self.client()
        stay.subscribe("/topic/g", "s")
        gone.close()  # abrupt close, no DISCONNECT
        pub = self.client()
        for n in range(50):
            pub.send("/topic/g", str(n).encode())
        self.assertEqual([m.body for m in stay.read_messages(50)],
                         [str(n).encode() for n in range(50)])

    def test_large_message(self):
        sub = self.client(transport="ws")
        sub.subscribe("/topic/big", "b")
        pub = self.client()
        body = bytes(i % 251 for i in range(900_000))
        pub.send("/topic/big", body)
        self.assertEqual(sub.expect("MESSAGE", timeout=20).body, body)


if __name__ == "__main__":
    unittest.main()
