// JwtVerifier with tokens minted by the test signer for every algorithm, and every bad input
// of issue 3: malformed base64url, wrong segment count, JSON that is not an object, huge
// tokens, alg none, algorithm confusion, unknown kid, expired, not yet valid, wrong iss and
// aud, a signature of another key, a truncated signature, an ES256 DER signature.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "auth/base64url.hpp"
#include "jose_signer.hpp"
#include "jwt_test_util.hpp"

namespace stampede::auth {
namespace {

using testing::object;
using testing::PrivateKey;
using testing::quoted;

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kSecret = "hmac-secret-hmac-secret-hmac-secret-0123456789";

class JwtTest : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        rsa_ = testing::generate_rsa();
        other_rsa_ = testing::generate_rsa();
        p256_ = testing::generate_ec("P-256");
        p384_ = testing::generate_ec("P-384");
        p521_ = testing::generate_ec("P-521");
        ed_ = testing::generate_ed25519();
        const std::string jwks =
            R"({"keys":[)" + testing::public_jwk(rsa_.get(), "rsa") + "," +
            testing::public_jwk(p256_.get(), "p256") + "," +
            testing::public_jwk(p384_.get(), "p384") + "," +
            testing::public_jwk(p521_.get(), "p521") + "," + testing::public_jwk(ed_.get(), "ed") +
            R"(,{"kty":"oct","kid":"hmac","k":")" + testing::b64(kSecret) + R"("}]})";
        const KeySetResult set = KeySet::from_jwks(jwks);
        ASSERT_TRUE(set.ok()) << set.error;
        keys_ = set.keys;
    }

    static PrivateKey key_for(Algorithm alg) {
        switch (key_type_for(alg)) {
            case KeyType::Rsa:
                return rsa_;
            case KeyType::EcP256:
                return p256_;
            case KeyType::EcP384:
                return p384_;
            case KeyType::EcP521:
                return p521_;
            case KeyType::Ed25519:
                return ed_;
            case KeyType::Secret:
                break;
        }
        return nullptr;
    }
    static std::string kid_for(Algorithm alg) { return testing::kid_for(key_type_for(alg)); }

    static std::string claims(std::vector<std::pair<std::string, std::string>> extra = {}) {
        std::vector<std::pair<std::string, std::string>> members = {
            {"sub", quoted("alice")},
            {"roles", R"(["member","admin"])"},
            {"exp", std::to_string(kNow + 600)},
            {"iat", std::to_string(kNow - 10)}};
        for (auto& [name, value] : extra) {
            auto same = std::find_if(members.begin(), members.end(),
                                     [&](const auto& m) { return m.first == name; });
            if (same != members.end()) {
                same->second = value;  // replaced; "" below means removed
            } else {
                members.emplace_back(name, value);
            }
        }
        std::erase_if(members, [](const auto& m) { return m.second.empty(); });
        return object(members);
    }

    static std::string mint(Algorithm alg, const std::string& payload, bool with_kid = true) {
        return testing::mint(alg, key_for(alg).get(), kSecret,
                             testing::header_for(alg, with_kid ? kid_for(alg) : ""), payload);
    }

    static JwtVerifier verifier(std::vector<std::string> algorithms,
                                std::shared_ptr<const KeySet> keys = nullptr,
                                config::JwtIssuerConfig config = {}) {
        if (config.name.empty()) {
            config = testing::issuer_config({});
        }
        config.algorithms = std::move(algorithms);
        JwtVerifierResult built = JwtVerifier::create(config, keys ? keys : keys_);
        EXPECT_TRUE(built.verifier) << built.error;
        return *built.verifier;
    }

    static AuthError error_of(const JwtVerifier& v, const std::string& token) {
        return v.verify(token, kNow).error;
    }

    static inline PrivateKey rsa_, other_rsa_, p256_, p384_, p521_, ed_;
    static inline std::shared_ptr<const KeySet> keys_;
};

const std::vector<Algorithm> kAll = {
    Algorithm::HS256, Algorithm::HS384, Algorithm::HS512, Algorithm::RS256, Algorithm::RS384,
    Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512, Algorithm::ES256,
    Algorithm::ES384, Algorithm::ES512, Algorithm::EdDSA};

TEST_F(JwtTest, EveryAlgorithmVerifiesWithAndWithoutKid) {
    for (const Algorithm alg : kAll) {
        const JwtVerifier v = verifier({std::string(algorithm_name(alg))});
        for (const bool with_kid : {true, false}) {
            const AuthResult<Principal> result = v.verify(mint(alg, claims(), with_kid), kNow);
            ASSERT_TRUE(result.ok()) << algorithm_name(alg) << " kid=" << with_kid << ": "
                                     << to_text(result.error) << " " << result.detail;
            EXPECT_EQ(result.value->name, "alice");
            EXPECT_EQ(result.value->roles, (std::vector<std::string>{"member", "admin"}));
            EXPECT_EQ(result.value->issuer, "members");
            EXPECT_EQ(result.value->expires_at, kNow + 600);
            EXPECT_FALSE(result.value->anonymous);
        }
    }
}

TEST_F(JwtTest, MalformedBase64Url) {
    const JwtVerifier v = verifier({"HS256"});
    const std::string good = mint(Algorithm::HS256, claims());
    const std::size_t dot1 = good.find('.');
    const std::size_t dot2 = good.rfind('.');
    std::string bad_header = good;
    bad_header[1] = '+';
    std::string padded_payload = good;
    padded_payload.insert(dot2, "=");
    std::string bad_signature = good + "*";
    std::string spaced = good;
    spaced.insert(dot1 + 3, " ");
    for (const std::string& token : {bad_header, padded_payload, bad_signature, spaced}) {
        EXPECT_EQ(error_of(v, token), AuthError::InvalidToken) << token;
    }
}

TEST_F(JwtTest, WrongSegmentCount) {
    const JwtVerifier v = verifier({"HS256"});
    const std::string good = mint(Algorithm::HS256, claims());
    for (const std::string& token :
         {std::string(), std::string("."), std::string(".."), std::string("..."),
          good.substr(0, good.rfind('.')), good + ".", good + ".e30", std::string("abc"),
          std::string("e30.e30.e30.e30.e30")}) {
        EXPECT_EQ(error_of(v, token), AuthError::InvalidToken) << token;
    }
}

TEST_F(JwtTest, JsonThatIsNotAnObject) {
    const JwtVerifier v = verifier({"HS256"});
    const std::string header = testing::header_for(Algorithm::HS256, "hmac");
    for (const auto& [h, p] :
         std::vector<std::pair<std::string, std::string>>{{"[]", claims()},
                                                          {R"("HS256")", claims()},
                                                          {header, "[1,2]"},
                                                          {header, R"("alice")"},
                                                          {header, "42"},
                                                          {header, "null"},
                                                          {header, "{"},
                                                          {header, claims() + " x"},
                                                          {header, ""},
                                                          {"", claims()}}) {
        const std::string token = testing::mint(Algorithm::HS256, nullptr, kSecret, h, p);
        EXPECT_EQ(error_of(v, token), AuthError::InvalidToken) << h << " / " << p;
    }
}

TEST_F(JwtTest, HugeTokenIsRefusedBeforeAnyWork) {
    const JwtVerifier v = verifier({"HS256"});
    const std::string big =
        mint(Algorithm::HS256, claims({{"pad", quoted(std::string(9000, 'x'))}}));
    EXPECT_EQ(v.verify(big, kNow).error, AuthError::TokenTooLarge);
    EXPECT_TRUE(v.verify(big, kNow, big.size()).ok());
    EXPECT_EQ(v.verify(big, kNow, big.size() - 1).error, AuthError::TokenTooLarge);
    EXPECT_EQ(v.verify(std::string(100000, 'a'), kNow).error, AuthError::TokenTooLarge);
}

TEST_F(JwtTest, DeeplyNestedJsonIsNotACrash) {
    const JwtVerifier v = verifier({"HS256"});
    const std::string nested = "{\"a\":" + std::string(3000, '[') + std::string(3000, ']') + "}";
    const std::string token = testing::mint(Algorithm::HS256, nullptr, kSecret,
                                            testing::header_for(Algorithm::HS256), nested);
    EXPECT_EQ(v.verify(token, kNow, 1 << 20).error, AuthError::InvalidToken);  // no sub
}

TEST_F(JwtTest, AlgNoneIsNeverAccepted) {
    const JwtVerifier v = verifier({"HS256", "RS256"});
    for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
        const std::string header = object({{"alg", quoted(alg)}, {"typ", quoted("JWT")}});
        const std::string unsigned_token =
            testing::b64(header) + "." + testing::b64(claims()) + ".";
        EXPECT_EQ(error_of(v, unsigned_token), AuthError::AlgorithmNotAllowed) << alg;
        // Not even with something in the signature slot.
        EXPECT_EQ(error_of(v, unsigned_token + "AAAA"), AuthError::AlgorithmNotAllowed) << alg;
    }
    config::JwtIssuerConfig config = testing::issuer_config({"none"});
    EXPECT_FALSE(JwtVerifier::create(config, keys_).verifier);
}

TEST_F(JwtTest, AlgorithmConfusionIsRefused) {
    // HS256 "signed" with the RSA public key's PEM bytes as the HMAC secret, against an
    // issuer configured with that RSA key: the classic confusion attack.
    const std::string pem = testing::public_pem(rsa_.get());
    const std::shared_ptr<const KeySet> rsa_only = KeySet::from_pem(pem).keys;
    const std::string forged = testing::mint(Algorithm::HS256, nullptr, pem,
                                             testing::header_for(Algorithm::HS256), claims());
    EXPECT_EQ(error_of(verifier({"RS256"}, rsa_only), forged), AuthError::AlgorithmNotAllowed);
    // Even when the allow-list carelessly has HS256 too, the key type decides.
    EXPECT_EQ(error_of(verifier({"RS256", "HS256"}, rsa_only), forged),
              AuthError::AlgorithmNotAllowed);
    // And with a kid that names the RSA key in a JWKS.
    const std::string forged_kid = testing::mint(
        Algorithm::HS256, nullptr, pem, testing::header_for(Algorithm::HS256, "rsa"), claims());
    EXPECT_EQ(error_of(verifier({"RS256", "HS256"}), forged_kid), AuthError::AlgorithmNotAllowed);
    // ES256 token against a P-384 key named by kid: the curve is part of the key type.
    const std::string es = testing::mint(Algorithm::ES256, p256_.get(), "",
                                         testing::header_for(Algorithm::ES256, "p384"), claims());
    EXPECT_EQ(error_of(verifier({"ES256", "ES384"}), es), AuthError::AlgorithmNotAllowed);
}

TEST_F(JwtTest, AlgorithmOutsideTheAllowList) {
    EXPECT_EQ(error_of(verifier({"ES256"}), mint(Algorithm::ES384, claims())),
              AuthError::AlgorithmNotAllowed);
    EXPECT_EQ(error_of(verifier({"RS256"}), mint(Algorithm::PS256, claims())),
              AuthError::AlgorithmNotAllowed);
    const std::string header = object({{"alg", quoted("HS1")}});
    EXPECT_EQ(error_of(verifier({"HS256"}),
                       testing::b64(header) + "." + testing::b64(claims()) + ".AAAA"),
              AuthError::AlgorithmNotAllowed);
}

TEST_F(JwtTest, UnknownKid) {
    const std::string token =
        testing::mint(Algorithm::RS256, rsa_.get(), "",
                      testing::header_for(Algorithm::RS256, "retired"), claims());
    EXPECT_EQ(error_of(verifier({"RS256"}), token), AuthError::UnknownKeyId);
}

TEST_F(JwtTest, SignatureOfAnotherKey) {
    const std::string token = testing::mint(Algorithm::RS256, other_rsa_.get(), "",
                                            testing::header_for(Algorithm::RS256, "rsa"), claims());
    EXPECT_EQ(error_of(verifier({"RS256"}), token), AuthError::BadSignature);
    const std::string hs =
        testing::mint(Algorithm::HS256, nullptr, "not-the-secret-not-the-secret!!",
                      testing::header_for(Algorithm::HS256, "hmac"), claims());
    EXPECT_EQ(error_of(verifier({"HS256"}), hs), AuthError::BadSignature);
}

TEST_F(JwtTest, TruncatedSignature) {
    for (const Algorithm alg : kAll) {
        const std::string token = mint(alg, claims());
        const std::size_t dot = token.rfind('.');
        const std::string signature = base64url_decode(token.substr(dot + 1)).value();
        const JwtVerifier v = verifier({std::string(algorithm_name(alg))});
        // Canonical base64url of fewer bytes: well-formed, only too short.
        for (const std::size_t keep :
             {signature.size() - 1, signature.size() / 2, std::size_t{0}}) {
            const std::string truncated =
                token.substr(0, dot + 1) + base64url_encode(signature.substr(0, keep));
            EXPECT_EQ(error_of(v, truncated), AuthError::BadSignature)
                << algorithm_name(alg) << " keeping " << keep;
        }
    }
}

TEST_F(JwtTest, Es256DerSignatureIsRefused) {
    const std::string input =
        testing::b64(testing::header_for(Algorithm::ES256, "p256")) + "." + testing::b64(claims());
    const std::string der = testing::sign_native(Algorithm::ES256, p256_.get(), input);
    EXPECT_EQ(error_of(verifier({"ES256"}), input + "." + testing::b64(der)),
              AuthError::BadSignature);
    // The same signature in JOSE form passes, so the refusal is about the encoding.
    EXPECT_TRUE(verifier({"ES256"})
                    .verify(input + "." + testing::b64(testing::der_to_jose(der, 32)), kNow)
                    .ok());
}

TEST_F(JwtTest, ExpiredWithLeeway) {
    const JwtVerifier v = verifier({"ES256"});  // leeway_s 30 by default
    EXPECT_EQ(error_of(v, mint(Algorithm::ES256, claims({{"exp", std::to_string(kNow - 30)}}))),
              AuthError::TokenExpired);
    EXPECT_TRUE(
        v.verify(mint(Algorithm::ES256, claims({{"exp", std::to_string(kNow - 29)}})), kNow).ok());
    EXPECT_EQ(error_of(v, mint(Algorithm::ES256, claims({{"exp", "1.5"}}))),
              AuthError::TokenExpired);
    // No exp: accepted, and the principal never expires.
    const AuthResult<Principal> forever =
        v.verify(mint(Algorithm::ES256, claims({{"exp", ""}})), kNow);
    ASSERT_TRUE(forever.ok());
    EXPECT_FALSE(forever.value->expires_at);
    // Fractional and enormous NumericDates are read without overflow.
    EXPECT_TRUE(v.verify(mint(Algorithm::ES256, claims({{"exp", "1e300"}})), kNow).ok());
    EXPECT_TRUE(
        v.verify(mint(Algorithm::ES256, claims({{"exp", "18446744073709551615"}})), kNow).ok());
    EXPECT_EQ(error_of(v, mint(Algorithm::ES256, claims({{"exp", "-1e300"}}))),
              AuthError::TokenExpired);
    EXPECT_EQ(error_of(v, mint(Algorithm::ES256, claims({{"exp", quoted("tomorrow")}}))),
              AuthError::InvalidToken);
}

TEST_F(JwtTest, NotYetValid) {
    const JwtVerifier v = verifier({"EdDSA"});
    EXPECT_EQ(error_of(v, mint(Algorithm::EdDSA, claims({{"nbf", std::to_string(kNow + 31)}}))),
              AuthError::TokenNotYetValid);
    EXPECT_TRUE(
        v.verify(mint(Algorithm::EdDSA, claims({{"nbf", std::to_string(kNow + 30)}})), kNow).ok());
    EXPECT_EQ(error_of(v, mint(Algorithm::EdDSA, claims({{"iat", std::to_string(kNow + 3600)}}))),
              AuthError::TokenNotYetValid);
    EXPECT_EQ(error_of(v, mint(Algorithm::EdDSA, claims({{"nbf", "null"}}))),
              AuthError::InvalidToken);
}

TEST_F(JwtTest, WrongIssuer) {
    config::JwtIssuerConfig config = testing::issuer_config({});
    config.issuer = "https://id.example.com";
    const JwtVerifier v = verifier({"PS256"}, nullptr, config);
    EXPECT_TRUE(
        v.verify(mint(Algorithm::PS256, claims({{"iss", quoted("https://id.example.com")}})), kNow)
            .ok());
    EXPECT_EQ(
        error_of(v, mint(Algorithm::PS256, claims({{"iss", quoted("https://evil.example.com")}}))),
        AuthError::IssuerMismatch);
    EXPECT_EQ(error_of(v, mint(Algorithm::PS256, claims())), AuthError::IssuerMismatch);
    EXPECT_EQ(error_of(v, mint(Algorithm::PS256, claims({{"iss", "7"}}))), AuthError::InvalidToken);
}

TEST_F(JwtTest, WrongAudience) {
    config::JwtIssuerConfig config = testing::issuer_config({});
    config.audience = {"chat", "api"};
    const JwtVerifier v = verifier({"HS512"}, nullptr, config);
    EXPECT_TRUE(v.verify(mint(Algorithm::HS512, claims({{"aud", quoted("api")}})), kNow).ok());
    EXPECT_TRUE(v.verify(mint(Algorithm::HS512, claims({{"aud", R"(["x","chat"])"}})), kNow).ok());
    EXPECT_EQ(error_of(v, mint(Algorithm::HS512, claims({{"aud", quoted("billing")}}))),
              AuthError::AudienceMismatch);
    EXPECT_EQ(error_of(v, mint(Algorithm::HS512, claims({{"aud", R"(["x","y"])"}}))),
              AuthError::AudienceMismatch);
    EXPECT_EQ(error_of(v, mint(Algorithm::HS512, claims({{"aud", "[]"}}))),
              AuthError::AudienceMismatch);
    EXPECT_EQ(error_of(v, mint(Algorithm::HS512, claims())), AuthError::AudienceMismatch);
    EXPECT_EQ(error_of(v, mint(Algorithm::HS512, claims({{"aud", R"(["chat",1])"}}))),
              AuthError::InvalidToken);
    // No audience configured: aud is not looked at.
    EXPECT_TRUE(
        verifier({"HS512"}).verify(mint(Algorithm::HS512, claims({{"aud", "{}"}})), kNow).ok());
}

TEST_F(JwtTest, HeaderFieldsOfTheWrongTypeAndCrit) {
    const JwtVerifier v = verifier({"HS256"});
    const auto with_header = [&](const std::string& header) {
        return testing::mint(Algorithm::HS256, nullptr, kSecret, header, claims());
    };
    EXPECT_EQ(error_of(v, with_header(R"({"alg":"HS256","kid":7})")), AuthError::InvalidToken);
    EXPECT_EQ(error_of(v, with_header(R"({"alg":"HS256","typ":{}})")), AuthError::InvalidToken);
    EXPECT_EQ(error_of(v, with_header(R"({"alg":["HS256"]})")), AuthError::InvalidToken);
    EXPECT_EQ(error_of(v, with_header(R"({"typ":"JWT"})")), AuthError::InvalidToken);
    EXPECT_EQ(error_of(v, with_header(R"({"alg":"HS256","crit":["exp"],"exp":1})")),
              AuthError::InvalidToken);
    EXPECT_EQ(error_of(v, with_header(R"({"alg":"HS256","alg":"none"})")), AuthError::InvalidToken);
    EXPECT_TRUE(v.verify(with_header(R"({"alg":"HS256"})"), kNow).ok());  // typ is optional
}

TEST_F(JwtTest, DuplicateClaimsAreRefused) {
    const std::string payload = R"({"sub":"alice","sub":"admin"})";
    EXPECT_EQ(error_of(verifier({"HS256"}),
                       testing::mint(Algorithm::HS256, nullptr, kSecret,
                                     testing::header_for(Algorithm::HS256), payload)),
              AuthError::InvalidToken);
}

TEST_F(JwtTest, CreateRefusesBadIssuerConfig) {
    config::JwtIssuerConfig config = testing::issuer_config({"RS256", "XX999"});
    EXPECT_FALSE(JwtVerifier::create(config, keys_).verifier);
    config = testing::issuer_config({});
    EXPECT_FALSE(JwtVerifier::create(config, keys_).verifier);
    config = testing::issuer_config({"RS256"});
    config.roles_claim = "/realm_access/~2";  // "~2" is no RFC 6901 escape
    EXPECT_FALSE(JwtVerifier::create(config, keys_).verifier);
    config = testing::issuer_config({"RS256"});
    config.principal_claim = "";
    EXPECT_FALSE(JwtVerifier::create(config, keys_).verifier);
    // An allowed algorithm that no key can verify is worth a warning.
    config = testing::issuer_config({"RS256", "ES512"});
    const JwtVerifierResult warned =
        JwtVerifier::create(config, KeySet::from_pem(testing::public_pem(rsa_.get())).keys);
    ASSERT_TRUE(warned.verifier);
    EXPECT_EQ(warned.warnings.size(), 1U);
}

}  // namespace
}  // namespace stampede::auth
