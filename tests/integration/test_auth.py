"""JWT at CONNECT (issue 3): every algorithm with jose-minted tokens, every bad token, where
the token may sit in CONNECT, x-sender stamping. Each refusal is ERROR + close with the
contract's text (docs/protocol.md), and a client connected before it goes on working."""

import json
import os
import shutil
import tempfile
import unittest

from auth_support import (ALL_ALGS, ASYMMETRIC_ALGS, HMAC_ALGS, HMAC_SECRET, OTHER_SECRET,
                          AuthCase, b64url, bearer, forge, hmac_issuer, jose_to_der, mint,
                          mint_hs, token_parts, with_signature)
from harness import BrokerProcess

PEM_ISSUER = "https://pem-{alg}.example"
JWKS_ISSUER = "https://jwks.example"
HMAC_ISSUER = "https://hmac.example"


class _KeysFixture:
    """One jose run per class: a key pair per asymmetric algorithm, a JWKS of all of them."""

    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="stampede-keys-")
        keys = {alg: {"alg": alg, "kid": f"kid-{alg}"} for alg in ASYMMETRIC_ALGS}
        keys["other-RS256"] = {"alg": "RS256", "kid": "kid-RS256"}  # same kid, other key
        keys["other-ES256"] = {"alg": "ES256", "kid": "kid-ES256"}
        keys["hmac"] = {"alg": "HS256", "secret": HMAC_SECRET, "kid": None}
        tokens = []
        cls.index = {}

        def add(name, spec):
            cls.index[name] = len(tokens)
            tokens.append(spec)

        for alg in ASYMMETRIC_ALGS:
            add(f"pem-{alg}", {"key": alg, "kid": None,
                               "claims": {"sub": f"pem-user-{alg}", "iss": PEM_ISSUER.format(alg=alg)}})
            add(f"jwks-{alg}", {"key": alg, "claims": {"sub": f"jwks-user-{alg}", "iss": JWKS_ISSUER}})
        for alg in HMAC_ALGS:
            add(f"hmac-{alg}", {"key": "hmac", "alg": alg,
                                "claims": {"sub": f"hmac-user-{alg}", "iss": HMAC_ISSUER,
                                           "aud": ["elsewhere", "chat"]}})
        cls.minted = mint({"dir": cls.keydir, "keys": keys,
                           "jwks": {"jwks.json": ASYMMETRIC_ALGS}, "tokens": tokens})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.keydir, ignore_errors=True)

    @classmethod
    def token(cls, name):
        return cls.minted["tokens"][cls.index[name]]

    @classmethod
    def key(cls, name):
        return cls.minted["keys"][name]

    @classmethod
    def issuers(cls):
        out = [hmac_issuer(issuer=HMAC_ISSUER, audience=["chat"], algorithms=HMAC_ALGS,
                           leeway_s=5)]
        for alg in ASYMMETRIC_ALGS:
            out.append({"name": f"pem-{alg}", "issuer": PEM_ISSUER.format(alg=alg),
                        "algorithms": [alg],
                        "keys": {"public_key_file": cls.key(alg)["public_pem_file"]}})
        out.append({"name": "jwks", "issuer": JWKS_ISSUER, "algorithms": ASYMMETRIC_ALGS,
                    "keys": {"jwks_file": cls.minted["jwks_files"]["jwks.json"]}})
        return out


class JwtAlgorithmsTest(_KeysFixture, AuthCase):
    """A good token of every algorithm connects; x-sender is its sub."""

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000, "jwt": self.issuers()}

    def _connect_each(self, prefix, algs):
        for i, alg in enumerate(algs):
            with self.subTest(alg=alg):
                transport = "tcp" if i % 2 == 0 else "ws"
                c = self.login(bearer(self.token(f"{prefix}-{alg}")), transport)
                self.assert_principal(c, f"{prefix}-user-{alg}")
                c.disconnect()

    def test_every_asymmetric_algorithm_with_a_pem_key(self):
        self._connect_each("pem", ASYMMETRIC_ALGS)

    def test_every_asymmetric_algorithm_from_a_jwks_by_kid(self):
        self._connect_each("jwks", ASYMMETRIC_ALGS)

    def test_every_hmac_algorithm_with_an_audience_list(self):
        self._connect_each("hmac", HMAC_ALGS)

    def test_all_thirteen_algorithms_covered(self):
        covered = {alg for alg in ALL_ALGS
                   if f"pem-{alg}" in self.index or f"hmac-{alg}" in self.index}
        self.assertEqual(covered, set(ALL_ALGS))
        for alg in ALL_ALGS:
            name = f"pem-{alg}" if alg in ASYMMETRIC_ALGS else f"hmac-{alg}"
            header, _, _ = token_parts(self.token(name))
            self.assertEqual(header["alg"], alg)

    def test_a_session_of_every_algorithm_at_once(self):
        clients = [(alg, self.login(bearer(self.token(f"jwks-{alg}")))) for alg in ASYMMETRIC_ALGS]
        listener = self.client()
        listener.subscribe("/topic/all", "all")
        for alg, c in clients:
            c.send("/topic/all", alg.encode(), receipt=True)
        got = listener.read_messages(len(clients))
        self.assertEqual([(m.body.decode(), m.headers.get("x-sender")) for m in got],
                         [(alg, f"jwks-user-{alg}") for alg, _ in clients])


class JwtRefusalTest(_KeysFixture, AuthCase):
    """Every bad token of issue 3 gets its own ERROR text, then a close."""

    def auth_config(self):
        return {"anonymous": True,  # a presented credential that fails is refused all the same
                "max_failures_per_minute": 1000, "revoked_jti": ["jti-revoked"],
                "jwt": self.issuers()}

    def extra_config(self):
        return {"limits": {"max_header_line_bytes": 4096}}

    def hmac_claims(self, **extra):
        claims = {"sub": "mallory", "iss": HMAC_ISSUER, "aud": "chat"}
        claims.update(extra)
        return claims

    def test_alg_none(self):
        _, payload, _ = token_parts(self.token("hmac-HS256"))
        token = forge({"alg": "none", "typ": "JWT"}, payload)
        self.assert_refused(bearer(token), "token algorithm not allowed")

    def test_alg_none_with_a_signature_left_on(self):
        good = self.token("hmac-HS256")
        _, payload, signature = token_parts(good)
        token = forge({"alg": "none"}, payload, signature)
        self.assert_refused(bearer(token), "token algorithm not allowed")

    def test_alg_confusion_hs256_signed_with_the_rsa_public_key(self):
        out = mint({"dir": self.keydir,
                    "keys": {"rsa": {"alg": "RS256", "kid": None,
                                     "private_pem_file": self.key("RS256")["private_pem_file"]}},
                    "tokens": [{"secret_from_pem": "rsa", "alg": "HS256", "kid": None,
                                "claims": {"sub": "mallory", "iss": PEM_ISSUER.format(alg="RS256")}}]})
        self.assertEqual(out["keys"]["rsa"]["public_pem"], self.key("RS256")["public_pem"])
        self.assert_refused(bearer(out["tokens"][0]), "token algorithm not allowed")

    def test_alg_confusion_through_the_jwks_issuer(self):
        token = mint({"dir": self.keydir,
                      "keys": {"rsa": {"alg": "RS256", "kid": "kid-RS256",
                                       "private_pem_file": self.key("RS256")["private_pem_file"]}},
                      "tokens": [{"secret_from_pem": "rsa", "alg": "HS256",
                                  "claims": {"sub": "mallory", "iss": JWKS_ISSUER}}]})["tokens"][0]
        self.assert_refused(bearer(token), "token algorithm not allowed")

    def test_algorithm_not_in_the_allow_list(self):
        # A well-signed ES384 token offered to the ES256-only PEM issuer.
        token = mint({"dir": self.keydir,
                      "keys": {"ec": {"alg": "ES384", "kid": None}},
                      "tokens": [{"key": "ec", "claims": {"sub": "mallory",
                                                          "iss": PEM_ISSUER.format(alg="ES256")}}]}
                     )["tokens"][0]
        self.assert_refused(bearer(token), "token algorithm not allowed")

    def test_unknown_kid(self):
        token = mint({"dir": self.keydir, "keys": {"rsa": {"alg": "RS256", "kid": "kid-nobody"}},
                      "tokens": [{"key": "rsa", "claims": {"sub": "x", "iss": JWKS_ISSUER}}]}
                     )["tokens"][0]
        self.assert_refused(bearer(token), "unknown key id")

    def test_expired(self):
        token = mint_hs(self.hmac_claims(), exp=-60)  # leeway_s is 5
        self.assert_refused(bearer(token), "token expired")

    def test_expired_within_leeway_is_accepted(self):
        token = mint_hs(self.hmac_claims(sub="late"), exp=-2)  # leeway_s is 5
        c = self.login(bearer(token))
        self.assertEqual(c.connected_frame.command, "CONNECTED")

    def test_not_yet_valid(self):
        token = mint_hs(self.hmac_claims(), nbf=3600)
        self.assert_refused(bearer(token), "token not yet valid")

    def test_issued_in_the_future(self):
        token = mint_hs(self.hmac_claims(), iat=3600)
        self.assert_refused(bearer(token), "token not yet valid")

    def test_wrong_issuer(self):
        token = mint_hs(self.hmac_claims(iss="https://evil.example"))
        self.assert_refused(bearer(token), "token issuer mismatch")

    def test_wrong_audience(self):
        token = mint_hs(self.hmac_claims(aud=["billing", "admin"]))
        self.assert_refused(bearer(token), "token audience mismatch")

    def test_missing_audience(self):
        claims = self.hmac_claims()
        del claims["aud"]
        self.assert_refused(bearer(mint_hs(claims)), "token audience mismatch")

    def test_revoked_jti(self):
        token = mint_hs(self.hmac_claims(jti="jti-revoked"))
        self.assert_refused(bearer(token), "token revoked")
        # the same claims with another jti are fine
        self.login(bearer(mint_hs(self.hmac_claims(jti="jti-fine"))))

    def test_signature_of_another_hmac_secret(self):
        token = mint_hs(self.hmac_claims(), secret=OTHER_SECRET)
        self.assert_refused(bearer(token), "bad token signature")

    def test_signature_of_another_rsa_key_with_the_same_kid(self):
        token = mint({"dir": self.keydir,
                      "keys": {"other": {"alg": "RS256", "kid": "kid-RS256",
                                         "private_pem_file": self.key("other-RS256")["private_pem_file"]}},
                      "tokens": [{"key": "other", "claims": {"sub": "x", "iss": JWKS_ISSUER}}]}
                     )["tokens"][0]
        self.assert_refused(bearer(token), "bad token signature")

    def test_signature_of_another_ec_key_against_a_pem(self):
        token = mint({"dir": self.keydir,
                      "keys": {"other": {"alg": "ES256", "kid": None,
                                         "private_pem_file": self.key("other-ES256")["private_pem_file"]}},
                      "tokens": [{"key": "other",
                                  "claims": {"sub": "x", "iss": PEM_ISSUER.format(alg="ES256")}}]}
                     )["tokens"][0]
        self.assert_refused(bearer(token), "bad token signature")

    def test_payload_changed_after_signing(self):
        head, _, sig = self.token("pem-RS256").split(".")
        _, payload, _ = token_parts(self.token("pem-RS256"))
        payload["sub"] = "admin"
        token = f"{head}.{b64url(json.dumps(payload))}.{sig}"
        self.assert_refused(bearer(token), "bad token signature")

    def test_truncated_rsa_signature(self):
        good = self.token("pem-RS256")
        _, _, signature = token_parts(good)
        self.assert_refused(bearer(with_signature(good, signature[:-8])), "bad token signature")

    def test_truncated_hmac_signature(self):
        good = mint_hs(self.hmac_claims())
        _, _, signature = token_parts(good)
        self.assert_refused(bearer(with_signature(good, signature[:16])), "bad token signature")

    def test_empty_signature(self):
        good = self.token("pem-ES256")
        self.assert_refused(bearer(good.rsplit(".", 1)[0] + "."), "bad token signature")

    def test_es256_signature_in_der(self):
        good = self.token("pem-ES256")
        _, _, signature = token_parts(good)
        self.assertEqual(len(signature), 64)
        der = jose_to_der(signature)
        self.assertEqual(der[0], 0x30)
        self.assert_refused(bearer(with_signature(good, der)), "bad token signature")

    def test_es512_signature_in_der(self):
        good = self.token("jwks-ES512")
        _, _, signature = token_parts(good)
        self.assertEqual(len(signature), 132)
        self.assert_refused(bearer(with_signature(good, jose_to_der(signature))),
                            "bad token signature")

    def test_malformed_base64url_in_payload(self):
        head, payload, sig = self.token("pem-RS256").split(".")
        self.assert_refused(bearer(f"{head}.{payload[:10]}+/{payload[12:]}.{sig}"), "invalid token")

    def test_malformed_base64url_with_padding_and_junk(self):
        head, payload, sig = self.token("pem-RS256").split(".")
        self.assert_refused(bearer(f"{head}.{payload}!!.{sig}"), "invalid token")

    def test_malformed_base64url_in_signature(self):
        head, payload, sig = self.token("pem-RS256").split(".")
        self.assert_refused(bearer(f"{head}.{payload}.{sig[:-3]}*{sig[-2:]}"), "invalid token")

    def test_two_segments(self):
        head, payload, _ = self.token("hmac-HS256").split(".")
        self.assert_refused(bearer(f"{head}.{payload}"), "invalid token")

    def test_four_segments(self):
        self.assert_refused(bearer(self.token("hmac-HS256") + ".AAAA"), "invalid token")

    def test_one_segment(self):
        self.assert_refused(bearer("not-a-jwt-at-all"), "invalid token")

    def test_payload_json_array(self):
        token = mint({"alg": "HS256", "secret": HMAC_SECRET, "raw_payload": "[1,2,3]",
                      "header": {}})["token"]
        self.assert_refused(bearer(token), "invalid token")

    def test_payload_json_string(self):
        token = mint({"alg": "HS256", "secret": HMAC_SECRET,
                      "raw_payload": '"sub"'})["token"]
        self.assert_refused(bearer(token), "invalid token")

    def test_payload_not_json(self):
        token = mint({"alg": "HS256", "secret": HMAC_SECRET,
                      "raw_payload": "{not json"})["token"]
        self.assert_refused(bearer(token), "invalid token")

    def test_header_not_json(self):
        _, payload, sig = self.token("hmac-HS256").split(".")
        self.assert_refused(bearer(f"{b64url('{alg')}.{payload}.{sig}"), "invalid token")

    def test_header_json_array(self):
        _, payload, sig = self.token("hmac-HS256").split(".")
        self.assert_refused(bearer(f"{b64url('[1]')}.{payload}.{sig}"), "invalid token")

    def test_exp_not_a_number(self):
        token = mint_hs(self.hmac_claims(exp="tomorrow"))
        self.assert_refused(bearer(token), "invalid token")

    def test_token_over_max_header_line_bytes(self):
        # 4096 is the limit in this config; the header line carrying the token is longer still.
        token = mint_hs(self.hmac_claims(padding="x" * 5000))
        self.assertGreater(len(token), 4096)
        by = self.bystander()
        c = self.open()
        c.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "127.0.0.1")]
                     + list(bearer(token).items()), content_length=False)
        frame = c.read_frame(10)
        self.assertEqual(frame.command, "ERROR", frame)
        # Either the auth layer's text or the parser's (the line is over the same limit).
        self.assertIn(frame.headers.get("message"),
                      ("token too large", "max_header_line_bytes exceeded"), frame)
        c.wait_closed()
        self.assert_still_works(by)

    def test_token_just_under_the_limit_is_accepted(self):
        claims = self.hmac_claims(sub="big")
        token = mint_hs(dict(claims, padding=""))
        pad = 4096 - len("Authorization:Bearer ") - len(token) - 64
        token = mint_hs(dict(claims, padding="y" * (pad * 3 // 4)))
        self.assertLess(len("Authorization:Bearer " + token), 4096)
        c = self.login(bearer(token))
        self.assert_principal(c, "big")

    def test_every_refusal_over_websocket_too(self):
        _, payload, _ = token_parts(self.token("hmac-HS256"))
        self.assert_refused(bearer(forge({"alg": "none"}, payload)),
                            "token algorithm not allowed", transport="ws")
        self.assert_refused(bearer(mint_hs(self.hmac_claims(), exp=-60)), "token expired",
                            transport="ws")


class TokenPlacementTest(AuthCase):
    """Where a token may sit in CONNECT, and the order in which credentials are looked for."""

    def auth_config(self):
        return {"anonymous": True, "token_header": "token", "max_failures_per_minute": 1000,
                "users": [{"login": "svc", "passcode": "svc-pass", "roles": ["backend"]}],
                "jwt": [hmac_issuer(leeway_s=5)]}

    @classmethod
    def setUpClass(cls):
        specs = {name: {"key": "h", "claims": {"sub": name, "iss": "https://hmac.example"}}
                 for name in ("alice", "bob", "carol")}
        out = mint({"keys": {"h": {"alg": "HS256", "secret": HMAC_SECRET, "kid": None}},
                    "tokens": list(specs.values())})
        cls.tokens = dict(zip(specs, out["tokens"]))
        shutil.rmtree(out["dir"], ignore_errors=True)
        cls.bad = mint_hs({"sub": "eve", "iss": "https://hmac.example"}, secret=OTHER_SECRET)

    def test_authorization_bearer(self):
        self.assert_principal(self.login(bearer(self.tokens["alice"])), "alice")

    def test_authorization_scheme_is_case_insensitive(self):
        for scheme in ("bearer", "BEARER", "BeArEr"):
            with self.subTest(scheme=scheme):
                c = self.login({"Authorization": f"{scheme} {self.tokens['alice']}"})
                self.assert_principal(c, "alice")
                c.disconnect()

    def test_authorization_over_websocket(self):
        self.assert_principal(self.login(bearer(self.tokens["alice"]), transport="ws"), "alice")

    def test_token_header(self):
        self.assert_principal(self.login({"token": self.tokens["bob"]}), "bob")

    def test_passcode_without_login(self):
        self.assert_principal(self.login({"passcode": self.tokens["carol"]}), "carol")

    def test_passcode_with_empty_login(self):
        self.assert_principal(self.login({"login": "", "passcode": self.tokens["carol"]}), "carol")

    def test_passcode_with_login_bearer(self):
        self.assert_principal(self.login({"login": "bearer", "passcode": self.tokens["carol"]}),
                              "carol")

    def test_passcode_with_another_login_is_not_a_token(self):
        # a login naming no account, no token: an anonymous session (anonymous is on)
        c = self.login({"login": "guest", "passcode": self.tokens["carol"]})
        self.assertEqual(self.senders(c), [])

    def test_authorization_comes_before_the_token_header(self):
        c = self.login({"Authorization": f"Bearer {self.tokens['alice']}", "token": self.bad})
        self.assert_principal(c, "alice")
        self.assert_refused({"Authorization": f"Bearer {self.bad}", "token": self.tokens["alice"]},
                            "bad token signature")

    def test_token_header_comes_before_the_passcode(self):
        c = self.login({"token": self.tokens["bob"], "passcode": self.bad})
        self.assert_principal(c, "bob")
        self.assert_refused({"token": self.bad, "passcode": self.tokens["bob"]},
                            "bad token signature")

    def test_token_comes_before_the_service_account(self):
        c = self.login({"Authorization": f"Bearer {self.tokens['alice']}",
                        "login": "svc", "passcode": "wrong"})
        self.assert_principal(c, "alice")

    def test_service_account_alongside(self):
        self.assert_principal(self.login({"login": "svc", "passcode": "svc-pass"}), "svc")

    def test_bad_token_refused_although_anonymous_is_on(self):
        for headers in (bearer(self.bad), {"token": self.bad}, {"passcode": self.bad},
                        {"login": "bearer", "passcode": self.bad}, {"login": "", "passcode": self.bad}):
            with self.subTest(headers=sorted(headers)):
                self.assert_refused(headers, "bad token signature")

    def test_garbage_in_passcode_without_login_is_refused(self):
        self.assert_refused({"passcode": "hunter2"}, "invalid token")

    def test_anonymous_without_credentials(self):
        c = self.login({})
        self.assertEqual(self.senders(c), [])

    def test_forged_x_sender_is_dropped_for_anonymous(self):
        anon = self.login({})
        listener = self.login(bearer(self.tokens["alice"]))
        listener.subscribe("/topic/forge", "f")
        anon.send("/topic/forge", b"trust me", headers={"x-sender": "alice"}, receipt=True)
        message = listener.expect("MESSAGE", destination="/topic/forge")
        self.assertNotIn("x-sender", [name for name, _ in message.header_list], message)

    def test_x_sender_reaches_other_subscribers(self):
        alice = self.login(bearer(self.tokens["alice"]))
        bob = self.login({"token": self.tokens["bob"]}, transport="ws")
        bob.subscribe("/topic/chat", "c")
        alice.send("/topic/chat", b"hi bob", headers={"x-sender": "carol"}, receipt=True)
        message = bob.expect("MESSAGE", destination="/topic/chat")
        self.assertEqual([v for n, v in message.header_list if n == "x-sender"], ["alice"])
        self.assertEqual(message.body, b"hi bob")


class KeySourcesTest(AuthCase):
    """HMAC secrets from secret_env and secret_file (one trailing newline stripped)."""

    ENV_SECRET = "secret-from-the-environment-0123456789abcdef"
    FILE_SECRET = "secret-from-a-file-0123456789abcdef-0123456789"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stampede-auth-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.secret_file = os.path.join(self.dir, "hmac.secret")
        with open(self.secret_file, "w", encoding="utf-8") as f:
            f.write(self.FILE_SECRET + "\n")
        self.broker = BrokerProcess(self.config(),
                                    env={"STAMPEDE_IT_SECRET": self.ENV_SECRET}).start(self)

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "jwt": [{"name": "env", "issuer": "https://env.example", "algorithms": ["HS256"],
                         "keys": {"secret_env": "STAMPEDE_IT_SECRET"}},
                        {"name": "file", "issuer": "https://file.example", "algorithms": ["HS384"],
                         "keys": {"secret_file": self.secret_file}}]}

    def test_secret_env(self):
        token = mint_hs({"sub": "env-user", "iss": "https://env.example"}, secret=self.ENV_SECRET)
        self.assert_principal(self.login(bearer(token)), "env-user")
        self.assert_refused(bearer(mint_hs({"sub": "x", "iss": "https://env.example"})),
                            "bad token signature")

    def test_secret_file(self):
        token = mint_hs({"sub": "file-user", "iss": "https://file.example"},
                        secret=self.FILE_SECRET, alg="HS384")
        self.assert_principal(self.login(bearer(token)), "file-user")
        with_newline = mint_hs({"sub": "x", "iss": "https://file.example"},
                               secret=self.FILE_SECRET + "\n", alg="HS384")
        self.assert_refused(bearer(with_newline), "bad token signature")


class TokenHeaderUnsetTest(AuthCase):
    """Without auth.token_header, a `token` header is just a header: not a credential."""

    def auth_config(self):
        return {"anonymous": True, "max_failures_per_minute": 1000, "jwt": [hmac_issuer()]}

    def test_token_header_ignored(self):
        token = mint_hs({"sub": "bob", "iss": "https://hmac.example"})
        c = self.login({"token": token})
        self.assertEqual(self.senders(c), [])


class PrincipalClaimTest(AuthCase):
    """principal_claim names the user; issuers are tried in file order by iss."""

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "jwt": [hmac_issuer(name="by-email", issuer="https://mail.example",
                                    principal_claim="email"),
                        hmac_issuer(name="first", issuer="https://shared.example",
                                    audience="one"),
                        {"name": "second", "issuer": "https://shared.example",
                         "algorithms": ["HS256"], "keys": {"secret": OTHER_SECRET},
                         "principal_claim": "preferred_username"}]}

    def test_principal_claim(self):
        token = mint_hs({"sub": "u-123", "email": "dana@example.org",
                         "iss": "https://mail.example"})
        self.assert_principal(self.login(bearer(token)), "dana@example.org")

    def test_missing_principal_claim_is_an_invalid_token(self):
        token = mint_hs({"sub": "u-123", "iss": "https://mail.example"})
        self.assert_refused(bearer(token), "invalid token")

    def test_second_issuer_with_the_same_iss(self):
        # the first issuer (other secret, needs aud one) refuses it; the second accepts it
        token = mint_hs({"sub": "u-9", "preferred_username": "erin",
                         "iss": "https://shared.example"}, secret=OTHER_SECRET)
        self.assert_principal(self.login(bearer(token)), "erin")
        token = mint_hs({"sub": "u-8", "iss": "https://shared.example", "aud": "one"})
        self.assert_principal(self.login(bearer(token)), "u-8")


class NoFailureLimitTest(AuthCase):
    """auth.max_failures_per_minute: 0 is "no limit": an address that mistypes many times is
    never locked out (it once was, at its first failure)."""

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 0, "jwt": [hmac_issuer()]}

    def test_zero_means_no_limit(self):
        forged = bearer(mint_hs({"sub": "mallory", "iss": "https://hmac.example"},
                                secret=OTHER_SECRET))
        for _ in range(20):
            self.assert_refused(forged, "bad token signature")
        token = mint_hs({"sub": "bob", "iss": "https://hmac.example"})
        self.assert_principal(self.login(bearer(token)), "bob")


if __name__ == "__main__":
    unittest.main()
