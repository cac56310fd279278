// Issuer selection across guards and the choice of the error to report. Any thread.
#include "auth/guards.hpp"

#include <fmt/format.h>

#include "auth/token.hpp"

namespace stampede::auth {
namespace {

using Result = AuthResult<Principal>;

// How much a failure says about the token: a guard whose key verified the signature knows
// the token is genuine, so its complaint (expired, audience) is the one worth reporting.
int rank(const VerifyOutcome& outcome) {
    if (outcome.signature_valid) {
        return 4;
    }
    switch (outcome.result.error) {
        case AuthError::BadSignature:
            return 3;
        case AuthError::UnknownKeyId:
            return 2;
        case AuthError::AlgorithmNotAllowed:
            return 1;
        default:
            return 0;
    }
}

}  // namespace

AuthResult<Principal> Guards::verify(std::string_view token, std::int64_t now,
                                     const RevocationList* revoked) const {
    AuthResult<ParsedToken> parsed = parse_token(token, max_token_bytes_);
    if (!parsed.ok()) {
        return Result::failure(parsed.error, std::move(parsed.detail));
    }
    const ParsedToken& parsed_token = *parsed.value;
    std::optional<VerifyOutcome> best;
    for (const JwtVerifier& verifier : verifiers_) {
        if (!verifier.issuer().empty() && parsed_token.issuer != verifier.issuer()) {
            continue;
        }
        VerifyOutcome outcome = verifier.verify_parsed(parsed_token, now);
        if (outcome.result.ok()) {
            if (revoked != nullptr && revoked->contains(outcome.result.value->jti)) {
                return Result::failure(AuthError::TokenRevoked,
                                       fmt::format("jti {}", outcome.result.value->jti));
            }
            return std::move(outcome.result);
        }
        if (!best || rank(outcome) > rank(*best)) {
            best = std::move(outcome);
        }
    }
    if (!best) {
        return Result::failure(AuthError::IssuerMismatch,
                               verifiers_.empty() ? std::string("no jwt issuer is configured")
                                                  : fmt::format("no jwt issuer for iss '{}'",
                                                                parsed_token.issuer.value_or("")));
    }
    return std::move(best->result);
}

const JwtVerifier* Guards::find(std::string_view name) const {
    for (const JwtVerifier& verifier : verifiers_) {
        if (verifier.name() == name) {
            return &verifier;
        }
    }
    return nullptr;
}

std::shared_ptr<const Guards> Guards::with_keys(std::string_view name,
                                                std::shared_ptr<const KeySet> keys) const {
    std::vector<JwtVerifier> verifiers;
    bool found = false;
    for (const JwtVerifier& verifier : verifiers_) {
        if (verifier.name() == name) {
            verifiers.push_back(verifier.with_keys(keys));
            found = true;
        } else {
            verifiers.push_back(verifier);
        }
    }
    if (!found) {
        return nullptr;
    }
    return std::make_shared<const Guards>(std::move(verifiers), max_token_bytes_);
}

GuardsResult load_guards(const std::vector<config::JwtIssuerConfig>& issuers,
                         std::size_t max_token_bytes) {
    GuardsResult result;
    std::vector<JwtVerifier> verifiers;
    for (const config::JwtIssuerConfig& issuer : issuers) {
        KeySetResult keys = load_key_set(issuer.keys);
        for (std::string& warning : keys.warnings) {
            result.warnings.push_back(fmt::format("jwt issuer {}: {}", issuer.name, warning));
        }
        if (!keys.ok()) {
            result.errors.push_back(fmt::format("jwt issuer {}: {}", issuer.name, keys.error));
            continue;
        }
        JwtVerifierResult verifier = JwtVerifier::create(issuer, std::move(keys.keys));
        result.warnings.insert(result.warnings.end(), verifier.warnings.begin(),
                               verifier.warnings.end());
        if (!verifier.verifier) {
            result.errors.push_back(std::move(verifier.error));
            continue;
        }
        verifiers.push_back(std::move(*verifier.verifier));
    }
    if (result.errors.empty()) {
        result.guards = std::make_shared<const Guards>(std::move(verifiers), max_token_bytes);
    }
    return result;
}

}  // namespace stampede::auth
