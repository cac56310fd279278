"""What happens to authenticated sessions over time: token expiry mid-session (disconnect or
ignore), SIGHUP with a rotated JWKS, a broken JWKS (at start and at reload), a revoked jti."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from auth_support import (HMAC_SECRET, AuthCase, bearer, hmac_issuer, mint, mint_hs, temp_dir)
from harness import (BrokerProcess, ConnectionClosed, broker_binary, deadline_s,
                     default_config, to_yaml, wait_for)


class ExpiryTest(AuthCase):
    """leeway_s: 0; a token expiring ~2 s after CONNECT."""

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "jwt": [hmac_issuer(name="strict", issuer="https://strict.example", leeway_s=0),
                        hmac_issuer(name="lenient", issuer="https://lenient.example",
                                    leeway_s=0, on_expiry="ignore")]}

    def short_token(self, issuer, sub, seconds=2):
        out = mint({"alg": "HS256", "secret": HMAC_SECRET, "exp": seconds,
                    "claims": {"sub": sub, "iss": issuer}})
        shutil.rmtree(out["dir"], ignore_errors=True)
        return out["token"], out["now"] + seconds

    def test_expiry_mid_session_disconnects(self):
        by = self.bystander()
        token, exp = self.short_token("https://strict.example", "ivan")
        sessions = [self.login(bearer(token), transport) for transport in ("tcp", "ws")]
        self.assertLess(time.time(), exp, "token expired before the test could use it")
        for i, c in enumerate(sessions):
            c.subscribe(f"/topic/ticks.{i}", "t")
            # the session works until exp
            c.send(f"/topic/ticks.{i}", b"before", receipt=True)
            self.assertEqual(c.expect("MESSAGE").body, b"before")
        for c in sessions:
            # wait for the expiry (deadline: exp + 5 s); nothing else may come first
            frame = c.read_frame(timeout=max(0.1, exp - time.time()) + 5)
            self.assertEqual(frame.command, "ERROR", frame)
            self.assertEqual(frame.headers.get("message"), "token expired", frame)
            self.assertGreaterEqual(time.time(), exp - 1.0, "ERROR came before exp")
            c.wait_closed()
        self.assert_still_works(by)

    def test_expiry_mid_session_ignored(self):
        token, exp = self.short_token("https://lenient.example", "judy")
        c = self.login(bearer(token))
        c.subscribe("/topic/ticks", "t")
        # wait until exp + 1.5 s has passed, then the session must still work
        wait_for(lambda: time.time() > exp + 1.5, 10, "the token's exp to pass")
        self.assertIsNone(c.try_read_frame(0), "nothing (no ERROR) may arrive")
        c.send("/topic/ticks", b"after exp", receipt=True)
        message = c.expect("MESSAGE")
        self.assertEqual(message.body, b"after exp")
        self.assertEqual(message.headers.get("x-sender"), "judy")
        # but a new CONNECT with it is refused
        self.assert_refused(bearer(token), "token expired")

    def test_token_without_exp_never_expires(self):
        out = mint({"alg": "HS256", "secret": HMAC_SECRET, "exp": None,
                    "claims": {"sub": "kim", "iss": "https://strict.example"}})
        c = self.login(bearer(out["token"]))
        self.assert_principal(c, "kim")


class JwksRotationTest(AuthCase):
    """jwks_file rotated under a running broker: SIGHUP swaps the keys; a broken file is
    refused and the old keys stay."""

    def setUp(self):
        self.dir = temp_dir(self)
        self.minted = mint({"dir": self.dir,
                            "keys": {"old": {"alg": "ES256", "kid": "2024-old"},
                                     "new": {"alg": "ES256", "kid": "2025-new"}},
                            "jwks": {"old.json": ["old"], "new.json": ["new"],
                                     "both.json": ["old", "new"]},
                            "tokens": [{"key": "old", "claims": {"sub": "olga", "iss": "https://rot.example"}},
                                       {"key": "new", "claims": {"sub": "nina", "iss": "https://rot.example"}},
                                       {"key": "old", "claims": {"sub": "oscar", "iss": "https://rot.example"}}]})
        self.jwks_path = os.path.join(self.dir, "live-jwks.json")
        shutil.copyfile(self.minted["jwks_files"]["old.json"], self.jwks_path)
        self.old_token, self.new_token, self.old_token2 = self.minted["tokens"]
        super().setUp()

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "jwt": [{"name": "rot", "issuer": "https://rot.example", "algorithms": ["ES256"],
                         "keys": {"jwks_file": self.jwks_path}}]}

    def install(self, name):
        shutil.copyfile(self.minted["jwks_files"][name], self.jwks_path + ".tmp")
        os.replace(self.jwks_path + ".tmp", self.jwks_path)

    def test_rotation_on_sighup(self):
        live = self.login(bearer(self.old_token))
        live.subscribe("/topic/rot", "r")
        self.assertEqual(self.attempt(bearer(self.new_token)), "unknown key id")
        # both keys during the switch
        self.install("both.json")
        self.reload()
        self.wait_attempt(bearer(self.new_token), None)
        self.assertIsNone(self.attempt(bearer(self.old_token2)))
        # the old key removed
        self.install("new.json")
        lines = self.reload()
        self.assertFalse(any("reload refused" in line for line in lines[-5:]), lines[-10:])
        self.wait_attempt(bearer(self.old_token2), "unknown key id")
        self.assertIsNone(self.attempt(bearer(self.new_token)))
        # the live session, authenticated by the removed key, continues
        live.send("/topic/rot", b"still here", receipt=True)
        message = live.expect("MESSAGE", destination="/topic/rot")
        self.assertEqual((message.body, message.headers.get("x-sender")), (b"still here", "olga"))

    def test_broken_jwks_at_reload_keeps_the_old_keys(self):
        live = self.login(bearer(self.old_token))
        live.subscribe("/topic/rot", "r")
        for broken in ('{"keys": [', "not json at all", '{"keys": [{"kty": "EC", "crv": "P-256"}]}'):
            with self.subTest(broken=broken):
                with open(self.jwks_path, "w", encoding="utf-8") as f:
                    f.write(broken)
                lines = self.reload()
                self.assertIn("reload refused", "\n".join(lines[-5:]))
                # old keys kept: the old token still connects, the new one is still unknown
                self.assertIsNone(self.attempt(bearer(self.old_token2)))
                self.assertEqual(self.attempt(bearer(self.new_token)), "unknown key id")
        live.send("/topic/rot", b"alive", receipt=True)
        self.assertEqual(live.expect("MESSAGE").body, b"alive")
        # and a good file afterwards is taken
        self.install("new.json")
        self.reload()
        self.wait_attempt(bearer(self.new_token), None)


class BrokenJwksAtStartTest(unittest.TestCase):
    """A JWKS file that does not parse: the broker refuses to start, naming it."""

    def test_refused_at_start(self):
        tmp = tempfile.mkdtemp(prefix="stampede-auth-")
        self.addCleanup(shutil.rmtree, tmp, True)
        jwks = os.path.join(tmp, "jwks.json")
        with open(jwks, "w", encoding="utf-8") as f:
            f.write('{"keys": [{"kty": "RSA", "n": "!!"')
        config = default_config()
        config["auth"] = {"anonymous": False,
                          "jwt": [{"name": "j", "algorithms": ["RS256"],
                                   "keys": {"jwks_file": jwks}}]}
        path = os.path.join(tmp, "stampede.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_yaml(config) + "\n")
        proc = subprocess.run([broker_binary(), "--config", path], capture_output=True,
                              timeout=deadline_s(30), stdin=subprocess.DEVNULL)
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        self.assertNotEqual(proc.returncode, 0, output)
        self.assertIn("jwks.json", output)
        self.assertNotIn("listening on", output)


class RevocationReloadTest(AuthCase):
    """revoked_jti_file reloaded on SIGHUP: a live session whose jti became revoked gets
    ERROR `token revoked` and is closed; others go on."""

    def setUp(self):
        self.dir = temp_dir(self)
        self.revoked_path = os.path.join(self.dir, "revoked.txt")
        with open(self.revoked_path, "w", encoding="utf-8") as f:
            f.write("jti-old-1\n")
        super().setUp()

    def auth_config(self, revoked=()):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "revoked_jti": list(revoked),
                "revoked_jti_file": self.revoked_path, "jwt": [hmac_issuer()]}

    def token(self, sub, jti):
        return mint_hs({"sub": sub, "iss": "https://hmac.example", "jti": jti})

    def test_file_at_start(self):
        self.assert_refused(bearer(self.token("leo", "jti-old-1")), "token revoked")

    def test_file_reload_kicks_the_live_session(self):
        by = self.bystander()
        victim = self.login(bearer(self.token("mia", "jti-mia")))
        victim.subscribe("/topic/rev", "r")
        other = self.login(bearer(self.token("ned", "jti-ned")), transport="ws")
        other.subscribe("/topic/rev", "r")
        with open(self.revoked_path, "a", encoding="utf-8") as f:
            f.write("jti-mia\n")
        self.reload()
        victim.expect_error("token revoked", timeout=10)
        # the other session goes on
        other.send("/topic/rev", b"after", receipt=True)
        self.assertEqual(other.expect("MESSAGE").body, b"after")
        self.assert_refused(bearer(self.token("mia", "jti-mia")), "token revoked", bystander=by)

    def test_inline_list_reload(self):
        victim = self.login(bearer(self.token("oli", "jti-oli")))
        config = self.broker.config
        config["auth"] = dict(config["auth"], revoked_jti=["jti-oli"])
        self.reload(config)
        victim.expect_error("token revoked", timeout=10)

    def test_unrevoked_on_reload(self):
        with open(self.revoked_path, "w", encoding="utf-8") as f:
            f.write("")
        self.reload()
        self.wait_attempt(bearer(self.token("leo", "jti-old-1")), None)


if __name__ == "__main__":
    unittest.main()
