"""@stomp/stompjs 7 with jose-minted tokens in connectHeaders (tests/interop/
stompjs_auth.scenario.mjs) against a broker with a JWT issuer and anonymous sessions off."""

import shutil
import unittest

from auth_support import HMAC_SECRET, OTHER_SECRET, AuthCase, hmac_issuer, mint
from harness import assert_node_tests_pass, node_available

SCENARIO = "stompjs_auth.scenario.mjs"


class StompJsAuthTest(AuthCase):

    def auth_config(self):
        return {"anonymous": False, "token_header": "token", "max_failures_per_minute": 1000,
                "jwt": [hmac_issuer(issuer="https://hmac.example", leeway_s=0)]}

    def setUp(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        super().setUp()

    def test_stompjs_with_tokens(self):
        by = self.bystander()
        iss = "https://hmac.example"
        out = mint({"keys": {"h": {"alg": "HS256", "secret": HMAC_SECRET, "kid": None},
                             "o": {"alg": "HS256", "secret": OTHER_SECRET, "kid": None}},
                    "tokens": [{"key": "h", "claims": {"sub": "js-user", "iss": iss}},
                               {"key": "o", "claims": {"sub": "js-user", "iss": iss}},
                               {"key": "h", "exp": -60, "claims": {"sub": "js-user", "iss": iss}}]})
        shutil.rmtree(out["dir"], ignore_errors=True)
        good, bad, expired = out["tokens"]
        assert_node_tests_pass(self, SCENARIO, {
            "STAMPEDE_WS_URL": self.broker.ws_url, "STAMPEDE_GOOD_TOKEN": good,
            "STAMPEDE_GOOD_SUB": "js-user", "STAMPEDE_BAD_TOKEN": bad,
            "STAMPEDE_EXPIRED_TOKEN": expired})
        # the refusals left the broker serving others
        self.assert_still_works(by)


if __name__ == "__main__":
    unittest.main()
