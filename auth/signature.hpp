// JWS signature verification with OpenSSL 3 EVP (RFC 7518 section 3, RFC 8037 section 3.1).
// Pure and const: any thread, concurrently with the same Key.
#pragma once

#include <string_view>

#include "auth/algorithm.hpp"
#include "auth/jwks.hpp"

namespace stampede::auth {

/// True when `signature` (raw bytes, already base64url-decoded) is a valid `alg` signature
/// of `signing_input` (the ASCII "header.payload") under `key`. False for a key that is not
/// compatible with `alg`, for any wrong length (a truncated MAC, a DER-encoded ECDSA
/// signature instead of JOSE r||s) and for every OpenSSL failure. Never throws.
bool verify_signature(Algorithm alg, const Key& key, std::string_view signing_input,
                      std::string_view signature);

}  // namespace stampede::auth
