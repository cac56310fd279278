// Guards: every configured JWT issuer (auth.jwt), in file order. A token is offered to the
// issuers whose `issuer` equals its iss (or that have none); the first that accepts it wins.
// Immutable once built (shared_ptr<const Guards>, swapped whole on reload or JWKS refresh);
// verify() is const and runs on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/revocation.hpp"

namespace stampede::auth {

class Guards {
   public:
    explicit Guards(std::vector<JwtVerifier> verifiers,
                    std::size_t max_token_bytes = kDefaultMaxTokenBytes)
        : verifiers_(std::move(verifiers)), max_token_bytes_(max_token_bytes) {}

    /// Parses the token once, then tries the matching issuers. When none accepts it, the
    /// most telling failure is returned: any error found after a valid signature (expired,
    /// wrong audience, ...) beats "bad token signature", which beats "unknown key id", which
    /// beats "token algorithm not allowed". No matching issuer -> "token issuer mismatch".
    /// A token accepted but whose jti is in `revoked` -> "token revoked".
    AuthResult<Principal> verify(std::string_view token, std::int64_t now,
                                 const RevocationList* revoked = nullptr) const;

    /// The issuer named `name` (auth.jwt[].name), or null.
    const JwtVerifier* find(std::string_view name) const;

    /// A copy with issuer `name` given new keys (after a JWKS fetch); null if no such issuer.
    std::shared_ptr<const Guards> with_keys(std::string_view name,
                                            std::shared_ptr<const KeySet> keys) const;

    const std::vector<JwtVerifier>& verifiers() const { return verifiers_; }
    std::size_t max_token_bytes() const { return max_token_bytes_; }

   private:
    std::vector<JwtVerifier> verifiers_;
    std::size_t max_token_bytes_;
};

struct GuardsResult {
    std::shared_ptr<const Guards> guards;  // null when errors is non-empty
    std::vector<std::string> errors;       // each names its issuer; the caller keeps old guards
    std::vector<std::string> warnings;
};

/// Loads every issuer's keys (secret, public_key_file, jwks_file; jwks_url issuers start with
/// no keys, see load_key_set) and builds the Guards. Reads files: main thread or a worker.
/// `max_token_bytes` is limits.max_header_line_bytes.
GuardsResult load_guards(const std::vector<config::JwtIssuerConfig>& issuers,
                         std::size_t max_token_bytes);

}  // namespace stampede::auth
