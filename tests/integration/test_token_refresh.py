"""Token refresh on a live connection (issue 15): SEND /stampede/token with a new JWT, expiry
warnings on SUBSCRIBE /stampede/token, x-token-expires-at, refusals closing like a failed
CONNECT and counted as failed logins. Tokens come from tests/interop/mint.mjs (`jose`).
The @stomp/stompjs part is tests/interop/stompjs_token.scenario.mjs; the raw STOMP part here
checks what a library would hide (the frames as sent, the failure count)."""

import shutil
import time
import unittest

from auth_support import HMAC_SECRET, OTHER_SECRET, AuthCase, bearer, hmac_issuer, mint
from harness import assert_node_tests_pass, node_available

SCENARIO = "stompjs_token.scenario.mjs"
MEMBERS_ISS = "https://hmac.example"
PARTNERS_ISS = "https://partners.example"
UNKNOWN_SECRET = "a-secret-no-issuer-has-0123456789-abcdefghijklmnopqrstuvwxyz-012"
SUB = "refresher"
BOTH_ROLES = ["member", "admin"]

ACL = [{"destination": "/topic/admin.#", "subscribe": ["admin"], "send": ["member", "admin"]},
       {"destination": "/topic/#", "subscribe": ["member", "admin"], "send": ["member", "admin"]}]


def token_config(max_failures=1000):
    return {"anonymous": False, "max_failures_per_minute": max_failures, "token_warning_s": 60,
            "jwt": [hmac_issuer(name="members", issuer=MEMBERS_ISS, leeway_s=0),
                    hmac_issuer(name="partners", issuer=PARTNERS_ISS, leeway_s=0,
                                keys={"secret": OTHER_SECRET})],
            "acl": ACL}


def mint_tokens(specs):
    """{name: (token, exp)} from {name: (key, exp offset, claims)}; keys: members, partners,
    unknown (a secret no issuer has)."""
    names = list(specs)
    out = mint({"keys": {"members": {"alg": "HS256", "secret": HMAC_SECRET, "kid": None},
                         "partners": {"alg": "HS256", "secret": OTHER_SECRET, "kid": None},
                         "unknown": {"alg": "HS256", "secret": UNKNOWN_SECRET, "kid": None}},
                "tokens": [{"key": specs[n][0], "exp": specs[n][1], "claims": specs[n][2]}
                           for n in names]})
    shutil.rmtree(out["dir"], ignore_errors=True)
    return {n: (token, out["now"] + specs[n][1]) for n, token in zip(names, out["tokens"])}


def claims(sub=SUB, iss=MEMBERS_ISS, roles=None):
    return {"sub": sub, "iss": iss, "roles": BOTH_ROLES if roles is None else roles}


class TokenRefreshStompJsTest(AuthCase):
    """The issue's scenario with @stomp/stompjs 7."""

    def auth_config(self):
        return token_config()

    def setUp(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        super().setUp()

    def test_stompjs_refresh(self):
        by = self.bystander()
        tokens = mint_tokens({
            "short": ("members", 8, claims()),
            "long": ("members", 3600, claims()),
            "near": ("members", 40, claims()),
            "member": ("members", 3600, claims(roles=["member"])),
            "other_sub": ("members", 3600, claims(sub="someone-else")),
            "expired": ("members", -60, claims()),
            "bad_signature": ("unknown", 3600, claims()),
            "other_issuer": ("partners", 3600, claims(iss=PARTNERS_ISS)),
        })
        env = {"STAMPEDE_WS_URL": self.broker.ws_url, "STAMPEDE_SUB": SUB}
        for name, (token, exp) in tokens.items():
            env[f"STAMPEDE_{name.upper()}_TOKEN"] = token
            env[f"STAMPEDE_{name.upper()}_EXP"] = str(exp)
        # A member token's exp must be the long one's: the ACL case checks it in the RECEIPT.
        self.assertEqual(tokens["member"][1], tokens["long"][1])
        assert_node_tests_pass(self, SCENARIO, env)
        self.assert_still_works(by)


class TokenRefreshFramesTest(AuthCase):
    """The frames as the broker writes them, over plain TCP."""

    def auth_config(self):
        return token_config()

    def setUp(self):
        super().setUp()
        self.tokens = mint_tokens({
            "long": ("members", 3600, claims()),
            "longer": ("members", 7200, claims(roles=["member"])),
            "other_sub": ("members", 3600, claims(sub="someone-else")),
        })

    def refresh(self, client, token, receipt="refresh-1"):
        client.send_frame("SEND", [("destination", "/stampede/token"), ("receipt", receipt)]
                          + list(bearer(token).items()))

    def test_connected_and_receipt_carry_the_expiry(self):
        long_token, long_exp = self.tokens["long"]
        longer_token, longer_exp = self.tokens["longer"]
        c = self.login(bearer(long_token))
        self.assertEqual(c.connected_frame.headers.get("x-token-expires-at"),
                         str(long_exp * 1000))
        self.refresh(c, longer_token)
        receipt = c.read_frame(10)
        self.assertEqual(receipt.command, "RECEIPT", receipt)
        self.assertEqual(receipt.headers.get("receipt-id"), "refresh-1")
        self.assertEqual(receipt.headers.get("x-token-expires-at"), str(longer_exp * 1000))
        # the session is the same principal, with the new token's roles
        self.assert_principal(c, SUB, "/topic/room.frames")

    def test_a_service_account_session_cannot_refresh(self):
        by = self.bystander()
        c = self.login({"login": "watcher", "passcode": "watcher-pass"})
        self.refresh(c, self.tokens["long"][0])
        frame = c.expect_error("token issuer mismatch", timeout=10, receipt_id="refresh-1")
        self.assertIn(b"token refresh refused", frame.body)
        self.assert_still_works(by)

    def test_a_refresh_without_a_token_is_refused(self):
        by = self.bystander()
        c = self.login(bearer(self.tokens["long"][0]))
        c.send_frame("SEND", [("destination", "/stampede/token"), ("receipt", "refresh-1")])
        c.expect_error("authentication required", timeout=10, receipt_id="refresh-1")
        self.assert_still_works(by)


class TokenHeaderRefreshTest(AuthCase):

    def auth_config(self):
        config = token_config()
        config["token_header"] = "token"
        return config

    def test_the_configured_token_header_carries_a_refresh(self):
        tokens = mint_tokens({"long": ("members", 3600, claims()),
                              "longer": ("members", 7200, claims())})
        c = self.login({"token": tokens["long"][0]})
        c.send_frame("SEND", [("destination", "/stampede/token"), ("receipt", "r"),
                              ("token", tokens["longer"][0])])
        receipt = c.read_frame(10)
        self.assertEqual(receipt.command, "RECEIPT", receipt)
        self.assertEqual(receipt.headers.get("x-token-expires-at"),
                         str(tokens["longer"][1] * 1000))


class TokenRefreshFailureCountTest(AuthCase):
    """A refused refresh counts as a failed login of the client's address."""

    def auth_config(self):
        return token_config(max_failures=1)

    def test_a_refused_refresh_counts_as_a_failed_login(self):
        tokens = mint_tokens({"long": ("members", 3600, claims()),
                              "other_sub": ("members", 3600, claims(sub="someone-else"))})
        by = self.bystander()  # a service account, connected before the failures
        for attempt in range(2):  # one a minute is allowed: the second one blocks
            c = self.login(bearer(tokens["long"][0]))
            c.send_frame("SEND", [("destination", "/stampede/token"), ("receipt", "r")]
                         + list(bearer(tokens["other_sub"][0]).items()))
            c.expect_error("token principal mismatch", timeout=10, receipt_id="r")
        # the next login from this address is refused unchecked, valid token or not
        self.assertEqual(self.attempt(bearer(tokens["long"][0])), "too many failures")
        # connections already open go on
        body = f"still here {time.monotonic()}".encode()
        by.send("/topic/bystander", body, receipt=True)
        self.assertEqual(by.expect("MESSAGE", destination="/topic/bystander").body, body)


if __name__ == "__main__":
    unittest.main()
