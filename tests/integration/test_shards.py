"""Two shards (`node.shards: 2`): CONNECTED's session header names the shard; clients are
opened until both shards are in use, and a publish on one shard reaches subscribers on the
other, in order. limits.max_inbox_items crossed: a shard's full inbox drops cross-shard
publishes, counts them on /metrics, and the broker serves on."""

import re
import time
import unittest

from harness import BrokerTestCase, deadline_s, encode_frame

MAX_TRIES = 200


def metric(broker, name):
    status, body = broker.http_get("/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    m = re.search(rf"^{re.escape(name)} (\d+)$", body.decode(), re.M)
    if m is None:
        raise AssertionError(f"{name} missing from /metrics")
    return int(m.group(1))


class TwoShardTestCase(BrokerTestCase):
    """A broker with two shards, and clients placed on the shard a test wants."""
    shards = 2

    def clients_on_each_shard(self, transport="tcp", per_shard=1):
        """Opens connections until `per_shard` clients are connected on each of the 2 shards."""
        found = {}
        end = time.monotonic() + deadline_s(30)
        for _ in range(MAX_TRIES):
            c = self.client(transport=transport)
            shard = self.session_shard(c)
            if len(found.setdefault(shard, [])) < per_shard:
                found[shard].append(c)
            else:
                c.close()
            if len(found) == 2 and all(len(v) >= per_shard for v in found.values()):
                return [found[k] for k in sorted(found)]
            self.assertLess(time.monotonic(), end, "deadline")
        self.fail(f"after {MAX_TRIES} connections only shard(s) {sorted(found)} were used")

    def client(self, version="1.2", transport="tcp", heart_beat=None, **kwargs):
        c = self.broker.tcp_client(self) if transport == "tcp" else self.broker.ws_client(self)
        frame = c.connect(version=version, heart_beat=heart_beat)
        c.session = frame.headers["session"]
        return c

    @staticmethod
    def session_shard(c):
        shard, _, rest = c.session.partition("-")
        assert shard.isdigit() and rest, c.session
        return int(shard)



class ShardTest(TwoShardTestCase):

    def test_sessions_land_on_both_shards(self):
        (a,), (b,) = self.clients_on_each_shard()
        self.assertEqual({self.session_shard(a), self.session_shard(b)}, {0, 1})

    def test_topic_publish_crosses_shards_in_order(self):
        (a_sub, a_pub), (b_sub, b_pub) = self.clients_on_each_shard(per_shard=2)
        a_sub.subscribe("/topic/room.shard", "a")
        b_sub.subscribe("/topic/room.shard", "b")
        for pub, name in ((a_pub, "A"), (b_pub, "B")):
            for n in range(200):
                pub.send("/topic/room.shard", f"{name}{n}".encode(), headers={"x-n": str(n)})
            pub.sync()
            for sub in (a_sub, b_sub):
                messages = sub.read_messages(200)
                self.assertEqual([m.body for m in messages],
                                 [f"{name}{n}".encode() for n in range(200)])
                self.assertEqual(messages[42].headers["x-n"], "42")

    def test_two_publishers_on_two_shards_keep_their_own_order(self):
        (a_pub, sub), (b_pub, _) = self.clients_on_each_shard(per_shard=2)
        sub.subscribe("/topic/mixed", "m")
        for n in range(100):
            a_pub.send("/topic/mixed", f"a{n}".encode())
            b_pub.send("/topic/mixed", f"b{n}".encode())
        bodies = [m.body.decode() for m in sub.read_messages(200)]
        self.assertEqual([b for b in bodies if b[0] == "a"], [f"a{n}" for n in range(100)])
        self.assertEqual([b for b in bodies if b[0] == "b"], [f"b{n}" for n in range(100)])

    def test_websocket_subscriber_on_the_other_shard(self):
        ws_groups = self.clients_on_each_shard(transport="ws")
        tcp_groups = self.clients_on_each_shard(transport="tcp")
        for ws_shard in (0, 1):
            ws = ws_groups[ws_shard][0]
            pub = tcp_groups[1 - ws_shard][0]
            dest = f"/topic/ws.{ws_shard}"
            ws.subscribe(dest, "w")
            for n in range(50):
                pub.send(dest, f"x{n}".encode())
            self.assertEqual([m.body for m in ws.read_messages(50)],
                             [f"x{n}".encode() for n in range(50)])

    def test_wildcard_subscription_across_shards(self):
        (a,), (b,) = self.clients_on_each_shard()
        b.subscribe("/topic/room.#", "h")
        for dest in ("/topic/room", "/topic/room.1", "/topic/other", "/topic/room.1.2"):
            a.send(dest, dest.encode())
        self.assertEqual([m.body for m in b.read_messages(3)],
                         [b"/topic/room", b"/topic/room.1", b"/topic/room.1.2"])

    def test_queue_across_shards(self):
        (a,), (b,) = self.clients_on_each_shard()
        for n in range(5):  # held while nobody subscribes
            a.send("/queue/shard", f"q{n}".encode(), receipt=True)
        b.subscribe("/queue/shard", "q")
        self.assertEqual([m.body for m in b.read_messages(5)],
                         [f"q{n}".encode() for n in range(5)])
        a.send("/queue/shard", b"live", receipt=True)
        self.assertEqual(b.expect("MESSAGE").body, b"live")


class InboxOverflowTest(TwoShardTestCase):
    """limits.max_inbox_items: 1. A burst published on shard A is posted item by item to
    shard B's inbox faster than B takes them: past one waiting item B's publishes are dropped
    and counted. A's own subscribers miss nothing, B's miss exactly what was dropped, and
    both shards go on serving."""

    config_overrides = {"limits": {"max_inbox_items": 1}}
    BURST = 2000

    def read_until_marker(self, sub, pub):
        """B's burst bodies, in arrival order, up to the first marker B receives. Markers
        go through the same inbox, so one may be dropped too: send until one arrives."""
        got = []
        for attempt in range(50):
            pub.send("/topic/burst", f"marker{attempt}".encode(), receipt=True)
            while True:
                frame = sub.try_read_frame(deadline_s(0.5))
                if frame is None:
                    break
                self.assertEqual(frame.command, "MESSAGE", frame)
                if frame.body.startswith(b"marker"):
                    return got, attempt + 1
                got.append(int(frame.body))
        self.fail("no marker reached the other shard")

    def test_a_full_inbox_drops_cross_shard_publishes_and_the_broker_serves_on(self):
        (a_sub, a_pub), (b_sub, b_pub) = self.clients_on_each_shard(per_shard=2)
        a_sub.subscribe("/topic/burst", "a")
        b_sub.subscribe("/topic/burst", "b")
        self.assertEqual(metric(self.broker, "stampede_inbox_overflow_total"), 0)
        a_pub.send_bytes(b"".join(
            encode_frame("SEND", [("destination", "/topic/burst")], str(n).encode())
            for n in range(self.BURST)))

        # The publisher's shard delivers locally: every message, in order.
        self.assertEqual([int(m.body) for m in a_sub.read_messages(self.BURST)],
                         list(range(self.BURST)))
        b_got, markers_sent = self.read_until_marker(b_sub, a_pub)
        overflow = metric(self.broker, "stampede_inbox_overflow_total")
        missed = self.BURST - len(b_got)
        self.assertGreater(missed, 0, "the other shard's inbox never overflowed")
        self.assertEqual(b_got, sorted(set(b_got)), "what got through is in order, once")
        # Every message B missed is counted; the rest of the count is dropped markers.
        self.assertGreaterEqual(overflow, missed)
        self.assertLessEqual(overflow, missed + markers_sent - 1)

        # Both shards serve on: a message each way across, and /health.
        self.assertEqual([m.body for m in a_sub.read_messages(markers_sent)],
                         [f"marker{i}".encode() for i in range(markers_sent)])
        for pub, sub, name in ((a_pub, b_sub, "to-b"), (b_pub, a_sub, "to-a")):
            sub.subscribe(f"/topic/{name}", name)
            pub.send(f"/topic/{name}", name.encode(), receipt=True)
            self.assertEqual(sub.expect("MESSAGE", destination=f"/topic/{name}").body,
                             name.encode())
        self.assertEqual(self.broker.http_get("/health")[0], 200)


if __name__ == "__main__":
    unittest.main()
