"""The relay's clock, crossed with a real redis-server: cluster.redis.ping_interval_ms (how
often the relay PINGs), ping_timeout_ms (how long a hung Redis goes unnoticed) and
max_backoff_ms (how far reconnect attempts spread out while Redis is down). Each test sets
values far from the defaults (500, 3000, 5000 ms) that the defaults could not meet."""

import re
import time
import unittest
from datetime import datetime

from harness import BrokerProcess, deadline_s, default_config, wait_for
from redis_harness import RedisProcess
from test_cluster import metric

LOG_TIME = re.compile(r"^(\S+Z) ")


def log_time(line):
    """Seconds (since the epoch) of a text log line's timestamp."""
    stamp = LOG_TIME.match(line).group(1).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()


class RelayTimingTest(unittest.TestCase):
    redis_settings = {}
    level = "info"

    def setUp(self):
        self.redis = RedisProcess().start(self)
        config = default_config(node={"id": "timing", "shards": 1}, logging={"level": self.level},
                                cluster={"redis": {"url": self.redis.url,
                                                   **self.redis_settings}})
        self.broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(self.broker, "stampede_redis_connected") == 1, 10,
                 "the relay connected to redis")

    def ping_calls(self):
        stats = self.redis.command("INFO", "commandstats")
        stats = stats.decode() if isinstance(stats, bytes) else stats
        m = re.search(r"^cmdstat_ping:calls=(\d+)", stats, re.M)
        return int(m.group(1)) if m else 0


class PingIntervalTest(RelayTimingTest):
    redis_settings = {"ping_interval_ms": 100}

    def test_the_relay_pings_every_ping_interval(self):
        start_calls, started = self.ping_calls(), time.monotonic()
        wait_for(lambda: self.ping_calls() - start_calls >= 10, 10, "10 PINGs from the relay",
                 interval=0.02)
        took = time.monotonic() - started
        # Ten ticks of 100 ms: nine intervals at least, and far less than the 5 s the
        # default 500 ms would take.
        self.assertGreaterEqual(took, 0.8)
        self.assertLess(took, deadline_s(2.5))


class PingTimeoutTest(RelayTimingTest):
    redis_settings = {"ping_interval_ms": 100, "ping_timeout_ms": 500}

    def test_a_hung_redis_is_noticed_after_ping_timeout(self):
        self.redis.pause()
        paused = time.monotonic()
        try:
            self.broker.wait_log_count(r"redis: (no answer|subscriber silent) for", 1,
                                       timeout=10, what="the watchdog to notice")
            noticed = time.monotonic() - paused
        finally:
            self.redis.resume()
        # The last answer came at most one interval before the pause; the default 3000 ms
        # would take 3 s at least.
        self.assertGreaterEqual(noticed, 0.3)
        self.assertLess(noticed, deadline_s(2.0))
        wait_for(lambda: metric(self.broker, "stampede_redis_connected") == 1, 10,
                 "the relay back on its feet")


class MaxBackoffTest(RelayTimingTest):
    redis_settings = {"max_backoff_ms": 300}
    level = "debug"  # one `redis publisher: <why>` line per failed attempt
    ATTEMPTS = 12

    def test_reconnect_attempts_back_off_no_further_than_max_backoff(self):
        self.redis.kill()
        # 0.1, 0.2, then 0.3 s (+-20% jitter) apart: 12 attempts in about 3.5 s. With the
        # default 5 s cap they would take over 20 s.
        lines = self.broker.wait_log_count(r"debug redis publisher: ", self.ATTEMPTS,
                                           timeout=10, what=f"{self.ATTEMPTS} attempts")
        times = [log_time(line) for line in lines[:self.ATTEMPTS]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertLessEqual(max(gaps), 0.3 * 1.2 + deadline_s(0.15), gaps)
        self.assertGreaterEqual(max(gaps), 0.3 * 0.8, f"the backoff never reached its cap: {gaps}")
        self.redis.start()
        wait_for(lambda: metric(self.broker, "stampede_redis_connected") == 1, 5,
                 "reconnected within a capped backoff")


if __name__ == "__main__":
    unittest.main()
