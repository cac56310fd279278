// JwtVerifier: one JWT issuer ("guard", an entry of auth.jwt): its algorithm allow-list, its
// KeySet, the claims it checks (exp/nbf/iat with leeway, iss, aud) and how it reads the
// principal and roles. Immutable once built; verify() is const and runs on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/algorithm.hpp"
#include "auth/error.hpp"
#include "auth/jwks.hpp"
#include "auth/principal.hpp"
#include "config/config.hpp"

namespace stampede::auth {

struct ParsedToken;

/// The default cap on a token's size: limits.max_header_line_bytes' default.
inline constexpr std::size_t kDefaultMaxTokenBytes = 8192;

/// A verification result plus whether the signature itself checked out, so that Guards can
/// prefer "token expired" from a guard whose key fits over "bad token signature" from one
/// whose key does not.
struct VerifyOutcome {
    AuthResult<Principal> result;
    bool signature_valid = false;
};

struct JwtVerifierResult;

class JwtVerifier {
   public:
    struct Settings;  // compiled claim paths and lists; defined in jwt.cpp

    /// Checks the issuer config (algorithms known and never "none", principal_claim and
    /// roles_claim JSON Pointers valid) and ties it to `keys`. Warns about an allowed
    /// algorithm that no key can verify.
    static JwtVerifierResult create(const config::JwtIssuerConfig& config,
                                    std::shared_ptr<const KeySet> keys);

    /// Parses and verifies one token at `now` (unix seconds).
    AuthResult<Principal> verify(std::string_view token, std::int64_t now,
                                 std::size_t max_token_bytes = kDefaultMaxTokenBytes) const;

    /// Verifies an already parsed token (Guards parses once for all its verifiers).
    VerifyOutcome verify_parsed(const ParsedToken& token, std::int64_t now) const;

    /// The same issuer with another key set (a JWKS refresh or a reload).
    JwtVerifier with_keys(std::shared_ptr<const KeySet> keys) const;

    const std::string& name() const;
    const std::string& issuer() const;  // "" = any iss
    bool disconnect_on_expiry() const;
    const std::shared_ptr<const KeySet>& keys() const { return keys_; }

   private:
    JwtVerifier(std::shared_ptr<const Settings> settings, std::shared_ptr<const KeySet> keys)
        : settings_(std::move(settings)), keys_(std::move(keys)) {}

    AuthResult<Principal> check_claims(const ParsedToken& token, std::int64_t now) const;

    std::shared_ptr<const Settings> settings_;
    std::shared_ptr<const KeySet> keys_;
};

struct JwtVerifierResult {
    std::optional<JwtVerifier> verifier;  // empty when error is set
    std::string error;
    std::vector<std::string> warnings;
};

}  // namespace stampede::auth
