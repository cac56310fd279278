// Several issuers at once: choosing by iss, first acceptance wins, the most telling error when
// none accepts, revocation, key rotation and loading from config files.
#include "auth/guards.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "jose_signer.hpp"
#include "jwt_test_util.hpp"

namespace stampede::auth {
namespace {

using testing::object;
using testing::PrivateKey;
using testing::quoted;

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kPartnerSecret = "partner-secret-partner-secret-partner";

class GuardsTest : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        mobile_ = testing::generate_ec("P-256");
        web_ = testing::generate_rsa();
        web_next_ = testing::generate_rsa();
    }

    static JwtVerifier make(const std::string& name, const std::string& issuer,
                            std::vector<std::string> algorithms,
                            std::shared_ptr<const KeySet> keys) {
        config::JwtIssuerConfig config = testing::issuer_config(std::move(algorithms), name);
        config.issuer = issuer;
        JwtVerifierResult built = JwtVerifier::create(config, std::move(keys));
        EXPECT_TRUE(built.verifier) << built.error;
        return *built.verifier;
    }

    // mobile: ES256, iss "https://mobile"; web: RS256 JWKS, iss "https://web";
    // partner: HS256, any iss.
    static Guards guards() {
        return Guards(
            {make("mobile", "https://mobile", {"ES256"},
                  KeySet::from_pem(testing::public_pem(mobile_.get())).keys),
             make("web", "https://web", {"RS256"},
                  KeySet::from_jwks(R"({"keys":[)" + testing::public_jwk(web_.get(), "w1") + "]}")
                      .keys),
             make("partner", "", {"HS256"}, KeySet::from_secret(kPartnerSecret).keys)});
    }

    static std::string claims(const std::string& iss, std::int64_t exp = kNow + 60,
                              const std::string& jti = "") {
        std::vector<std::pair<std::string, std::string>> members = {{"sub", quoted("bob")},
                                                                    {"exp", std::to_string(exp)}};
        if (!iss.empty()) {
            members.emplace_back("iss", quoted(iss));
        }
        if (!jti.empty()) {
            members.emplace_back("jti", quoted(jti));
        }
        return object(members);
    }

    static std::string es256(const std::string& payload) {
        return testing::mint(Algorithm::ES256, mobile_.get(), "",
                             testing::header_for(Algorithm::ES256), payload);
    }
    static std::string rs256(EVP_PKEY* key, const std::string& kid, const std::string& payload) {
        return testing::mint(Algorithm::RS256, key, "", testing::header_for(Algorithm::RS256, kid),
                             payload);
    }
    static std::string hs256(const std::string& payload) {
        return testing::mint(Algorithm::HS256, nullptr, kPartnerSecret,
                             testing::header_for(Algorithm::HS256), payload);
    }

    static inline PrivateKey mobile_, web_, web_next_;
};

TEST_F(GuardsTest, EachTokenFindsItsIssuer) {
    const Guards g = guards();
    AuthResult<Principal> result = g.verify(es256(claims("https://mobile")), kNow);
    ASSERT_TRUE(result.ok()) << result.detail;
    EXPECT_EQ(result.value->issuer, "mobile");
    result = g.verify(rs256(web_.get(), "w1", claims("https://web")), kNow);
    ASSERT_TRUE(result.ok()) << result.detail;
    EXPECT_EQ(result.value->issuer, "web");
    // The issuer-less guard takes any iss, and none.
    result = g.verify(hs256(claims("https://partner.example")), kNow);
    ASSERT_TRUE(result.ok()) << result.detail;
    EXPECT_EQ(result.value->issuer, "partner");
    EXPECT_TRUE(g.verify(hs256(claims("")), kNow).ok());
}

TEST_F(GuardsTest, IssuerPinnedGuardsIgnoreOtherIss) {
    // Signed with the mobile key but claiming the web issuer: only web and partner are tried.
    const AuthResult<Principal> result = guards().verify(es256(claims("https://web")), kNow);
    EXPECT_EQ(result.error, AuthError::AlgorithmNotAllowed);
    const Guards pinned_only({make("mobile", "https://mobile", {"ES256"},
                                   KeySet::from_pem(testing::public_pem(mobile_.get())).keys)});
    EXPECT_EQ(pinned_only.verify(es256(claims("https://other")), kNow).error,
              AuthError::IssuerMismatch);
    EXPECT_EQ(pinned_only.verify(es256(claims("")), kNow).error, AuthError::IssuerMismatch);
    EXPECT_EQ(Guards({}).verify(es256(claims("")), kNow).error, AuthError::IssuerMismatch);
}

TEST_F(GuardsTest, MostTellingErrorWins) {
    const Guards g = guards();
    // Genuine but expired: "token expired", though the partner guard saw a bad algorithm.
    EXPECT_EQ(g.verify(es256(claims("https://mobile", kNow - 3600)), kNow).error,
              AuthError::TokenExpired);
    // Wrong key: "bad token signature" beats the partner guard's "algorithm not allowed".
    EXPECT_EQ(g.verify(rs256(web_next_.get(), "w1", claims("https://web")), kNow).error,
              AuthError::BadSignature);
    // Unknown kid beats algorithm not allowed.
    EXPECT_EQ(g.verify(rs256(web_.get(), "w9", claims("https://web")), kNow).error,
              AuthError::UnknownKeyId);
    // Parse errors are reported as they are.
    EXPECT_EQ(g.verify("a.b", kNow).error, AuthError::InvalidToken);
    EXPECT_EQ(g.verify(std::string(20000, 'x'), kNow).error, AuthError::TokenTooLarge);
}

TEST_F(GuardsTest, FirstAcceptingGuardInFileOrderWins) {
    const std::shared_ptr<const KeySet> shared = KeySet::from_secret(kPartnerSecret).keys;
    const Guards g({make("first", "", {"HS256"}, shared), make("second", "", {"HS256"}, shared)});
    const AuthResult<Principal> result = g.verify(hs256(claims("")), kNow);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value->issuer, "first");
}

TEST_F(GuardsTest, RevokedJti) {
    RevocationList revoked({"logged-out"});
    const Guards g = guards();
    EXPECT_EQ(g.verify(hs256(claims("", kNow + 60, "logged-out")), kNow, &revoked).error,
              AuthError::TokenRevoked);
    EXPECT_TRUE(g.verify(hs256(claims("", kNow + 60, "still-in")), kNow, &revoked).ok());
    EXPECT_TRUE(g.verify(hs256(claims("", kNow + 60, "logged-out")), kNow).ok());
}

TEST_F(GuardsTest, KeyRotationSwapsOneIssuer) {
    const auto g = std::make_shared<const Guards>(guards());
    const std::string next_token = rs256(web_next_.get(), "w2", claims("https://web"));
    EXPECT_EQ(g->verify(next_token, kNow).error, AuthError::UnknownKeyId);
    const KeySetResult rotated =
        KeySet::from_jwks(R"({"keys":[)" + testing::public_jwk(web_.get(), "w1") + "," +
                          testing::public_jwk(web_next_.get(), "w2") + "]}");
    ASSERT_TRUE(rotated.ok());
    const std::shared_ptr<const Guards> next = g->with_keys("web", rotated.keys);
    ASSERT_TRUE(next);
    EXPECT_TRUE(next->verify(next_token, kNow).ok());
    EXPECT_TRUE(next->verify(rs256(web_.get(), "w1", claims("https://web")), kNow).ok());
    EXPECT_TRUE(next->verify(es256(claims("https://mobile")), kNow).ok());
    EXPECT_FALSE(g->with_keys("nobody", rotated.keys));
    EXPECT_NE(next->find("web"), nullptr);
    EXPECT_EQ(next->find("nobody"), nullptr);
}

TEST(RevocationListTest, LinesCommentsAndBlanks) {
    RevocationList list;
    list.add_lines("a\n  b  \r\n\n# comment\n\t#c\nd");
    EXPECT_TRUE(list.contains("a"));
    EXPECT_TRUE(list.contains("b"));
    EXPECT_TRUE(list.contains("d"));
    EXPECT_FALSE(list.contains("#c"));
    EXPECT_FALSE(list.contains(""));
    EXPECT_EQ(list.size(), 3U);
}

TEST(RevocationListTest, LoadFromConfigAndFile) {
    const std::string path = ::testing::TempDir() + "/stampede_revoked.txt";
    std::ofstream(path) << "x1\nx2\n";
    RevocationListResult result = load_revocation_list({"c1"}, path);
    ASSERT_TRUE(result.list) << result.error;
    EXPECT_TRUE(result.list->contains("c1"));
    EXPECT_TRUE(result.list->contains("x2"));
    std::ofstream(path).close();  // empty file: fine
    EXPECT_TRUE(load_revocation_list({}, path).list);
    std::remove(path.c_str());
    EXPECT_FALSE(load_revocation_list({}, path).list);
    EXPECT_TRUE(load_revocation_list({"c1"}, "").list);
}

TEST_F(GuardsTest, LoadGuardsFromConfig) {
    const std::string path = ::testing::TempDir() + "/stampede_guards_jwks.json";
    std::ofstream(path) << R"({"keys":[)" << testing::public_jwk(web_.get(), "w1") << "]}";
    config::JwtIssuerConfig web = testing::issuer_config({"RS256"}, "web");
    web.keys.jwks_file = path;
    config::JwtIssuerConfig partner = testing::issuer_config({"HS256"}, "partner");
    partner.keys.secret = std::string(kPartnerSecret);
    GuardsResult loaded = load_guards({web, partner}, 4096);
    ASSERT_TRUE(loaded.guards) << (loaded.errors.empty() ? "" : loaded.errors[0]);
    EXPECT_EQ(loaded.guards->max_token_bytes(), 4096U);
    EXPECT_TRUE(loaded.guards->verify(rs256(web_.get(), "w1", claims("")), kNow).ok());

    std::ofstream(path) << "{ not json";
    loaded = load_guards({web, partner}, 4096);
    EXPECT_FALSE(loaded.guards);
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_NE(loaded.errors[0].find("web"), std::string::npos) << loaded.errors[0];
    std::remove(path.c_str());
}

}  // namespace
}  // namespace stampede::auth
