"""Service accounts (PBKDF2 hashes from `stampede --hash-passcode` and from Python's hashlib,
plain passcodes), anonymous sessions globally and per listener, and the brute-force guard."""

import re
import time
import unittest

from auth_support import (HMAC_SECRET, AuthCase, bearer, check_pbkdf2_hash, hash_with_broker,
                          hmac_issuer, mint_hs, pbkdf2_hash, tcp_client_from)
from harness import deadline_s

HASH_RE = re.compile(r"^pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$")


class HashPasscodeCliTest(unittest.TestCase):
    """`stampede --hash-passcode` reads stdin, prints pbkdf2-sha256$<iter>$<salt>$<hash>."""

    def test_format_and_value(self):
        proc = hash_with_broker("correct horse battery staple\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text = proc.stdout.decode().strip()
        m = HASH_RE.match(text)
        self.assertIsNotNone(m, text)
        self.assertGreaterEqual(int(m.group(1)), 600000)
        # independently recomputed with hashlib (one trailing newline is not the passcode)
        self.assertTrue(check_pbkdf2_hash(text, "correct horse battery staple"), text)

    def test_salt_is_random(self):
        first = hash_with_broker("same").stdout.decode().strip()
        second = hash_with_broker("same").stdout.decode().strip()
        self.assertNotEqual(first.split("$")[2], second.split("$")[2])
        self.assertTrue(check_pbkdf2_hash(first, "same") and check_pbkdf2_hash(second, "same"))


CLI_HASH = {}


def cli_hash(passcode):
    if passcode not in CLI_HASH:
        proc = hash_with_broker(passcode)
        assert proc.returncode == 0, proc.stderr
        CLI_HASH[passcode] = proc.stdout.decode().strip()
    return CLI_HASH[passcode]


class ServiceAccountTest(AuthCase):

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "users": [
                    {"login": "svc-cli", "passcode_hash": cli_hash("cli-secret"),
                     "roles": ["backend"]},
                    {"login": "svc-py", "passcode_hash": pbkdf2_hash("py secret ü", 1000),
                     "roles": ["backend"]},
                    {"login": "svc-unpadded",
                     "passcode_hash": pbkdf2_hash("nopad", 1000).replace("=", ""),
                     "roles": ["backend"]},
                    {"login": "svc-plain", "passcode": "plain-secret", "roles": ["dev"]},
                ]}

    def test_hash_from_the_cli(self):
        self.assert_principal(self.login({"login": "svc-cli", "passcode": "cli-secret"}),
                              "svc-cli")

    def test_hash_from_hashlib(self):
        self.assert_principal(self.login({"login": "svc-py", "passcode": "py secret ü"}),
                              "svc-py", "/topic/who.py")

    def test_hash_without_base64_padding(self):
        self.assert_principal(self.login({"login": "svc-unpadded", "passcode": "nopad"}),
                              "svc-unpadded")

    def test_plain_passcode(self):
        self.assert_principal(self.login({"login": "svc-plain", "passcode": "plain-secret"},
                                         transport="ws"), "svc-plain")

    def test_plain_passcode_warned_at_start(self):
        self.broker.wait_log_count(r"svc-plain.*plain passcode|plain passcode.*svc-plain", 1,
                                   what="a warning about the plain passcode")

    def test_wrong_passcode(self):
        for login in ("svc-cli", "svc-py", "svc-plain"):
            with self.subTest(login=login):
                self.assert_refused({"login": login, "passcode": "wrong"}, "bad credentials")

    def test_passcode_of_another_account(self):
        self.assert_refused({"login": "svc-py", "passcode": "cli-secret"}, "bad credentials")

    def test_missing_passcode(self):
        self.assert_refused({"login": "svc-plain"}, "bad credentials")

    def test_prefix_of_the_passcode(self):
        self.assert_refused({"login": "svc-plain", "passcode": "plain-secre"}, "bad credentials")

    def test_unknown_login_without_anonymous(self):
        self.assert_refused({"login": "nobody", "passcode": "x"}, "bad credentials")

    def test_no_credentials_without_anonymous(self):
        self.assert_refused({}, "authentication required")

    def test_empty_bearer_without_anonymous(self):
        self.assert_refused({"Authorization": "Bearer "}, "authentication required")

    def test_stomp_1_0_connect(self):
        c = self.open()
        c.send_frame("CONNECT", [("login", "svc-plain"), ("passcode", "plain-secret")],
                     content_length=False)
        self.assertEqual(c.expect("CONNECTED").headers.get("version"), "1.0")

    def test_stomp_command(self):
        c = self.open()
        c.send_frame("STOMP", [("accept-version", "1.2"), ("host", "h"), ("login", "svc-cli"),
                               ("passcode", "cli-secret")], content_length=False)
        c.expect("CONNECTED", timeout=10)


class SlowHashTest(AuthCase):
    """A PBKDF2 check runs off the shard: with one shard, a check of several seconds leaves
    every other connection of that shard served meanwhile."""

    ITERATIONS = 4000000  # ~1-4 s of PBKDF2-SHA256

    @classmethod
    def setUpClass(cls):
        cls.slow_hash = pbkdf2_hash("slow", cls.ITERATIONS)

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "users": [{"login": "slow", "passcode_hash": self.slow_hash, "roles": []}]}

    def test_shard_not_stalled_by_a_hash_check(self):
        by = self.bystander()
        slow = self.open()
        started = time.monotonic()
        slow.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "h"), ("login", "slow"),
                                    ("passcode", "slow")], content_length=False)
        round_trips = 0
        # round trips on the same (only) shard while the check runs
        while round_trips < 5:
            by.send("/topic/bystander", b"tick", receipt=True)
            by.expect("MESSAGE", destination="/topic/bystander")
            round_trips += 1
        served_within = time.monotonic() - started
        self.assertIsNone(slow.try_read_frame(0), "slow CONNECT answered before the round trips")
        frame = slow.read_frame(30)
        check_took = time.monotonic() - started
        self.assertEqual(frame.command, "CONNECTED", frame)
        self.assertLess(served_within, check_took / 2,
                        f"5 round trips took {served_within:.2f}s, the check {check_took:.2f}s")


class AnonymousTest(AuthCase):
    """auth.anonymous off, the tcp listener overriding it to on."""

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "users": [{"login": "svc", "passcode": "svc-pass", "roles": []}]}

    def config(self):
        config = super().config()
        for listener in config["listeners"]:
            if listener["protocol"] == "tcp":
                listener["anonymous"] = True
        return config

    def test_listener_allows_anonymous(self):
        c = self.login({}, transport="tcp")
        self.assertEqual(self.senders(c), [])
        self.assertRegex(c.connected_frame.headers["session"], r"^\d+-\S+$")

    def test_other_listener_follows_global_off(self):
        self.assert_refused({}, "authentication required", transport="ws")

    def test_unknown_login_is_anonymous_where_allowed(self):
        c = self.login({"login": "guest", "passcode": "guest"}, transport="tcp")
        self.assertEqual(self.senders(c), [])

    def test_unknown_login_refused_where_not(self):
        self.assert_refused({"login": "guest", "passcode": "guest"}, "bad credentials",
                            transport="ws")

    def test_wrong_passcode_refused_even_where_anonymous(self):
        self.assert_refused({"login": "svc", "passcode": "nope"}, "bad credentials",
                            transport="tcp")

    def test_account_works_on_both(self):
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                self.assert_principal(self.login({"login": "svc", "passcode": "svc-pass"},
                                                 transport), "svc")


class AnonymousListenerOffTest(AuthCase):
    """auth.anonymous on, the ws listener overriding it to off."""

    def auth_config(self):
        return {"anonymous": True, "max_failures_per_minute": 1000, "jwt": [hmac_issuer()]}

    def config(self):
        config = super().config()
        for listener in config["listeners"]:
            if listener["protocol"] == "ws":
                listener["anonymous"] = False
        return config

    def test_global_on(self):
        c = self.login({}, transport="tcp")
        self.assertEqual(self.senders(c), [])

    def test_listener_off(self):
        self.assert_refused({}, "authentication required", transport="ws")

    def test_token_accepted_on_the_listener_without_anonymous(self):
        token = mint_hs({"sub": "frank", "iss": "https://hmac.example"})
        self.assert_principal(self.login(bearer(token), transport="ws"), "frank")

    def test_anonymous_sessions_are_distinct(self):
        a = self.login({})
        b = self.login({})
        self.assertNotEqual(a.connected_frame.headers["session"],
                            b.connected_frame.headers["session"])


class BruteForceTest(AuthCase):
    """auth.max_failures_per_minute: 3. Past it, every CONNECT from the IP is refused with
    `too many failures`, valid or not; sessions already open go on; other IPs are not locked."""

    LIMIT = 3

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": self.LIMIT,
                "jwt": [hmac_issuer()],
                "users": [{"login": "svc", "passcode": "svc-pass", "roles": []}]}

    def fail_once(self, expected="bad credentials"):
        self.assertEqual(self.attempt({"login": "svc", "passcode": "wrong"}), expected)

    def test_up_to_the_limit_valid_credentials_still_work(self):
        for _ in range(self.LIMIT):
            self.fail_once()
        self.assertIsNone(self.attempt({"login": "svc", "passcode": "svc-pass"}),
                          f"{self.LIMIT} failures must not lock the IP yet")

    def test_past_the_limit_everything_is_refused(self):
        by = self.bystander()  # connected before the lockout
        for _ in range(self.LIMIT + 1):
            self.fail_once()
        good_token = mint_hs({"sub": "gina", "iss": "https://hmac.example"})
        for headers in ({"login": "svc", "passcode": "svc-pass"}, bearer(good_token),
                        {"login": "svc", "passcode": "wrong"}, bearer("garbage"), {}):
            with self.subTest(headers=sorted(headers)):
                self.assertEqual(self.attempt(headers), "too many failures")
        self.assertEqual(self.attempt({"login": "svc", "passcode": "svc-pass"}, "ws"),
                         "too many failures")
        # the session opened before the lockout goes on
        by.send("/topic/bystander", b"still on", receipt=True)
        self.assertEqual(by.expect("MESSAGE", destination="/topic/bystander").body, b"still on")
        # another client IP is not locked out (per-IP counting)
        try:
            other = tcp_client_from("127.0.0.2", self.broker.tcp_port)
        except OSError as e:
            self.skipTest(f"no second loopback address: {e}")
        self.addCleanup(other.close)
        other.connect(extra={"login": "svc", "passcode": "svc-pass"})
        other.subscribe("/topic/other-ip", "o")
        by.send("/topic/other-ip", b"hello other ip")
        self.assertEqual(other.expect("MESSAGE").body, b"hello other ip")

    def test_bad_tokens_count_too(self):
        for _ in range(self.LIMIT + 1):
            self.assertEqual(self.attempt(bearer("a.b")), "invalid token")
        self.assertEqual(self.attempt({"login": "svc", "passcode": "svc-pass"}),
                         "too many failures")

    def test_lockout_error_is_an_error_frame_then_close(self):
        for _ in range(self.LIMIT + 1):
            self.fail_once()
        c = self.open()
        c.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "h"), ("login", "svc"),
                                 ("passcode", "svc-pass"), ("receipt", "r-lock")],
                     content_length=False)
        frame = c.expect_error("too many failures", timeout=deadline_s(10))
        self.assertEqual(frame.command, "ERROR")


if __name__ == "__main__":
    unittest.main()
