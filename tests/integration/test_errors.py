"""The rest of the ERROR vocabulary of docs/protocol.md (the limits are in test_limits.py):
each bad input gets its exact `message` (and `receipt-id` when asked), the connection closes,
and another client keeps working. Also the races that must NOT be errors, and the per-reason
count of closed connections in /metrics."""

import re
import unittest

from harness import BrokerTestCase, encode_frame, wait_for

# (case name, version, setup frames, offending frame bytes, expected message, receipt-id)
CASES = [
    ("malformed header", "1.2", [],
     b"SEND\ndestination:/topic/x\nno-colon-here\nreceipt:m1\n\nbody\x00",
     "malformed header", None),
    ("undefined escape 1.2", "1.2", [],
     b"SEND\ndestination:/topic/x\nx-bad:a\\tb\n\nbody\x00", "invalid header escape", None),
    ("undefined escape 1.1", "1.1", [],
     b"SEND\ndestination:/topic/x\nx-bad:a\\qb\n\nbody\x00", "invalid header escape", None),
    ("\\r escape is 1.2 only", "1.1", [],
     b"SEND\ndestination:/topic/x\nx-bad:a\\rb\n\nbody\x00", "invalid header escape", None),
    ("dangling backslash", "1.2", [],
     b"SEND\ndestination:/topic/x\nx-bad:ab\\\n\nbody\x00", "invalid header escape", None),
    ("second CONNECT", "1.2", [],
     encode_frame("CONNECT", [("accept-version", "1.2"), ("host", "h"), ("receipt", "c2")],
                  content_length=False), "already connected", "c2"),
    ("SUBSCRIBE without destination", "1.2", [],
     encode_frame("SUBSCRIBE", [("id", "1"), ("receipt", "sd")], content_length=False),
     "missing destination header", "sd"),
    ("bad ack mode", "1.2", [],
     encode_frame("SUBSCRIBE", [("destination", "/queue/q"), ("id", "1"), ("ack", "maybe")],
                  content_length=False), "bad ack mode", None),
    ("UNSUBSCRIBE without id 1.2", "1.2", [],
     encode_frame("UNSUBSCRIBE", [("receipt", "u")], content_length=False),
     "missing id header", "u"),
    ("UNSUBSCRIBE without id or destination 1.0", "1.0", [],
     encode_frame("UNSUBSCRIBE", [("receipt", "u")], content_length=False),
     "missing id header", "u"),
    ("ACK without id 1.2", "1.2", [],
     encode_frame("ACK", [("subscription", "1")], content_length=False),
     "missing id header", None),
    ("NACK without id 1.2", "1.2", [],
     encode_frame("NACK", [("subscription", "1")], content_length=False),
     "missing id header", None),
    ("ACK without message-id 1.1", "1.1", [],
     encode_frame("ACK", [("subscription", "1"), ("id", "1")], content_length=False),
     "missing id header", None),
    ("BEGIN without transaction", "1.2", [],
     encode_frame("BEGIN", [("receipt", "b")], content_length=False),
     "missing transaction header", "b"),
    ("COMMIT without transaction", "1.2", [],
     encode_frame("COMMIT", [], content_length=False), "missing transaction header", None),
    ("ABORT without transaction", "1.2", [],
     encode_frame("ABORT", [], content_length=False), "missing transaction header", None),
    ("BEGIN twice", "1.2",
     [encode_frame("BEGIN", [("transaction", "t")], content_length=False)],
     encode_frame("BEGIN", [("transaction", "t"), ("receipt", "bb")], content_length=False),
     "transaction already begun", "bb"),
    ("COMMIT unknown", "1.2", [],
     encode_frame("COMMIT", [("transaction", "nope")], content_length=False),
     "unknown transaction", None),
    ("ABORT unknown", "1.2", [],
     encode_frame("ABORT", [("transaction", "nope")], content_length=False),
     "unknown transaction", None),
    ("SEND in unknown transaction", "1.2", [],
     encode_frame("SEND", [("destination", "/topic/x"), ("transaction", "nope"),
                           ("receipt", "su")], b"x"), "unknown transaction", "su"),
    ("COMMIT twice", "1.2",
     [encode_frame("BEGIN", [("transaction", "t")], content_length=False),
      encode_frame("COMMIT", [("transaction", "t")], content_length=False)],
     encode_frame("COMMIT", [("transaction", "t")], content_length=False),
     "unknown transaction", None),
]


class ErrorVocabularyTest(BrokerTestCase):

    def test_each_error(self):
        for name, version, setup, offending, message, receipt_id in CASES:
            with self.subTest(case=name):
                by = self.bystander()
                bad = self.client(version=version)
                for frame in setup:
                    bad.send_bytes(frame)
                bad.send_bytes(offending)
                bad.expect_error(message, receipt_id=receipt_id)
                self.assert_still_works(by)
                by.close()

    def test_headers_that_are_not_utf8_are_refused_on_both_transports(self):
        # STOMP 1.2: commands and headers are UTF-8. A broken header must never reach a
        # subscriber (a browser would show mangled names); bodies may be any bytes.
        for transport in ("tcp", "ws"):
            for where, frame in (
                    ("value", b"SEND\ndestination:/topic/utf8\nreceipt:u1\nx-name:caf\xe9\n\nhi\x00"),
                    ("name", b"SEND\ndestination:/topic/utf8\nreceipt:u1\nx-\xff:v\n\nhi\x00")):
                with self.subTest(transport=transport, where=where):
                    by = self.bystander(transport="ws" if transport == "tcp" else "tcp")
                    by.subscribe("/topic/utf8", "u")
                    bad = self.client(transport=transport)
                    if transport == "ws":
                        bad.stream.send(frame, opcode=0x2)  # a text frame must be UTF-8 itself
                    else:
                        bad.send_bytes(frame)
                    error = bad.expect_error("malformed frame", receipt_id="u1")
                    self.assertIn(b"header 3 (counting from 1) is not valid UTF-8", error.body)
                    self.assert_still_works(by)
                    # Nothing of the refused SEND reached the subscriber.
                    self.assertIsNone(by.try_read_frame(0.2))
                    by.close()
        # A valid multi-byte header and a binary body pass through unchanged.
        sub = self.client(transport="ws")
        sub.subscribe("/topic/utf8ok", "ok")
        pub = self.client()
        pub.send("/topic/utf8ok", b"\xff\x00\xfe", headers={"x-name": "caf\u00e9 \U0001F600"},
                 receipt=True)
        message = sub.expect("MESSAGE")
        self.assertEqual(message.body, b"\xff\x00\xfe")
        self.assertEqual(message.headers["x-name"], "caf\u00e9 \U0001F600")

    def test_unsupported_version(self):
        by = self.bystander()
        bad = self.broker.tcp_client(self)
        bad.send_frame("CONNECT", [("accept-version", "2.0,3.1"), ("host", "h")],
                       content_length=False)
        bad.expect_error("unsupported version")
        self.assert_still_works(by)

    def test_stomp_frame_with_bad_heart_beat(self):
        for value in ("abc", "100", "100,x", "-1,100", "100;100"):
            with self.subTest(heart_beat=value):
                by = self.bystander()
                bad = self.broker.tcp_client(self)
                bad.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "h"),
                                           ("heart-beat", value)], content_length=False)
                bad.expect_error("bad heart-beat")
                self.assert_still_works(by)
                by.close()

    def test_malformed_frame_over_long_command_line(self):
        by = self.bystander()
        bad = self.client()
        bad.send_bytes(b"S" * 300000)  # no EOL: a command line longer than any command
        bad.expect_error("malformed frame", timeout=10)
        self.assert_still_works(by)

    def test_race_tolerance_unknown_unsubscribe_gets_a_receipt(self):
        c = self.client()
        c.request(("UNSUBSCRIBE", [("id", "never-subscribed")]))
        c.subscribe("/topic/after", "a")
        c.send("/topic/after", b"alive", receipt=True)
        self.assertEqual(c.expect("MESSAGE").body, b"alive")

    def test_ack_or_nack_naming_nothing_outstanding_is_an_error(self):
        # Never ignored: a client waiting on it would wait forever (issue 11).
        for version, header in (("1.2", "id"), ("1.1", "message-id"), ("1.0", "message-id")):
            for command in ("ACK", "NACK"):
                with self.subTest(version=version, command=command):
                    by = self.bystander()
                    bad = self.client(version=version)
                    headers = [(header, "no-such-message"), ("receipt", "r")]
                    if version == "1.1":
                        headers.append(("subscription", "s"))
                    bad.send_frame(command, headers, content_length=False)
                    error = bad.expect_error("unknown message id", receipt_id="r")
                    self.assertIn(b"no-such-message", error.body)
                    self.assert_still_works(by)
                    by.close()

    def test_eols_before_connect_and_between_frames_are_heartbeats(self):
        c = self.broker.tcp_client(self)
        c.send_bytes(b"\n\r\n\n")
        c.connect()
        c.subscribe("/topic/eol", "e")
        c.send_bytes(b"\n\n\r\n" + encode_frame("SEND", [("destination", "/topic/eol")], b"1")
                     + b"\n\n" + encode_frame("SEND", [("destination", "/topic/eol")], b"2"))
        self.assertEqual([m.body for m in c.read_messages(2)], [b"1", b"2"])

    def closed_counts(self):
        """{reason: count} from stampede_connections_closed_total in /metrics."""
        status, body = self.broker.http_get("/metrics")
        self.assertEqual(status, 200)
        return {reason: int(count) for reason, count in re.findall(
            r'^stampede_connections_closed_total\{reason="([^"]*)"\} (\d+)$', body.decode(),
            re.M)}

    def test_metrics_count_connections_closed_by_reason(self):
        before = self.closed_counts()
        self.assertEqual(before.get("unsupported version"), 0)
        self.assertEqual(before.get("bad ack mode"), 0)
        for _ in range(2):
            bad = self.broker.tcp_client(self)
            bad.send_frame("CONNECT", [("accept-version", "2.0"), ("host", "h")],
                           content_length=False)
            bad.expect_error("unsupported version")
        bad = self.client()
        bad.send_frame("SUBSCRIBE", [("destination", "/queue/q"), ("id", "1"), ("ack", "maybe")],
                       content_length=False)
        bad.expect_error("bad ack mode")
        wait_for(lambda: self.closed_counts()["bad ack mode"] == 1, 5, "bad ack mode counted")
        # Both rose, by one per connection, and nothing else did.
        self.assertEqual(self.closed_counts(),
                         dict(before, **{"unsupported version": 2, "bad ack mode": 1}))


if __name__ == "__main__":
    unittest.main()
