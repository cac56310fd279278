// Building OpenSSL public keys from PEM text or from JWK components, each checked and typed
// against the algorithm table (RSA >= 2048 bits, the three NIST curves, Ed25519). Internal to
// auth/; load time only (start and reload), any thread. Keys come back shared and immutable:
// OpenSSL 3 allows concurrent verification with one EVP_PKEY.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "auth/algorithm.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of the headers other modules include

namespace stampede::auth {

using PublicKeyPtr = std::shared_ptr<evp_pkey_st>;

struct PublicKeyResult {
    PublicKeyPtr key;  // null on error
    KeyType type = KeyType::Rsa;
    std::string error;
};

/// One public key from PEM: SubjectPublicKeyInfo ("PUBLIC KEY"), PKCS#1 ("RSA PUBLIC KEY")
/// or the key of an X.509 certificate ("CERTIFICATE"). Private keys,
/// encrypted or not, are refused.
PublicKeyResult public_key_from_pem(std::string_view pem);

/// RSA from big-endian modulus and exponent bytes (JWK "n", "e").
PublicKeyResult rsa_public_key(std::string_view modulus, std::string_view exponent);

/// EC from big-endian affine coordinates (JWK "x", "y"), each exactly the field size.
PublicKeyResult ec_public_key(KeyType curve, std::string_view x, std::string_view y);

/// Ed25519 from its 32 raw bytes (JWK "x").
PublicKeyResult ed25519_public_key(std::string_view x);

/// Field size in bytes of a curve key type (32, 48, 66); 0 for other types.
std::size_t ec_field_bytes(KeyType type);

}  // namespace stampede::auth
