// How a verified token becomes a Principal: principal_claim and roles_claim as claim names
// (plain, Cognito's "cognito:groups", Auth0's URL-named claims) or JSON Pointers (Keycloak's
// /realm_access/roles), roles as arrays or space-separated strings (OAuth scope), and jti.
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "jose_signer.hpp"
#include "jwt_test_util.hpp"

namespace stampede::auth {
namespace {

using testing::quoted;

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kSecret = "claims-secret-claims-secret-claims-secret";

AuthResult<Principal> verify(const std::string& payload, const std::string& principal_claim,
                             const std::string& roles_claim) {
    config::JwtIssuerConfig config = testing::issuer_config({"HS256"}, "web");
    config.principal_claim = principal_claim;
    config.roles_claim = roles_claim;
    const JwtVerifierResult built = JwtVerifier::create(config, KeySet::from_secret(kSecret).keys);
    EXPECT_TRUE(built.verifier) << built.error;
    const std::string token = testing::mint(Algorithm::HS256, nullptr, kSecret,
                                            testing::header_for(Algorithm::HS256), payload);
    return built.verifier->verify(token, kNow);
}

std::vector<std::string> roles_of(const std::string& payload, const std::string& roles_claim) {
    const AuthResult<Principal> result = verify(payload, "sub", roles_claim);
    EXPECT_TRUE(result.ok()) << to_text(result.error) << " " << result.detail;
    return result.ok() ? result.value->roles : std::vector<std::string>{"<failed>"};
}

using Roles = std::vector<std::string>;

TEST(JwtClaims, RolesFromAClaimName) {
    EXPECT_EQ(roles_of(R"({"sub":"a","roles":["x","y"]})", "roles"), (Roles{"x", "y"}));
    EXPECT_EQ(roles_of(R"({"sub":"a","cognito:groups":["admins"]})", "cognito:groups"),
              (Roles{"admins"}));
    EXPECT_EQ(roles_of(R"({"sub":"a","https://example.com/roles":["editor"]})",
                       "https://example.com/roles"),
              (Roles{"editor"}));
}

TEST(JwtClaims, RolesFromAJsonPointer) {
    EXPECT_EQ(roles_of(R"({"sub":"a","realm_access":{"roles":["member","offline"]}})",
                       "/realm_access/roles"),
              (Roles{"member", "offline"}));
    // RFC 6901 escapes: ~1 is '/', ~0 is '~'.
    EXPECT_EQ(roles_of(R"({"sub":"a","a/b":{"c~d":["z"]}})", "/a~1b/c~0d"), (Roles{"z"}));
    EXPECT_EQ(roles_of(R"({"sub":"a","groups":[["g1"],["g2","g3"]]})", "/groups/1"),
              (Roles{"g2", "g3"}));
    // A pointer to nowhere means no roles, as a missing claim does.
    EXPECT_EQ(roles_of(R"({"sub":"a","realm_access":{}})", "/realm_access/roles"), Roles{});
    EXPECT_EQ(roles_of(R"({"sub":"a"})", "/realm_access/roles"), Roles{});
}

TEST(JwtClaims, RolesFromAScopeString) {
    EXPECT_EQ(roles_of(R"({"sub":"a","scope":"chat:read  chat:write "})", "scope"),
              (Roles{"chat:read", "chat:write"}));
    EXPECT_EQ(roles_of(R"({"sub":"a","scope":""})", "scope"), Roles{});
}

TEST(JwtClaims, MissingNullOrUnconfiguredRolesAreNone) {
    EXPECT_EQ(roles_of(R"({"sub":"a"})", "roles"), Roles{});
    EXPECT_EQ(roles_of(R"({"sub":"a","roles":null})", "roles"), Roles{});
    EXPECT_EQ(roles_of(R"({"sub":"a","roles":["x"]})", ""), Roles{});
}

TEST(JwtClaims, RolesOfTheWrongTypeAreAnInvalidToken) {
    for (const char* payload : {R"({"sub":"a","roles":7})", R"({"sub":"a","roles":{"x":1}})",
                                R"({"sub":"a","roles":["x",1]})", R"({"sub":"a","roles":true})",
                                R"({"sub":"a","roles":[["x"]]})"}) {
        EXPECT_EQ(verify(payload, "sub", "roles").error, AuthError::InvalidToken) << payload;
    }
}

TEST(JwtClaims, PrincipalClaim) {
    AuthResult<Principal> result = verify(R"({"sub":"u1","email":"a@example.com"})", "email", "");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value->name, "a@example.com");
    EXPECT_EQ(result.value->issuer, "web");
    result = verify(R"({"user":{"id":"u42"}})", "/user/id", "");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value->name, "u42");
    // Control characters could forge headers where the principal is stamped (x-sender).
    for (const char* payload :
         {R"({"name":"x"})", R"({"sub":""})", R"({"sub":12})", R"({"sub":null})",
          R"({"sub":["a"]})", R"({"sub":"a\nx-y:z"})", R"({"sub":"a\r"})", R"({"sub":"a\u0000b"})",
          R"({"sub":"\u007f"})"}) {
        EXPECT_EQ(verify(payload, "sub", "").error, AuthError::InvalidToken) << payload;
    }
}

// Two issuers ("guards") whose ids overlap: the same sub is two principals.
TEST(JwtClaims, PrincipalPrefixKeepsTwoIssuersApart) {
    const auto principal_of = [](const std::string& name, const std::string& prefix) {
        config::JwtIssuerConfig config = testing::issuer_config({"HS256"}, name);
        config.principal_prefix = prefix;
        const JwtVerifierResult built =
            JwtVerifier::create(config, KeySet::from_secret(kSecret).keys);
        EXPECT_TRUE(built.verifier) << built.error;
        const std::string token =
            testing::mint(Algorithm::HS256, nullptr, kSecret, testing::header_for(Algorithm::HS256),
                          R"({"sub":"7"})");
        const AuthResult<Principal> result = built.verifier->verify(token, kNow);
        EXPECT_TRUE(result.ok()) << result.detail;
        return result.ok() ? result.value->name : std::string("<failed>");
    };
    EXPECT_EQ(principal_of("users", "user:"), "user:7");
    EXPECT_EQ(principal_of("members", "member:"), "member:7");
    EXPECT_EQ(principal_of("plain", ""), "7");
    // A prefix is part of what x-sender shows: a control character is refused here too.
    config::JwtIssuerConfig bad = testing::issuer_config({"HS256"}, "bad");
    bad.principal_prefix = "m\n";
    EXPECT_FALSE(JwtVerifier::create(bad, KeySet::from_secret(kSecret).keys).verifier);
}

TEST(JwtClaims, JtiIsKeptForRevocation) {
    AuthResult<Principal> result = verify(R"({"sub":"a","jti":"abc-123"})", "sub", "");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value->jti, "abc-123");
    result = verify(R"({"sub":"a"})", "sub", "");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value->jti, "");
    // A jti no revocation list could name would make the token unrevocable.
    EXPECT_EQ(verify(R"({"sub":"a","jti":123})", "sub", "").error, AuthError::InvalidToken);
}

TEST(JwtClaims, UnicodeAndEscapesSurvive) {
    const AuthResult<Principal> result =
        verify(R"({"sub":"J\u00f6rg \"the\" user","roles":["r\u00e9le"]})", "sub", "roles");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value->name, "J\xc3\xb6rg \"the\" user");
    EXPECT_EQ(result.value->roles, (Roles{"r\xc3\xa9le"}));
}

}  // namespace
}  // namespace stampede::auth
