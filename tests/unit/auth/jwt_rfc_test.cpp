// The JWS examples of RFC 7515 appendix A (A.1 HS256, A.2 RS256, A.3 ES256) verified end to end
// by JwtVerifier, with the keys the RFC gives as JWKs. Their claims are {"iss":"joe",
// "exp":1300819380,"http://example.com/is_root":true}: there is no sub, so iss names the
// principal here.
#include <gtest/gtest.h>

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"
#include "jwt_test_util.hpp"

namespace stampede::auth {
namespace {

constexpr const char* kClaims =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr std::int64_t kBeforeExp = 1300819000;
constexpr std::int64_t kExp = 1300819380;

constexpr const char* kA1Key =
    R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
constexpr const char* kA1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.{}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

constexpr const char* kA2Key =
    R"({"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})";
constexpr const char* kA2Token =
    "eyJhbGciOiJSUzI1NiJ9.{}."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
    "O8W2Fp5jujG"
    "bds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

constexpr const char* kA3Key =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr const char* kA3Token =
    "eyJhbGciOiJFUzI1NiJ9.{}."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

std::string token(const char* pattern) {
    std::string text = pattern;
    text.replace(text.find("{}"), 2, kClaims);
    return text;
}

JwtVerifier rfc_verifier(const char* alg, const char* jwk) {
    config::JwtIssuerConfig config = testing::issuer_config({alg});
    config.issuer = "joe";
    config.principal_claim = "iss";
    config.roles_claim = "";
    const KeySetResult keys = KeySet::from_jwks(jwk);
    EXPECT_TRUE(keys.ok()) << keys.error;
    JwtVerifierResult built = JwtVerifier::create(config, keys.keys);
    EXPECT_TRUE(built.verifier) << built.error;
    return *built.verifier;
}

struct RfcExample {
    const char* name;
    const char* alg;
    const char* key;
    const char* token;
};

const RfcExample kExamples[] = {{"A.1", "HS256", kA1Key, kA1Token},
                                {"A.2", "RS256", kA2Key, kA2Token},
                                {"A.3", "ES256", kA3Key, kA3Token}};

TEST(JwtRfc7515, AppendixAExamplesVerify) {
    for (const RfcExample& example : kExamples) {
        const JwtVerifier verifier = rfc_verifier(example.alg, example.key);
        const AuthResult<Principal> result = verifier.verify(token(example.token), kBeforeExp);
        ASSERT_TRUE(result.ok()) << example.name << ": " << to_text(result.error) << " "
                                 << result.detail;
        EXPECT_EQ(result.value->name, "joe");
        EXPECT_EQ(result.value->issuer, "members");
        EXPECT_EQ(result.value->expires_at, kExp);
        EXPECT_TRUE(result.value->roles.empty());
    }
}

TEST(JwtRfc7515, AppendixAExamplesExpireWithLeeway) {
    for (const RfcExample& example : kExamples) {
        const JwtVerifier verifier = rfc_verifier(example.alg, example.key);
        // The default leeway is 30 s: still good 29 s after exp, expired at 30 s.
        EXPECT_TRUE(verifier.verify(token(example.token), kExp + 29).ok()) << example.name;
        EXPECT_EQ(verifier.verify(token(example.token), kExp + 30).error, AuthError::TokenExpired)
            << example.name;
    }
}

TEST(JwtRfc7515, AppendixAExamplesRefuseAnyChange) {
    for (const RfcExample& example : kExamples) {
        const JwtVerifier verifier = rfc_verifier(example.alg, example.key);
        // Same JSON with exp one second later, re-encoded: still well-formed, wrongly signed.
        std::string claims = base64url_decode(kClaims).value();
        claims.replace(claims.find("1300819380"), 10, "1300819381");
        std::string changed = token(example.token);
        changed.replace(changed.find(kClaims), std::string_view(kClaims).size(),
                        base64url_encode(claims));
        EXPECT_EQ(verifier.verify(changed, kBeforeExp).error, AuthError::BadSignature)
            << example.name;
    }
}

TEST(JwtRfc7515, UrlNamedClaimIsFound) {
    // "http://example.com/is_root" holds a boolean: reading it as roles must fail as a type
    // error, which proves the URL-named member was found rather than taken as a pointer.
    config::JwtIssuerConfig config = testing::issuer_config({"HS256"});
    config.principal_claim = "iss";
    config.roles_claim = "http://example.com/is_root";
    const JwtVerifierResult built = JwtVerifier::create(config, KeySet::from_jwks(kA1Key).keys);
    ASSERT_TRUE(built.verifier);
    const AuthResult<Principal> result = built.verifier->verify(token(kA1Token), kBeforeExp);
    EXPECT_EQ(result.error, AuthError::InvalidToken);
    EXPECT_NE(result.detail.find("is_root"), std::string::npos) << result.detail;
}

}  // namespace
}  // namespace stampede::auth
