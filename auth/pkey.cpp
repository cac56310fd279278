// OpenSSL 3 public-key construction (OSSL_PARAM_BLD + EVP_PKEY_fromdata, OSSL_DECODER) and
// classification. Load time only. Every failure path clears the thread's OpenSSL error queue:
// the same thread may later run TLS, whose SSL_get_error reads that queue.
#include "auth/pkey.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace stampede::auth {
namespace {

// RSA verification cost grows with the modulus; OpenSSL refuses beyond this anyway.
constexpr int kMaxRsaBits = 16384;

struct BnFree {
    void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct DecoderCtxFree {
    void operator()(OSSL_DECODER_CTX* p) const { OSSL_DECODER_CTX_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};

int refuse_passphrase(char*, std::size_t, std::size_t*, const OSSL_PARAM[], void*) { return 0; }

PublicKeyPtr adopt(EVP_PKEY* key) { return PublicKeyPtr(key, EVP_PKEY_free); }

PublicKeyResult fail(std::string why) {
    ERR_clear_error();
    PublicKeyResult result;
    result.error = std::move(why);
    return result;
}

const unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// Refuses a point that is not on its curve (an invalid-curve attack needs one).
bool public_check(EVP_PKEY* key) {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

// Types a key against the algorithm table; anything the table does not name is refused.
PublicKeyResult classify(PublicKeyPtr key) {
    PublicKeyResult result;
    if (EVP_PKEY_is_a(key.get(), "RSA")) {
        const int bits = EVP_PKEY_get_bits(key.get());
        if (bits < kMinRsaBits || bits > kMaxRsaBits) {
            return fail(
                fmt::format("RSA key of {} bits (need {} to {})", bits, kMinRsaBits, kMaxRsaBits));
        }
        result.type = KeyType::Rsa;
    } else if (EVP_PKEY_is_a(key.get(), "EC")) {
        char group[64] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &length) != 1) {
            return fail("EC key without a named curve");
        }
        const int nid = OBJ_txt2nid(group);
        if (nid == NID_X9_62_prime256v1) {
            result.type = KeyType::EcP256;
        } else if (nid == NID_secp384r1) {
            result.type = KeyType::EcP384;
        } else if (nid == NID_secp521r1) {
            result.type = KeyType::EcP521;
        } else {
            return fail(fmt::format("EC curve {} is not P-256, P-384 or P-521", group));
        }
        if (!public_check(key.get())) {
            return fail("EC public key is not a valid point on its curve");
        }
    } else if (EVP_PKEY_is_a(key.get(), "ED25519")) {
        result.type = KeyType::Ed25519;
    } else {
        const char* name = EVP_PKEY_get0_type_name(key.get());
        return fail(fmt::format("unsupported key type {}", name ? name : "?"));
    }
    result.key = std::move(key);
    return result;
}

PublicKeyResult from_certificate(std::string_view pem) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::unique_ptr<X509, X509Free> cert(
        bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) {
        return fail("PEM certificate does not parse");
    }
    EVP_PKEY* key = X509_get_pubkey(cert.get());  // a new reference
    if (key == nullptr) {
        return fail("certificate has no usable public key");
    }
    return classify(adopt(key));
}

PublicKeyResult from_params(const char* type, OSSL_PARAM_BLD* builder) {
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder));
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return fail(fmt::format("{} key parameters are not a valid public key", type));
    }
    return classify(adopt(key));
}

}  // namespace

PublicKeyResult public_key_from_pem(std::string_view pem) {
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        return from_certificate(pem);
    }
    EVP_PKEY* key = nullptr;
    std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree> ctx(OSSL_DECODER_CTX_new_for_pkey(
        &key, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
    const unsigned char* data = bytes(pem);
    std::size_t length = pem.size();
    // An encrypted private key in the file would otherwise make OpenSSL's default UI ask for
    // a passphrase on the terminal: a daemon must fail instead of waiting.
    if (!ctx || OSSL_DECODER_CTX_set_passphrase_cb(ctx.get(), refuse_passphrase, nullptr) != 1 ||
        OSSL_DECODER_from_data(ctx.get(), &data, &length) != 1 || key == nullptr) {
        EVP_PKEY_free(key);
        return fail("not a PEM public key (expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)");
    }
    return classify(adopt(key));
}

PublicKeyResult rsa_public_key(std::string_view modulus, std::string_view exponent) {
    std::unique_ptr<BIGNUM, BnFree> n(
        BN_bin2bn(bytes(modulus), static_cast<int>(modulus.size()), nullptr));
    std::unique_ptr<BIGNUM, BnFree> e(
        BN_bin2bn(bytes(exponent), static_cast<int>(exponent.size()), nullptr));
    if (!n || !e) {
        return fail("RSA key parameters do not decode");
    }
    // An even or trivial exponent is no RSA key; refuse it here rather than per token.
    if (!BN_is_odd(e.get()) || BN_is_one(e.get())) {
        return fail("RSA public exponent must be odd and greater than 1");
    }
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
    if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        return fail("RSA key parameters do not build");
    }
    return from_params("RSA", builder.get());
}

PublicKeyResult ec_public_key(KeyType curve, std::string_view x, std::string_view y) {
    const std::size_t size = ec_field_bytes(curve);
    if (size == 0) {
        return fail("not an EC key type");
    }
    if (x.size() != size || y.size() != size) {
        return fail(
            fmt::format("{} coordinates must be {} bytes each", key_type_name(curve), size));
    }
    const char* group = curve == KeyType::EcP256   ? "prime256v1"
                        : curve == KeyType::EcP384 ? "secp384r1"
                                                   : "secp521r1";
    // SEC 1 uncompressed point: 0x04 || x || y.
    std::string point;
    point.reserve(1 + 2 * size);
    point.push_back('\x04');
    point.append(x);
    point.append(y);
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
    if (!builder ||
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return fail("EC key parameters do not build");
    }
    PublicKeyResult result = from_params("EC", builder.get());
    if (result.key && result.type != curve) {
        return fail("EC key came out on another curve");
    }
    return result;
}

PublicKeyResult ed25519_public_key(std::string_view x) {
    if (x.size() != 32) {
        return fail("Ed25519 public key must be 32 bytes");
    }
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, bytes(x), x.size());
    if (key == nullptr) {
        return fail("Ed25519 public key does not build");
    }
    return classify(adopt(key));
}

std::size_t ec_field_bytes(KeyType type) {
    switch (type) {
        case KeyType::EcP256:
            return 32;
        case KeyType::EcP384:
            return 48;
        case KeyType::EcP521:
            return 66;
        default:
            return 0;
    }
}

}  // namespace stampede::auth
