// EVP signature verification per algorithm: RFC example signatures (RFC 7515 A.4, RFC 8037
// A.4/A.5) and signatures made by the test signer for every algorithm, then broken in every
// way a forger or a confused client would break them.
#include "auth/signature.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/jwks.hpp"
#include "jose_signer.hpp"

namespace stampede::auth {
namespace {

using testing::PrivateKey;

const Key& only_key(const KeySetResult& set) {
    EXPECT_TRUE(set.ok()) << set.error;
    return set.keys->keys().at(0);
}

std::string decode(std::string_view text) {
    std::optional<std::string> bytes = base64url_decode(text);
    EXPECT_TRUE(bytes) << text;
    return bytes.value_or("");
}

// RFC 7515 appendix A.4: ES512 over the payload "Payload" (not a JWT, so checked here).
TEST(Signature, Rfc7515A4Es512) {
    const KeySetResult set = KeySet::from_jwks(
        R"({"kty":"EC","crv":"P-521",)"
        R"("x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",)"
        R"("y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"})");
    const std::string signature = decode(
        "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI"
        "-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO"
        "7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn");
    const Key& key = only_key(set);
    EXPECT_EQ(key.type, KeyType::EcP521);
    EXPECT_EQ(signature.size(), 132U);
    EXPECT_TRUE(
        verify_signature(Algorithm::ES512, key, "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA", signature));
    EXPECT_FALSE(
        verify_signature(Algorithm::ES512, key, "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZB", signature));
}

// RFC 8037 appendix A.4 (signing) / A.5 (validation): Ed25519.
TEST(Signature, Rfc8037Ed25519) {
    const KeySetResult set = KeySet::from_jwks(
        R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
    const Key& key = only_key(set);
    EXPECT_EQ(key.type, KeyType::Ed25519);
    const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    const std::string signature = decode(
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
    EXPECT_TRUE(verify_signature(Algorithm::EdDSA, key, input, signature));
    EXPECT_FALSE(verify_signature(Algorithm::EdDSA, key, input + "x", signature));
    std::string flipped = signature;
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    EXPECT_FALSE(verify_signature(Algorithm::EdDSA, key, input, flipped));
}

struct Case {
    Algorithm alg;
    PrivateKey key;  // null for HMAC
};

class SignatureEveryAlgorithm : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        rsa_ = testing::generate_rsa();
        other_rsa_ = testing::generate_rsa();
        p256_ = testing::generate_ec("P-256");
        p384_ = testing::generate_ec("P-384");
        p521_ = testing::generate_ec("P-521");
        ed_ = testing::generate_ed25519();
    }
    static std::vector<Case> cases() {
        return {
            {Algorithm::HS256, nullptr}, {Algorithm::HS384, nullptr}, {Algorithm::HS512, nullptr},
            {Algorithm::RS256, rsa_},    {Algorithm::RS384, rsa_},    {Algorithm::RS512, rsa_},
            {Algorithm::PS256, rsa_},    {Algorithm::PS384, rsa_},    {Algorithm::PS512, rsa_},
            {Algorithm::ES256, p256_},   {Algorithm::ES384, p384_},   {Algorithm::ES512, p521_},
            {Algorithm::EdDSA, ed_}};
    }
    static Key key_for(const Case& c) {
        if (!c.key) {
            return only_key(KeySet::from_secret(kSecret));
        }
        return only_key(KeySet::from_pem(testing::public_pem(c.key.get())));
    }
    static std::string sign(const Case& c, std::string_view input) {
        return testing::sign(c.alg, c.key.get(), kSecret, input);
    }

    static constexpr std::string_view kSecret = "a-test-secret-of-32-bytes-or-more!!";
    static constexpr std::string_view kInput = "eyJhIjoxfQ.eyJiIjoyfQ";
    static inline PrivateKey rsa_, other_rsa_, p256_, p384_, p521_, ed_;
};

TEST_F(SignatureEveryAlgorithm, GoodSignaturesVerify) {
    for (const Case& c : cases()) {
        EXPECT_TRUE(verify_signature(c.alg, key_for(c), kInput, sign(c, kInput)))
            << algorithm_name(c.alg);
    }
}

TEST_F(SignatureEveryAlgorithm, TamperedInputOrSignatureFails) {
    for (const Case& c : cases()) {
        const Key key = key_for(c);
        std::string signature = sign(c, kInput);
        EXPECT_FALSE(verify_signature(c.alg, key, "eyJhIjoxfQ.eyJiIjozfQ", signature))
            << algorithm_name(c.alg);
        signature.back() = static_cast<char>(signature.back() ^ 0x40);
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, signature)) << algorithm_name(c.alg);
    }
}

TEST_F(SignatureEveryAlgorithm, TruncatedOrExtendedSignatureFails) {
    for (const Case& c : cases()) {
        const Key key = key_for(c);
        const std::string signature = sign(c, kInput);
        EXPECT_FALSE(
            verify_signature(c.alg, key, kInput, signature.substr(0, signature.size() - 1)))
            << algorithm_name(c.alg);
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, signature.substr(0, 16)));
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, signature + '\0'))
            << algorithm_name(c.alg);
        EXPECT_FALSE(verify_signature(c.alg, key, kInput, ""));
    }
}

TEST_F(SignatureEveryAlgorithm, SignatureOfAnotherKeyFails) {
    const Key other_secret = only_key(KeySet::from_secret("another-secret-another-secret-xx"));
    EXPECT_FALSE(verify_signature(Algorithm::HS256, other_secret, kInput,
                                  sign({Algorithm::HS256, nullptr}, kInput)));
    const Key other_rsa = only_key(KeySet::from_pem(testing::public_pem(other_rsa_.get())));
    EXPECT_FALSE(verify_signature(Algorithm::RS256, other_rsa, kInput,
                                  sign({Algorithm::RS256, rsa_}, kInput)));
    EXPECT_FALSE(verify_signature(Algorithm::PS256, other_rsa, kInput,
                                  sign({Algorithm::PS256, rsa_}, kInput)));
}

TEST_F(SignatureEveryAlgorithm, EcdsaDerSignatureIsRefused) {
    for (const Case& c : cases()) {
        if (!algorithm_name(c.alg).starts_with("ES")) {
            continue;
        }
        const std::string der = testing::sign_native(c.alg, c.key.get(), kInput);
        EXPECT_FALSE(verify_signature(c.alg, key_for(c), kInput, der)) << algorithm_name(c.alg);
    }
}

TEST_F(SignatureEveryAlgorithm, PkcsAndPssAreNotInterchangeable) {
    const Key key = key_for({Algorithm::RS256, rsa_});
    EXPECT_FALSE(
        verify_signature(Algorithm::PS256, key, kInput, sign({Algorithm::RS256, rsa_}, kInput)));
    EXPECT_FALSE(
        verify_signature(Algorithm::RS256, key, kInput, sign({Algorithm::PS256, rsa_}, kInput)));
    EXPECT_FALSE(
        verify_signature(Algorithm::RS384, key, kInput, sign({Algorithm::RS256, rsa_}, kInput)));
}

TEST_F(SignatureEveryAlgorithm, KeyOfTheWrongTypeNeverVerifies) {
    // The table is enforced at the last step too: an HS256 MAC keyed with the RSA key's PEM
    // text must not be checked against anything.
    const Case rsa{Algorithm::RS256, rsa_};
    const std::string pem = testing::public_pem(rsa_.get());
    const std::string mac = testing::hmac(Algorithm::HS256, pem, kInput);
    EXPECT_FALSE(verify_signature(Algorithm::HS256, key_for(rsa), kInput, mac));
    EXPECT_FALSE(verify_signature(Algorithm::ES256, key_for({Algorithm::ES384, p384_}), kInput,
                                  sign({Algorithm::ES384, p384_}, kInput)));
    Key restricted = key_for(rsa);
    restricted.algorithm = Algorithm::RS512;  // a JWK "alg" pins the key to one algorithm
    EXPECT_FALSE(verify_signature(Algorithm::RS256, restricted, kInput, sign(rsa, kInput)));
}

}  // namespace
}  // namespace stampede::auth
