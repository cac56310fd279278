// KeySet: secrets, PEM (SPKI, PKCS#1, certificates), JWKS documents (RFC 7517) and their
// refusals, and key selection by kid and by the algorithm -> key type table.
#include "auth/jwks.hpp"

#include <gtest/gtest.h>
#include <openssl/encoder.h>
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>

#include "jose_signer.hpp"

namespace stampede::auth {
namespace {

using testing::PrivateKey;

// RFC 7515 A.2's RSA key and A.3's EC key, public parts.
constexpr const char* kRfcRsaJwk =
    R"({"kty":"RSA","kid":"rfc-rsa","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})";
constexpr const char* kRfcEcJwk =
    R"({"kty":"EC","kid":"rfc-ec","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

class KeySetTest : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        rsa_ = testing::generate_rsa();
        p256_ = testing::generate_ec("P-256");
        p384_ = testing::generate_ec("P-384");
        p521_ = testing::generate_ec("P-521");
        ed_ = testing::generate_ed25519();
    }
    static inline PrivateKey rsa_, p256_, p384_, p521_, ed_;
};

TEST_F(KeySetTest, SecretIsAnHmacKeyOnly) {
    const KeySetResult set = KeySet::from_secret("0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(set.ok()) << set.error;
    ASSERT_EQ(set.keys->keys().size(), 1U);
    EXPECT_EQ(set.keys->keys()[0].type, KeyType::Secret);
    EXPECT_TRUE(set.keys->supports(Algorithm::HS256));
    EXPECT_TRUE(set.keys->supports(Algorithm::HS512));
    EXPECT_FALSE(set.keys->supports(Algorithm::RS256));
    EXPECT_FALSE(KeySet::from_secret("").ok());
}

TEST_F(KeySetTest, PemKeysAreTypedByWhatTheyAre) {
    const std::vector<std::pair<PrivateKey, KeyType>> cases = {{rsa_, KeyType::Rsa},
                                                               {p256_, KeyType::EcP256},
                                                               {p384_, KeyType::EcP384},
                                                               {p521_, KeyType::EcP521},
                                                               {ed_, KeyType::Ed25519}};
    for (const auto& [key, type] : cases) {
        const KeySetResult set = KeySet::from_pem(testing::public_pem(key.get()));
        ASSERT_TRUE(set.ok()) << set.error;
        EXPECT_EQ(set.keys->keys()[0].type, type) << key_type_name(type);
        EXPECT_TRUE(set.keys->keys()[0].kid.empty());
    }
}

TEST_F(KeySetTest, PemPkcs1RsaPublicKeyAndCertificate) {
    // "type-specific" is PKCS#1 for RSA: -----BEGIN RSA PUBLIC KEY-----.
    OSSL_ENCODER_CTX* encoder = OSSL_ENCODER_CTX_new_for_pkey(rsa_.get(), EVP_PKEY_PUBLIC_KEY,
                                                              "PEM", "type-specific", nullptr);
    unsigned char* encoded = nullptr;
    size_t encoded_length = 0;
    ASSERT_EQ(OSSL_ENCODER_to_data(encoder, &encoded, &encoded_length), 1);
    OSSL_ENCODER_CTX_free(encoder);
    const std::string pkcs1(reinterpret_cast<char*>(encoded), encoded_length);
    OPENSSL_free(encoded);
    char* data = nullptr;
    ASSERT_NE(pkcs1.find("BEGIN RSA PUBLIC KEY"), std::string::npos);
    const KeySetResult from_pkcs1 = KeySet::from_pem(pkcs1);
    ASSERT_TRUE(from_pkcs1.ok()) << from_pkcs1.error;
    EXPECT_EQ(from_pkcs1.keys->keys()[0].type, KeyType::Rsa);

    // A self-signed certificate, as some identity providers hand out.
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), p256_.get());
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    ASSERT_GT(X509_sign(cert.get(), p256_.get(), EVP_sha256()), 0);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(out.get(), cert.get());
    const long cert_length = BIO_get_mem_data(out.get(), &data);
    const KeySetResult from_cert =
        KeySet::from_pem(std::string(data, static_cast<size_t>(cert_length)));
    ASSERT_TRUE(from_cert.ok()) << from_cert.error;
    EXPECT_EQ(from_cert.keys->keys()[0].type, KeyType::EcP256);
}

TEST_F(KeySetTest, PemRefusals) {
    EXPECT_FALSE(KeySet::from_pem("").ok());
    EXPECT_FALSE(
        KeySet::from_pem("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")
            .ok());
    const KeySetResult small =
        KeySet::from_pem(testing::public_pem(testing::generate_rsa(1024).get()));
    EXPECT_FALSE(small.ok());
    EXPECT_NE(small.error.find("1024"), std::string::npos) << small.error;
    const KeySetResult k1 = KeySet::from_pem(testing::public_pem(
        testing::adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1")).get()));
    EXPECT_FALSE(k1.ok());
    EXPECT_FALSE(KeySet::from_pem_file("/nonexistent/key.pem").ok());
}

TEST_F(KeySetTest, PrivateKeyPemsAreRefused) {
    // An encrypted private key is refused without asking for a passphrase.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), p256_.get(), EVP_aes_256_cbc(), "pass", 4,
                                            nullptr, nullptr),
              1);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio.get(), &data);
    const std::string encrypted(data, static_cast<size_t>(length));
    ASSERT_NE(encrypted.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
    EXPECT_FALSE(KeySet::from_pem(encrypted).ok());
    // A plain private key is refused too: public_key_file is for public keys only.
    std::unique_ptr<BIO, decltype(&BIO_free)> plain(BIO_new(BIO_s_mem()), BIO_free);
    ASSERT_EQ(
        PEM_write_bio_PrivateKey(plain.get(), p256_.get(), nullptr, nullptr, 0, nullptr, nullptr),
        1);
    length = BIO_get_mem_data(plain.get(), &data);
    const KeySetResult set = KeySet::from_pem(std::string(data, static_cast<size_t>(length)));
    EXPECT_FALSE(set.ok());
}

TEST_F(KeySetTest, JwksWithEveryKeyTypeForRotation) {
    const std::string jwks =
        std::string(R"({"keys":[)") +
        testing::public_jwk(rsa_.get(), "r1", R"(,"use":"sig","alg":"RS256")") + "," +
        testing::public_jwk(p256_.get(), "e1") + "," + testing::public_jwk(p384_.get(), "e2") +
        "," + testing::public_jwk(p521_.get(), "e3") + "," + testing::public_jwk(ed_.get(), "d1") +
        R"(,{"kty":"oct","kid":"h1","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},)" +
        kRfcRsaJwk + "," + kRfcEcJwk + "]}";
    const KeySetResult set = KeySet::from_jwks(jwks);
    ASSERT_TRUE(set.ok()) << set.error;
    EXPECT_TRUE(set.warnings.empty());
    const std::vector<Key>& keys = set.keys->keys();
    ASSERT_EQ(keys.size(), 8U);
    EXPECT_EQ(keys[0].type, KeyType::Rsa);
    EXPECT_EQ(keys[0].algorithm, Algorithm::RS256);
    EXPECT_EQ(keys[1].type, KeyType::EcP256);
    EXPECT_EQ(keys[2].type, KeyType::EcP384);
    EXPECT_EQ(keys[3].type, KeyType::EcP521);
    EXPECT_EQ(keys[4].type, KeyType::Ed25519);
    EXPECT_EQ(keys[5].type, KeyType::Secret);
    EXPECT_EQ(keys[5].secret.size(), 64U);
    EXPECT_EQ(keys[6].kid, "rfc-rsa");
    EXPECT_EQ(keys[7].type, KeyType::EcP256);
}

TEST_F(KeySetTest, JwksSkipsWhatItDoesNotVerifyWith) {
    const std::string jwks = std::string(R"({"keys":[)") +
                             testing::public_jwk(rsa_.get(), "enc", R"(,"use":"enc")") + "," +
                             testing::public_jwk(rsa_.get(), "oaep", R"(,"alg":"RSA-OAEP")") +
                             R"(,{"kty":"OKP","crv":"X25519","x":"AAAA"})" +
                             R"(,{"kty":"EC","crv":"secp256k1","x":"AAAA","y":"AAAA"})" +
                             R"(,{"kty":"PQ","kid":"future"},)" + kRfcEcJwk + "]}";
    const KeySetResult set = KeySet::from_jwks(jwks);
    ASSERT_TRUE(set.ok()) << set.error;
    EXPECT_EQ(set.keys->keys().size(), 1U);
    EXPECT_EQ(set.warnings.size(), 5U);
}

TEST_F(KeySetTest, JwksRefusals) {
    const std::vector<std::string> bad = {
        "",
        "{",
        "not json",
        R"([{"kty":"oct","k":"AAAA"}])",  // not an object
        R"({"keys":{}})",                 // keys not an array
        R"({"keys":[]})",                 // nothing usable
        R"({"nokeys":true})",
        R"({"keys":["x"]})",                                  // a key that is not an object
        R"({"keys":[{"kid":"a"}]})",                          // no kty
        R"({"keys":[{"kty":1}]})",                            // kty not a string
        R"({"keys":[{"kty":"oct"}]})",                        // no k
        R"({"keys":[{"kty":"oct","k":""}]})",                 // empty k
        R"({"keys":[{"kty":"oct","k":"A+B/"}]})",             // not base64url
        R"({"keys":[{"kty":"RSA","e":"AQAB"}]})",             // no n
        R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})",  // a toy modulus
        R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"}]})",
        // the RFC point with y changed: not on the curve
        R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"}]})",
        // a coordinate one byte short
        R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVA","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})",
        R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]})",  // 3 bytes
        // alg contradicting the key type
        R"({"keys":[{"kty":"oct","k":"AAAA","alg":"RS256"}]})",
        std::string(R"({"keys":[)") + kRfcEcJwk + R"(],"x":[)" + std::string(5000, '[') + "]}",
    };
    for (const std::string& text : bad) {
        const KeySetResult set = KeySet::from_jwks(text);
        EXPECT_FALSE(set.ok()) << text.substr(0, 120);
        EXPECT_FALSE(set.error.empty());
    }
    const KeySetResult unparsable = KeySet::from_jwks("{\"keys\": [}");
    EXPECT_NE(unparsable.error.find("does not parse"), std::string::npos) << unparsable.error;
}

TEST_F(KeySetTest, ABareJwkIsASetOfOne) {
    const KeySetResult set = KeySet::from_jwks(kRfcEcJwk);
    ASSERT_TRUE(set.ok()) << set.error;
    EXPECT_EQ(set.keys->keys()[0].kid, "rfc-ec");
}

TEST_F(KeySetTest, SelectByKidAndCompatibility) {
    const std::string jwks = std::string(R"({"keys":[)") + testing::public_jwk(rsa_.get(), "r1") +
                             "," + testing::public_jwk(p256_.get(), "e1") + "," +
                             testing::public_jwk(rsa_.get(), "r2", R"(,"alg":"PS256")") + "]}";
    const KeySetResult set = KeySet::from_jwks(jwks);
    ASSERT_TRUE(set.ok()) << set.error;
    const KeySet& keys = *set.keys;

    KeySelection s = keys.select(Algorithm::RS256, "r1");
    ASSERT_EQ(s.keys.size(), 1U);
    EXPECT_EQ(s.keys[0]->kid, "r1");
    EXPECT_EQ(keys.select(Algorithm::RS256, "nope").error, AuthError::UnknownKeyId);
    // A kid naming a key of another type: the token's alg cannot pick that key.
    EXPECT_EQ(keys.select(Algorithm::RS256, "e1").error, AuthError::AlgorithmNotAllowed);
    EXPECT_EQ(keys.select(Algorithm::HS256, "r1").error, AuthError::AlgorithmNotAllowed);
    // The JWK's own alg pins r2 to PS256.
    EXPECT_EQ(keys.select(Algorithm::RS256, "r2").error, AuthError::AlgorithmNotAllowed);
    EXPECT_EQ(keys.select(Algorithm::PS256, "r2").keys.size(), 1U);
    // No kid: every compatible key is a candidate.
    EXPECT_EQ(keys.select(Algorithm::PS256, std::nullopt).keys.size(), 2U);
    EXPECT_EQ(keys.select(Algorithm::ES256, std::nullopt).keys.size(), 1U);
    EXPECT_EQ(keys.select(Algorithm::ES384, std::nullopt).error, AuthError::AlgorithmNotAllowed);
    EXPECT_EQ(keys.select(Algorithm::HS256, std::nullopt).error, AuthError::AlgorithmNotAllowed);
}

TEST_F(KeySetTest, KidlessKeysServeAnyKid) {
    const KeySetResult set = KeySet::from_pem(testing::public_pem(rsa_.get()));
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(set.keys->select(Algorithm::RS256, "whatever").keys.size(), 1U);
    EXPECT_EQ(set.keys->select(Algorithm::HS256, "whatever").error, AuthError::AlgorithmNotAllowed);
    const KeySet empty{std::vector<Key>{}};
    EXPECT_EQ(empty.select(Algorithm::RS256, std::nullopt).error, AuthError::UnknownKeyId);
}

TEST_F(KeySetTest, LoadKeySetFromConfig) {
    const std::string dir = ::testing::TempDir();
    const std::string pem_path = dir + "/stampede_auth_key.pem";
    const std::string jwks_path = dir + "/stampede_auth_jwks.json";
    std::ofstream(pem_path) << testing::public_pem(p384_.get());
    std::ofstream(jwks_path) << R"({"keys":[)" << kRfcRsaJwk << "]}";

    config::JwtKeysConfig config;
    config.public_key_file = pem_path;
    KeySetResult set = load_key_set(config);
    ASSERT_TRUE(set.ok()) << set.error;
    EXPECT_EQ(set.keys->keys()[0].type, KeyType::EcP384);

    config = {};
    config.jwks_file = jwks_path;
    set = load_key_set(config);
    ASSERT_TRUE(set.ok()) << set.error;
    EXPECT_EQ(set.keys->keys()[0].kid, "rfc-rsa");

    std::ofstream(jwks_path) << "{ broken";
    set = load_key_set(config);
    EXPECT_FALSE(set.ok());
    EXPECT_NE(set.error.find(jwks_path), std::string::npos) << set.error;

    config = {};
    config.secret = "s3cret-s3cret-s3cret-s3cret-s3cret";
    set = load_key_set(config);
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(set.keys->keys()[0].type, KeyType::Secret);

    config = {};
    config.jwks_url = "https://id.example.com/.well-known/jwks.json";
    set = load_key_set(config);
    ASSERT_TRUE(set.ok());
    EXPECT_TRUE(set.keys->keys().empty());
    EXPECT_EQ(set.warnings.size(), 1U);
    std::remove(pem_path.c_str());
    std::remove(jwks_path.c_str());
}

}  // namespace
}  // namespace stampede::auth
