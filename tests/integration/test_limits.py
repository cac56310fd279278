"""Every limit and bad input of issue 2 point 5: each gets the exact ERROR `message` from
docs/protocol.md, the offending connection is closed, and a client that was connected before
(and a new one) keeps working. Plus limits.write_batch_bytes, seen in how a WebSocket
subscriber's backlog is cut into WebSocket messages (one per write)."""

import time
import unittest

from harness import BrokerTestCase, FrameReader, encode_frame

SMALL_LIMITS = {
    "max_frame_bytes": 4096,
    "max_headers": 8,
    "max_header_line_bytes": 256,
    "max_subscriptions_per_connection": 3,
    "max_transaction_bytes": 4096,
}


def send_frame_of_size(total, destination="/topic/limits"):
    """SEND frame bytes whose length (command through NUL) is exactly `total`."""
    for body_len in range(total, -1, -1):
        frame = encode_frame("SEND", [("destination", destination)], b"x" * body_len)
        if len(frame) == total:
            return frame
    raise ValueError(total)


class LimitsTest(BrokerTestCase):
    config_overrides = {"limits": SMALL_LIMITS}

    def offender(self, version="1.2"):
        return self.client(version=version)

    # -- max_frame_bytes

    def test_max_frame_bytes_boundary(self):
        by = self.bystander()
        sub = self.client()
        sub.subscribe("/topic/limits", "s1")
        bad = self.offender()
        at_limit = send_frame_of_size(4096)
        bad.send_bytes(at_limit)  # exactly max_frame_bytes: accepted
        bad.sync()
        expected_body = at_limit.split(b"\n\n", 1)[1][:-1]
        self.assertEqual(sub.expect("MESSAGE").body, expected_body)
        bad.send_bytes(send_frame_of_size(4097))
        bad.expect_error("max_frame_bytes exceeded")
        self.assert_still_works(by)

    def test_max_frame_bytes_without_content_length_is_cut_while_parsing(self):
        by = self.bystander()
        bad = self.offender()
        # No content-length and no NUL yet: the broker must not wait for the end of the frame.
        bad.send_bytes(b"SEND\ndestination:/topic/limits\n\n" + b"y" * 6000)
        bad.expect_error("max_frame_bytes exceeded")
        self.assert_still_works(by)

    def test_max_frame_bytes_with_receipt_id(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("SEND", [("destination", "/topic/limits"), ("receipt", "big-1")],
                       b"z" * 5000)
        frame = bad.expect_error("max_frame_bytes exceeded")
        # The receipt header precedes the body, so the broker knows it when the limit trips.
        self.assertEqual(frame.headers.get("receipt-id"), "big-1")
        self.assert_still_works(by)

    def test_max_frame_bytes_on_websocket(self):
        by = self.bystander()
        bad = self.client(transport="ws")
        bad.send_frame("SEND", [("destination", "/topic/limits")], b"w" * 5000)
        bad.expect_error("max_frame_bytes exceeded")
        self.assert_still_works(by)

    # -- max_headers

    def test_max_headers(self):
        by = self.bystander()
        sub = self.client()
        sub.subscribe("/topic/limits", "s1")
        ok = self.offender()
        # destination + 7 custom = 8 headers (no content-length): at the limit, accepted
        headers = [("destination", "/topic/limits")] + [(f"h{i}", "v") for i in range(7)]
        ok.send_frame("SEND", headers, b"eight", content_length=False)
        self.assertEqual(sub.expect("MESSAGE").body, b"eight")
        bad = self.offender()
        headers.append(("h7", "v"))  # 9 headers
        bad.send_frame("SEND", headers, b"nine", content_length=False)
        bad.expect_error("max_headers exceeded")
        self.assert_still_works(by)

    # -- max_header_line_bytes

    def test_max_header_line_bytes(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("SEND", [("destination", "/topic/limits"), ("x-long", "L" * 400)], b"b")
        bad.expect_error("max_header_line_bytes exceeded")
        self.assert_still_works(by)

    def test_max_header_line_bytes_in_connect(self):
        by = self.bystander()
        bad = self.broker.tcp_client(self)
        bad.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "h" * 400)],
                       content_length=False)
        bad.expect_error("max_header_line_bytes exceeded")
        self.assert_still_works(by)

    # -- max_subscriptions_per_connection

    def test_max_subscriptions_per_connection(self):
        by = self.bystander()
        bad = self.offender()
        for i in range(3):
            bad.subscribe(f"/topic/s{i}", f"id{i}")
        # UNSUBSCRIBE frees a slot: the limit is on active subscriptions
        bad.unsubscribe("id0")
        bad.subscribe("/topic/s3", "id3")
        bad.send_frame("SUBSCRIBE", [("destination", "/topic/s4"), ("id", "id4"),
                                     ("receipt", "sub-4")], content_length=False)
        bad.expect_error("max_subscriptions_per_connection exceeded", receipt_id="sub-4")
        self.assert_still_works(by)

    # -- frame before CONNECT, unknown command

    def test_frame_before_connect(self):
        by = self.bystander()
        bad = self.broker.tcp_client(self)
        bad.send_frame("SEND", [("destination", "/topic/bystander")], b"sneaky")
        bad.expect_error("not connected")
        # nothing got through to the subscriber of that destination
        self.assert_nothing_arrives(by, "/topic/bystander", by)
        self.assert_still_works(by)

    def test_subscribe_before_connect(self):
        by = self.bystander()
        bad = self.broker.tcp_client(self)
        bad.send_frame("SUBSCRIBE", [("destination", "/topic/x"), ("id", "1")],
                       content_length=False)
        bad.expect_error("not connected")
        self.assert_still_works(by)

    def test_unknown_command(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("FROB", [("destination", "/topic/x")], b"")
        bad.expect_error("unknown command")
        self.assert_still_works(by)

    def test_server_command_from_client_is_unknown(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("MESSAGE", [("destination", "/topic/bystander"),
                                   ("message-id", "forged"), ("subscription", "by-1")], b"f")
        bad.expect_error("unknown command")
        self.assert_nothing_arrives(by, "/topic/bystander", by)
        self.assert_still_works(by)

    # -- SUBSCRIBE without id

    def test_subscribe_without_id_1_2(self):
        self._subscribe_without_id("1.2")

    def test_subscribe_without_id_1_1(self):
        self._subscribe_without_id("1.1")

    def _subscribe_without_id(self, version):
        by = self.bystander()
        bad = self.offender(version)
        self.assertEqual(bad.version, version)
        bad.send_frame("SUBSCRIBE", [("destination", "/topic/x"), ("receipt", "s-no-id")],
                       content_length=False)
        bad.expect_error("missing id header", receipt_id="s-no-id")
        self.assert_still_works(by)

    def test_subscribe_without_id_1_0_uses_destination(self):
        by = self.bystander()
        c = self.client(version="1.0")
        self.assertEqual(c.version, "1.0")
        c.request(("SUBSCRIBE", [("destination", "/topic/ten")]))
        c.request(("SUBSCRIBE", [("destination", "/topic/ten.marker")]))
        by.send("/topic/ten", b"for 1.0", receipt=True)
        msg = c.expect("MESSAGE", destination="/topic/ten")
        self.assertEqual(msg.body, b"for 1.0")
        # 1.0 UNSUBSCRIBE by destination: no more deliveries
        c.request(("UNSUBSCRIBE", [("destination", "/topic/ten")]))
        by.send("/topic/ten", b"after unsubscribe", receipt=True)
        self.assert_nothing_arrives(c, "/topic/ten.marker", by)
        self.assert_still_works(by)

    # -- SEND without destination, duplicate subscription id

    def test_send_without_destination(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("SEND", [("receipt", "nodest")], b"lost")
        bad.expect_error("missing destination header", receipt_id="nodest")
        self.assert_still_works(by)

    def test_duplicate_subscription_id(self):
        by = self.bystander()
        bad = self.offender()
        bad.subscribe("/topic/a", "same")
        bad.send_frame("SUBSCRIBE", [("destination", "/topic/b"), ("id", "same"),
                                     ("receipt", "dup")], content_length=False)
        bad.expect_error("duplicate subscription id", receipt_id="dup")
        self.assert_still_works(by)

    # -- content-length

    def test_bad_content_length(self):
        for value in ("abc", "-1", "12x", "", "1.5"):
            with self.subTest(content_length=value):
                by = self.bystander()
                bad = self.offender()
                bad.send_bytes(b"SEND\ndestination:/topic/x\ncontent-length:" + value.encode()
                               + b"\n\nabc\x00")
                bad.expect_error("bad content-length")
                self.assert_still_works(by)

    def test_content_length_body_not_followed_by_nul(self):
        by = self.bystander()
        sub = self.client()
        sub.subscribe("/topic/x", "x")
        bad = self.offender()
        bad.send_bytes(b"SEND\ndestination:/topic/x\ncontent-length:3\n\nabcd\x00")
        bad.expect_error("body not terminated by NUL")
        self.assert_nothing_arrives(sub, "/topic/x", by)
        self.assert_still_works(by)

    def test_content_length_over_max_frame_bytes(self):
        """A declared length past the limit is refused without waiting for the body."""
        by = self.bystander()
        bad = self.offender()
        bad.send_bytes(b"SEND\ndestination:/topic/x\ncontent-length:999999\n\nabc")
        bad.expect_error("max_frame_bytes exceeded")
        self.assert_still_works(by)

    # -- transactions

    def test_transaction_over_max_transaction_bytes(self):
        by = self.bystander()
        sub = self.client()
        sub.subscribe("/topic/tx", "tx")
        bad = self.offender()
        bad.request(("BEGIN", [("transaction", "t1")]))
        # Held SENDs are receipted at COMMIT: no waiting for receipts here.
        bad.send_frame("SEND", [("destination", "/topic/tx"), ("transaction", "t1")], b"a" * 1500)
        bad.send_frame("SEND", [("destination", "/topic/tx"), ("transaction", "t1")], b"b" * 1500)
        bad.send_frame("SEND", [("destination", "/topic/tx"), ("transaction", "t1"),
                                ("receipt", "third")], b"c" * 1500)
        bad.expect_error("max_transaction_bytes exceeded", receipt_id="third")
        # the transaction's SENDs never took effect
        self.assert_nothing_arrives(sub, "/topic/tx", by)
        self.assert_still_works(by)

    # -- destinations

    def test_unknown_destination_prefix_send(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("SEND", [("destination", "/exchange/x"), ("receipt", "p")], b"?")
        bad.expect_error("unknown destination prefix", receipt_id="p")
        self.assert_still_works(by)

    def test_unknown_destination_prefix_subscribe(self):
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("SUBSCRIBE", [("destination", "/amq/queue/x"), ("id", "1")],
                       content_length=False)
        bad.expect_error("unknown destination prefix")
        self.assert_still_works(by)

    def test_prefix_must_match_whole_segment(self):
        """`/topicx/a` does not start with the prefix `/topic/`."""
        by = self.bystander()
        bad = self.offender()
        bad.send_frame("SEND", [("destination", "/topicx/a")], b"?")
        bad.expect_error("unknown destination prefix")
        self.assert_still_works(by)


SLOW_BODY = 32 * 1024
SLOW_COUNT = 400  # 12.8 MB: far more than kernel socket buffers can hide


class SlowConsumerBase(BrokerTestCase):
    policy = "disconnect"

    def config(self):
        cfg = super().config()
        cfg["limits"] = {"max_pending_bytes_per_connection": 262144,
                         "slow_consumer": self.policy}
        return cfg

    def flood(self):
        """A reader that never reads, a fast subscriber kept in lock step, a publisher."""
        slow = self.broker.tcp_client(self, rcvbuf=4096)
        slow.connect()
        slow.subscribe("/topic/flood", "slow")
        fast = self.client()
        fast.subscribe("/topic/flood", "fast")
        pub = self.client()
        body = b"f" * SLOW_BODY
        for seq in range(SLOW_COUNT):
            pub.send("/topic/flood", body, headers={"seq": str(seq)})
            message = fast.expect("MESSAGE", timeout=20)
            self.assertEqual(message.headers["seq"], str(seq))
        return slow, fast, pub

    def read_all(self, client, stop, timeout=30):
        """Frames until stop(frames) or EOF."""
        frames = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            frame = client.try_read_frame(end - time.monotonic())
            if frame is None:
                break
            frames.append(frame)
            if stop(frames):
                break
        return frames


class SlowConsumerDisconnectTest(SlowConsumerBase):
    policy = "disconnect"

    def test_slow_consumer_is_disconnected(self):
        slow, fast, pub = self.flood()
        frames = self.read_all(slow, lambda fs: fs[-1].command == "ERROR")
        self.assertTrue(frames, "the slow consumer got nothing at all")
        last = frames[-1]
        self.assertEqual(last.command, "ERROR", f"last frame {last!r}")
        self.assertEqual(last.headers.get("message"), "slow consumer")
        slow.wait_closed()
        seqs = [int(f.headers["seq"]) for f in frames[:-1]]
        self.assertLess(len(seqs), SLOW_COUNT, "nothing was cut off")
        self.assertEqual(seqs, list(range(len(seqs))), "delivered part is not a clean prefix")
        # the others carried on
        pub.send("/topic/flood", b"after", receipt=True)
        self.assertEqual(fast.expect("MESSAGE").body, b"after")
        self.assert_still_works(self.bystander())


class SlowConsumerDropOldestTest(SlowConsumerBase):
    policy = "drop_oldest"

    def test_slow_consumer_drops_oldest(self):
        slow, fast, pub = self.flood()
        last = str(SLOW_COUNT - 1)
        frames = self.read_all(slow, lambda fs: fs[-1].headers.get("seq") == last)
        commands = {f.command for f in frames}
        self.assertEqual(commands, {"MESSAGE"}, f"unexpected frames: {frames[-1]!r}")
        seqs = [int(f.headers["seq"]) for f in frames]
        self.assertEqual(seqs[-1], SLOW_COUNT - 1, "newest message must be kept")
        self.assertEqual(seqs, sorted(set(seqs)), "order broken or duplicates")
        self.assertLess(len(seqs), SLOW_COUNT, "nothing was dropped")
        for f in frames:
            self.assertEqual(len(f.body), SLOW_BODY)
        # still connected and working
        slow.sync()
        pub.send("/topic/flood", b"after", receipt=True)
        self.assertEqual(slow.expect("MESSAGE").body, b"after")
        self.assertEqual(fast.expect("MESSAGE").body, b"after")


def frame_sizes(payload):
    """The byte size of each STOMP frame in one WebSocket message (which must hold whole
    frames only)."""
    reader = FrameReader()
    reader.feed(payload)
    sizes = []
    while True:
        before = len(reader.buf)
        if reader.next_frame() is None:
            break
        sizes.append(before - len(reader.buf))
    assert reader.buf == b"", f"a frame cut across WebSocket messages: {reader.buf[:100]!r}"
    return sizes


class WriteBatchBase(BrokerTestCase):
    COUNT = 300

    def backlog(self):
        """A WebSocket subscriber's backlog: many small messages (one 4 KiB read of the
        publisher's bytes completes dozens, all queued in one loop turn) and some of 10 KiB.
        Returns the frame sizes of each WebSocket message that carried them, after checking
        that every message arrived intact and in order."""
        sub = self.client(transport="ws")
        sub.subscribe("/topic/batch", "b")
        first = len(sub.stream.messages)
        bodies = [f"{n}:".encode() + bytes([97 + n % 26]) * (10240 if n % 50 == 7 else n % 40)
                  for n in range(self.COUNT)]
        pub = self.client()
        pub.send_bytes(b"".join(encode_frame("SEND", [("destination", "/topic/batch")], body)
                                for body in bodies))
        self.assertEqual([m.body for m in sub.read_messages(self.COUNT)], bodies)
        return [frame_sizes(payload) for _, payload in sub.stream.messages[first:]]


class WriteBatchOneByteTest(WriteBatchBase):
    """write_batch_bytes: 1. Each write takes one frame: the backlog still arrives whole, one
    MESSAGE per WebSocket message (with the default 64 KiB, dozens share one)."""

    config_overrides = {"limits": {"write_batch_bytes": 1}}

    def test_every_write_carries_one_frame(self):
        per_message = self.backlog()
        self.assertEqual([len(sizes) for sizes in per_message], [1] * self.COUNT)


class WriteBatchTest(WriteBatchBase):
    """write_batch_bytes: 4096. A write takes frames while it holds less than that, so it
    ends past the bound by at most its last frame, which is never cut."""

    BATCH = 4096
    config_overrides = {"limits": {"write_batch_bytes": BATCH}}

    def test_writes_stop_at_the_first_frame_that_reaches_the_bound(self):
        per_message = self.backlog()
        self.assertEqual(sum(len(sizes) for sizes in per_message), self.COUNT)
        for sizes in per_message:
            self.assertLess(sum(sizes[:-1]), self.BATCH, sizes)
        self.assertTrue(any(len(sizes) > 1 for sizes in per_message), "no write packed frames")
        self.assertTrue(any(sum(sizes) > self.BATCH for sizes in per_message),
                        "no 10 KiB frame went whole in one write")


if __name__ == "__main__":
    unittest.main()
