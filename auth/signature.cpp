// EVP verification per algorithm family. Any thread. Each path leaves the thread's OpenSSL
// error queue empty, because the shard thread that calls us also runs TLS and SSL_get_error
// reads that queue.
#include "auth/signature.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "auth/pkey.hpp"

namespace stampede::auth {
namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct BnFree {
    void operator()(BIGNUM* p) const { BN_free(p); }
};

const unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// HMAC: recompute and compare in constant time (CRYPTO_memcmp), so timing tells an attacker
// nothing about how many leading bytes of a forged MAC were right.
bool verify_hmac(Algorithm alg, const Key& key, std::string_view input, std::string_view sig) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    const std::string digest(digest_name(alg));
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest.c_str(), nullptr, key.secret.data(),
                  key.secret.size(), bytes(input), input.size(), mac, sizeof(mac),
                  &length) == nullptr) {
        return false;
    }
    // The length is public (it follows from alg); only the content needs constant time.
    return sig.size() == length && CRYPTO_memcmp(mac, sig.data(), length) == 0;
}

// RS*, PS*, ES* (after conversion to DER) and EdDSA: one EVP_DigestVerify. `digest` is
// empty for EdDSA, which hashes internally and takes no md.
bool digest_verify(Algorithm alg, const Key& key, std::string_view input, const unsigned char* sig,
                   std::size_t sig_length) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx) {
        return false;
    }
    const std::string digest(digest_name(alg));
    EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
    if (EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, digest.empty() ? nullptr : digest.c_str(),
                                nullptr, nullptr, key.public_key.get(), nullptr) != 1) {
        return false;
    }
    if (key.type == KeyType::Rsa) {
        const bool pss =
            alg == Algorithm::PS256 || alg == Algorithm::PS384 || alg == Algorithm::PS512;
        if (!pss) {
            if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1) {
                return false;
            }
        } else if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                   // RFC 7518 3.5: salt as long as the hash, MGF1 with the same hash. Fixing
                   // the salt length refuses signatures made with any other.
                   EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
                   EVP_PKEY_CTX_set_rsa_mgf1_md_name(pkey_ctx, digest.c_str(), nullptr) != 1) {
            return false;
        }
    }
    return EVP_DigestVerify(ctx.get(), sig, sig_length, bytes(input), input.size()) == 1;
}

// ES*: JOSE sends r||s, each exactly the field size (RFC 7518 3.4); OpenSSL wants DER. Any
// other length - a DER signature included - is refused before touching OpenSSL.
bool verify_ecdsa(Algorithm alg, const Key& key, std::string_view input, std::string_view sig) {
    const std::size_t half = ec_field_bytes(key.type);
    if (half == 0 || sig.size() != 2 * half) {
        return false;
    }
    std::unique_ptr<BIGNUM, BnFree> r(BN_bin2bn(bytes(sig), static_cast<int>(half), nullptr));
    std::unique_ptr<BIGNUM, BnFree> s(
        BN_bin2bn(bytes(sig.substr(half)), static_cast<int>(half), nullptr));
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> ecdsa(ECDSA_SIG_new());
    if (!r || !s || !ecdsa || ECDSA_SIG_set0(ecdsa.get(), r.get(), s.get()) != 1) {
        return false;
    }
    r.release();  // now owned by ecdsa
    s.release();
    unsigned char* der = nullptr;
    const int der_length = i2d_ECDSA_SIG(ecdsa.get(), &der);
    if (der_length <= 0) {
        return false;
    }
    const bool valid = digest_verify(alg, key, input, der, static_cast<std::size_t>(der_length));
    OPENSSL_free(der);
    return valid;
}

bool verify_by_type(Algorithm alg, const Key& key, std::string_view input, std::string_view sig) {
    switch (key.type) {
        case KeyType::Secret:
            return verify_hmac(alg, key, input, sig);
        case KeyType::Rsa:
            // A signature is exactly the modulus length (RFC 8017 8.2.2 step 1).
            return key.public_key &&
                   sig.size() ==
                       static_cast<std::size_t>(EVP_PKEY_get_size(key.public_key.get())) &&
                   digest_verify(alg, key, input, bytes(sig), sig.size());
        case KeyType::EcP256:
        case KeyType::EcP384:
        case KeyType::EcP521:
            return key.public_key && verify_ecdsa(alg, key, input, sig);
        case KeyType::Ed25519:
            return key.public_key && sig.size() == 64 &&
                   digest_verify(alg, key, input, bytes(sig), sig.size());
    }
    return false;
}

}  // namespace

bool verify_signature(Algorithm alg, const Key& key, std::string_view signing_input,
                      std::string_view signature) {
    // Checked again here, not only in KeySet::select: this is the one place a key meets an
    // algorithm, so the table is enforced where it matters.
    if (!key.compatible_with(alg)) {
        return false;
    }
    const bool valid = verify_by_type(alg, key, signing_input, signature);
    ERR_clear_error();
    return valid;
}

}  // namespace stampede::auth
