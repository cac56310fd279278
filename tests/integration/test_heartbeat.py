"""Heart-beats both ways (server_min_ms 100, client_min_ms 100, grace 2.0): negotiation, the
broker's beats at max(server_min_ms, cy), and `heart-beat timeout` after grace x max(cx,
client_min_ms) of client silence."""

import os
import time
import unittest

from harness import BrokerTestCase, deadline_s, wait_for


class HeartbeatTest(BrokerTestCase):
    config_overrides = {"heartbeat": {"server_min_ms": 100, "client_min_ms": 100, "grace": 2.0}}

    def test_negotiation_in_connected(self):
        for offered, answer in (("0,0", "0,0"), ("0,100", "100,0"), ("100,0", "0,100"),
                                ("100,100", "100,100"), ("5000,5000", "100,100")):
            with self.subTest(offered=offered):
                c = self.broker.tcp_client(self)
                frame = c.connect(heart_beat=offered)
                self.assertEqual(frame.headers.get("heart-beat"), answer)
                c.close()

    def count_beats(self, client, wanted, timeout):
        start = time.monotonic()
        client.wait_heartbeats(wanted, timeout)
        return time.monotonic() - start

    def test_broker_sends_heart_beats(self):
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                c = self.client(transport=transport, heart_beat="0,100")
                took = self.count_beats(c, 6, 3)
                # one per ~100 ms: six cannot come much faster than 0.5 s
                self.assertGreater(took, 0.4, f"6 heart-beats in {took:.3f}s: too fast")

    def test_broker_beats_at_the_slower_of_both_rates(self):
        c = self.client(heart_beat="0,300")
        took = self.count_beats(c, 3, 5)
        self.assertGreater(took, 0.6, f"3 heart-beats in {took:.3f}s, wanted one per 300 ms")

    def test_no_beats_when_client_does_not_want_them(self):
        c = self.client(heart_beat="0,0")
        self.assertIsNone(c.try_read_frame(0.5))
        self.assertEqual(c.reader.heartbeats, 0)
        c.sync()  # and the broker did not time it out either

    def test_silent_client_gets_heart_beat_timeout(self):
        by = self.bystander()
        c = self.broker.tcp_client(self)
        start = time.monotonic()
        c.connect(heart_beat="100,0")
        c.expect_error("heart-beat timeout", timeout=5)
        took = time.monotonic() - start
        # grace 2.0 x max(100, 100) ms = 200 ms
        self.assertGreater(took, 0.15, f"timed out after only {took:.3f}s")
        self.assertLess(took, deadline_s(2.0), f"took {took:.3f}s to notice")
        self.assert_still_works(by)

    def test_timeout_uses_the_clients_slower_rate(self):
        c = self.broker.tcp_client(self)
        start = time.monotonic()
        c.connect(heart_beat="400,0")
        c.expect_error("heart-beat timeout", timeout=6)
        took = time.monotonic() - start
        self.assertGreater(took, 0.7, f"grace 2.0 x 400 ms, but closed after {took:.3f}s")

    def test_client_min_ms_is_a_floor(self):
        c = self.broker.tcp_client(self)
        c.connect(heart_beat="20,0")
        # the broker expects traffic every max(20, 100) ms, so a beat every 60 ms is enough
        # (without the floor, 2 x 20 ms of silence would already be fatal)
        silent_since = self.pace(c, 0.06, 0.6)
        c.expect_error("heart-beat timeout", timeout=5)
        took = time.monotonic() - silent_since
        self.assertGreater(took, 0.15, f"timed out {took:.3f}s after the last beat")

    def pace(self, client, every, total, data=b"\n"):
        """Sends `data` every `every` seconds for `total` seconds (pacing, not waiting)."""
        end = time.monotonic() + total
        last_sent = None
        while time.monotonic() < end:
            client.send_bytes(data)
            last_sent = time.monotonic()
            frame = client.try_read_frame(every)
            if frame is not None:
                self.fail(f"unexpected frame while pacing: {frame!r}")
        return last_sent

    def test_client_eols_keep_the_connection(self):
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                c = self.client(transport=transport, heart_beat="100,0")
                self.pace(c, 0.05, 1.0)
                c.sync()

    def test_client_frames_count_as_traffic(self):
        c = self.client(heart_beat="100,0")
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            c.send("/topic/hb", b"traffic")
            self.assertIsNone(c.try_read_frame(0.05))
        c.sync()

    def test_zero_client_rate_is_never_timed_out(self):
        c = self.client(heart_beat="0,0")
        self.assertIsNone(c.try_read_frame(0.6))  # 3x the grace period, silent
        c.sync()

    def test_dead_peers_are_found_by_tcp_keepalive(self):
        # Without heart-beats a vanished client is found by the kernel: the broker's side of
        # every connection has TCP keepalive armed (idle 300 s). /proc/net/tcp shows it as
        # timer kind 2 ("tr") with the ticks left ("tm->when", USER_HZ) until the probe.
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                c = self.client(transport=transport, heart_beat="0,0")
                client_port = c.stream.sock.getsockname()[1]
                # Until the client ACKs the broker's last bytes (a delayed ACK can take 40 ms)
                # the socket shows its retransmit timer (kind 1) instead.
                wait_for(lambda: (broker_side_timer(client_port) or (0, 0))[0] == 2, 3,
                         "a keepalive timer on the broker's socket")
                kind, seconds_left = broker_side_timer(client_port)
                self.assertEqual(kind, 2)
                self.assertTrue(250 < seconds_left <= 300, seconds_left)
                c.sync()


def broker_side_timer(client_port):
    """(timer kind, seconds until it fires) of the socket whose peer is 127.0.0.1:client_port."""
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            remote_port = int(fields[2].split(":")[1], 16)
            if remote_port == client_port and fields[3] == "01":  # ESTABLISHED
                kind, when = fields[5].split(":")
                return int(kind, 16), int(when, 16) / hz
    return None


if __name__ == "__main__":
    unittest.main()
