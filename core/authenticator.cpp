// See authenticator.hpp.
#include "core/authenticator.hpp"

#include <chrono>
#include <utility>

#include "core/shard_services.hpp"

namespace stampede::broker {
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

AuthOutcome accepted(auth::Principal principal) {
    AuthOutcome outcome;
    outcome.status = AuthOutcome::Status::Accepted;
    outcome.principal = std::move(principal);
    return outcome;
}

}  // namespace

AuthOutcome Authenticator::refuse(std::string_view peer, auth::AuthError error,
                                  std::string detail) {
    const auto& auth = shard_.config().auth;
    shard_.failures().record_failure(peer, auth.max_failures_per_minute, auth.max_tracked_ips,
                                     FailureTracker::Clock::now());
    AuthOutcome outcome;
    outcome.status = AuthOutcome::Status::Refused;
    outcome.error = error;
    outcome.detail = std::move(detail);
    return outcome;
}

std::optional<AuthOutcome> Authenticator::check(const Credentials& credentials,
                                                std::string_view peer,
                                                std::optional<std::string> anonymous_name,
                                                Later later) {
    // Past the failure limit nothing is verified at all: that is the point of the limit.
    if (shard_.failures().blocked(peer, FailureTracker::Clock::now())) {
        AuthOutcome outcome;
        outcome.status = AuthOutcome::Status::Blocked;
        return outcome;
    }
    const Security& security = shard_.security();
    switch (credentials.kind) {
        case Credentials::Kind::Token:
            return check_token(credentials.token, peer);
        case Credentials::Kind::Login:
            if (security.accounts != nullptr && security.accounts->lookup(credentials.login)) {
                return check_passcode(credentials, peer, std::move(later));
            }
            if (anonymous_name) {
                // A login that names no account is anonymous where that is allowed (stomp.py
                // and friends always send some login).
                return accepted(auth::anonymous_principal(*anonymous_name));
            }
            if (security.accounts == nullptr) {
                return refuse(peer, auth::AuthError::BadCredentials, "no such account");
            }
            // Refused after the same PBKDF2 work as a known login's wrong passcode, so the
            // timing does not tell which logins exist.
            return check_passcode(credentials, peer, std::move(later));
        case Credentials::Kind::Malformed:
            return refuse(peer, auth::AuthError::BadCredentials, "credentials do not parse");
        case Credentials::Kind::None:
            break;
    }
    if (anonymous_name) {
        return accepted(auth::anonymous_principal(*anonymous_name));
    }
    return refuse(peer, auth::AuthError::AuthenticationRequired, "no credentials");
}

AuthOutcome Authenticator::check_token(std::string_view token, std::string_view peer) {
    const Security& security = shard_.security();
    if (security.guards == nullptr) {
        return refuse(peer, auth::AuthError::InvalidToken, "no JWT issuer configured");
    }
    auto result = security.guards->verify(token, unix_now(), security.revoked.get());
    if (!result.ok()) {
        return refuse(peer, result.error, result.detail);
    }
    if (shard_.revoked_in_cluster(result.value->jti)) {
        return refuse(peer, auth::AuthError::TokenRevoked, "revoked cluster-wide");
    }
    return accepted(std::move(*result.value));
}

AuthOutcome Authenticator::refresh(const Credentials& credentials, std::string_view peer,
                                   const auth::Principal& current) {
    if (shard_.failures().blocked(peer, FailureTracker::Clock::now())) {
        AuthOutcome outcome;
        outcome.status = AuthOutcome::Status::Blocked;
        return outcome;
    }
    // Only a JWT's verified claims are kept as text (principal.hpp): an empty one is an
    // anonymous session or a service account, which have no token to replace.
    if (current.anonymous || current.claims.empty()) {
        return refuse(peer, auth::AuthError::IssuerMismatch,
                      "the session did not log in with a JWT, so it has no token to refresh");
    }
    if (credentials.kind == Credentials::Kind::None) {
        return refuse(peer, auth::AuthError::AuthenticationRequired,
                      "a refresh carries the new JWT in Authorization: Bearer or token_header");
    }
    if (credentials.kind != Credentials::Kind::Token) {
        return refuse(peer, auth::AuthError::BadCredentials,
                      "a refresh takes a JWT, not a login and passcode");
    }
    AuthOutcome outcome = check_token(credentials.token, peer);
    if (outcome.status != AuthOutcome::Status::Accepted) {
        return outcome;
    }
    // The same auth.jwt[] entry, not merely an equal iss: two entries may share an iss and
    // differ in audience, roles or principal_prefix, and the session's rights came from one.
    if (outcome.principal.issuer != current.issuer) {
        return refuse(peer, auth::AuthError::IssuerMismatch,
                      "the refresh token was accepted by issuer '" + outcome.principal.issuer +
                          "', the session logged in with '" + current.issuer + "'");
    }
    if (outcome.principal.name != current.name) {
        return refuse(peer, auth::AuthError::PrincipalMismatch,
                      "the refresh token names '" + outcome.principal.name + "', the session is '" +
                          current.name + "'");
    }
    return outcome;
}

std::optional<AuthOutcome> Authenticator::check_passcode(const Credentials& credentials,
                                                         std::string_view peer, Later later) {
    // PBKDF2 is slow by design: it runs on the worker, the answer comes back to this shard.
    // The task holds the security set it checks against, so a reload meanwhile is harmless.
    auto task = [this, accounts = shard_.security().accounts,
                 login = std::string(credentials.login),
                 passcode = std::string(credentials.passcode), peer = std::string(peer),
                 later = std::move(later)]() mutable {
        // An answer always goes back: a session waiting for it would otherwise wait forever.
        auto result = auth::AuthResult<auth::Principal>::failure(auth::AuthError::BadCredentials,
                                                                 "the passcode check failed");
        try {
            result = accounts->authenticate(login, passcode);
        } catch (const std::exception&) {
        }
        shard_.run_on_shard(
            [this, result = std::move(result), peer = std::move(peer), later = std::move(later)] {
                later(result.ok() ? accepted(*result.value)
                                  : refuse(peer, result.error, result.detail));
            });
    };
    if (!shard_.run_on_worker(std::move(task))) {
        AuthOutcome outcome;
        outcome.status = AuthOutcome::Status::Busy;
        outcome.detail = "authentication queue full";
        return outcome;
    }
    return std::nullopt;
}

}  // namespace stampede::broker
