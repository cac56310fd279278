// Test-only JOSE signer: generates keys with OpenSSL EVP and mints compact JWS tokens, so the
// verifier is checked against signatures it did not make itself (no key is checked in).
// Independent of auth/ except for base64url_encode, which base64url_test checks on its own.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/algorithm.hpp"
#include "auth/base64url.hpp"

namespace stampede::auth::testing {

using PrivateKey = std::shared_ptr<EVP_PKEY>;

inline PrivateKey adopt(EVP_PKEY* key) {
    if (key == nullptr) {
        throw std::runtime_error("key generation failed");
    }
    return PrivateKey(key, EVP_PKEY_free);
}

inline PrivateKey generate_rsa(unsigned bits = 2048) {
    return adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}
inline PrivateKey generate_ec(const char* curve) {  // "P-256", "P-384", "P-521"
    return adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}
inline PrivateKey generate_ed25519() {
    return adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

inline std::string b64(std::string_view bytes) { return base64url_encode(bytes); }

inline std::string public_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(length));
}

inline std::string bn_bytes(EVP_PKEY* key, const char* name, int pad = 0) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
        throw std::runtime_error(std::string("no parameter ") + name);
    }
    std::string out(static_cast<size_t>(pad > 0 ? pad : BN_num_bytes(bn)), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
    BN_free(bn);
    return out;
}

/// The public half of `key` as one JWK object (no surrounding set). `extra` is appended
/// inside the object verbatim, e.g. R"(,"alg":"RS256")".
inline std::string public_jwk(EVP_PKEY* key, std::string_view kid, std::string_view extra = "") {
    std::string members;
    if (EVP_PKEY_is_a(key, "RSA")) {
        members = R"("kty":"RSA","n":")" + b64(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N)) +
                  R"(","e":")" + b64(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E)) + '"';
    } else if (EVP_PKEY_is_a(key, "EC")) {
        const int bits = EVP_PKEY_get_bits(key);
        const int size = (bits + 7) / 8;
        const char* crv = bits == 256 ? "P-256" : bits == 384 ? "P-384" : "P-521";
        members = std::string(R"("kty":"EC","crv":")") + crv + R"(","x":")" +
                  b64(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, size)) + R"(","y":")" +
                  b64(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, size)) + '"';
    } else {
        unsigned char raw[32];
        size_t length = sizeof(raw);
        EVP_PKEY_get_raw_public_key(key, raw, &length);
        members = R"("kty":"OKP","crv":"Ed25519","x":")" +
                  b64(std::string_view(reinterpret_cast<char*>(raw), length)) + '"';
    }
    if (!kid.empty()) {
        members += R"(,"kid":")" + std::string(kid) + '"';
    }
    return "{" + members + std::string(extra) + "}";
}

inline std::string hmac(Algorithm alg, std::string_view secret, std::string_view input) {
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t length = 0;
    const std::string digest(digest_name(alg));
    EVP_Q_mac(nullptr, "HMAC", nullptr, digest.c_str(), nullptr, secret.data(), secret.size(),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, sizeof(out),
              &length);
    return std::string(reinterpret_cast<char*>(out), length);
}

/// An asymmetric signature as OpenSSL makes it (DER for ECDSA).
inline std::string sign_native(Algorithm alg, EVP_PKEY* key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const std::string digest(digest_name(alg));
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit_ex(ctx.get(), &pctx, digest.empty() ? nullptr : digest.c_str(), nullptr,
                              nullptr, key, nullptr) != 1) {
        throw std::runtime_error("sign init failed");
    }
    const std::string_view name = algorithm_name(alg);
    if (name.starts_with("PS")) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digest.c_str(), nullptr);
    } else if (name.starts_with("RS")) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
    }
    size_t length = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size());
    std::string out(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length, data,
                       input.size()) != 1) {
        throw std::runtime_error("sign failed");
    }
    out.resize(length);
    return out;
}

/// DER ECDSA -> JOSE r||s, each padded to the field size.
inline std::string der_to_jose(std::string_view der, int field_bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    std::string out(static_cast<size_t>(2 * field_bytes), '\0');
    auto* raw = reinterpret_cast<unsigned char*>(out.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, field_bytes);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + field_bytes, field_bytes);
    ECDSA_SIG_free(sig);
    return out;
}

/// The JWS signature bytes for `input`: HMAC with `secret` for HS*, else `key`.
inline std::string sign(Algorithm alg, EVP_PKEY* key, std::string_view secret,
                        std::string_view input) {
    const std::string_view name = algorithm_name(alg);
    if (name.starts_with("HS")) {
        return hmac(alg, secret, input);
    }
    std::string signature = sign_native(alg, key, input);
    if (name.starts_with("ES")) {
        return der_to_jose(signature, (EVP_PKEY_get_bits(key) + 7) / 8);
    }
    return signature;
}

/// header.payload.signature from JSON texts.
inline std::string mint(Algorithm alg, EVP_PKEY* key, std::string_view secret,
                        std::string_view header_json, std::string_view payload_json) {
    const std::string input = b64(header_json) + "." + b64(payload_json);
    return input + "." + b64(sign(alg, key, secret, input));
}

/// The kid the tests and jwt_bench give each key type in their JWKS.
inline const char* kid_for(KeyType type) {
    switch (type) {
        case KeyType::Rsa:
            return "rsa";
        case KeyType::EcP256:
            return "p256";
        case KeyType::EcP384:
            return "p384";
        case KeyType::EcP521:
            return "p521";
        case KeyType::Ed25519:
            return "ed";
        case KeyType::Secret:
            break;
    }
    return "hmac";
}

inline std::string header_for(Algorithm alg, std::string_view kid = "") {
    std::string header = R"({"alg":")" + std::string(algorithm_name(alg)) + R"(","typ":"JWT")";
    if (!kid.empty()) {
        header += R"(,"kid":")" + std::string(kid) + '"';
    }
    return header + "}";
}

}  // namespace stampede::auth::testing
