// Authenticator: THE credential check, one for STOMP CONNECT and HTTP alike (DESIGN.md
// "Identity and access"). Where the credentials were found differs per way in (CONNECT
// headers, an Authorization header); what is done with them does not: the per-IP failure
// guard, JWT verification against the issuers and both deny-lists, service-account passcodes
// checked on the worker (an unknown login at a known one's PBKDF2 cost), anonymous sessions,
// and counting every refusal against the client's address. Shard thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/error.hpp"
#include "auth/principal.hpp"
#include "core/credentials.hpp"

namespace stampede::broker {

class ShardServices;

struct AuthOutcome {
    /// Blocked: the address is past auth.max_failures_per_minute (nothing was checked).
    /// Busy: the worker's queue is full; not the client's failure, not counted.
    enum class Status { Accepted, Refused, Blocked, Busy };
    Status status = Status::Refused;
    auth::Principal principal;                                // Accepted
    auth::AuthError error = auth::AuthError::BadCredentials;  // Refused
    std::string detail;  // Refused: which check failed, for logs; never sent to the client
};

class Authenticator {
   public:
    explicit Authenticator(ShardServices& shard) : shard_(shard) {}

    /// Runs on this shard once a service-account check done on the worker has its answer.
    /// It may find whoever asked gone (look it up by id).
    using Later = std::function<void(const AuthOutcome&)>;

    /// Judges `credentials` presented from `peer`. `anonymous_name`: the principal an
    /// anonymous session gets, or nullopt where anonymous access is not allowed (HTTP
    /// publish, listeners with anonymous off). Returns the outcome, or nullopt when a
    /// passcode is being checked on the worker: `later` then receives it.
    std::optional<AuthOutcome> check(const Credentials& credentials, std::string_view peer,
                                     std::optional<std::string> anonymous_name, Later later);

    /// A token refresh on a live session (SEND /stampede/token): `credentials` must be a JWT,
    /// verified as check() verifies one, accepted by the same issuer (auth.jwt[] entry) for
    /// the same principal as `current`, which must itself have come from a JWT. Refusals
    /// count against `peer` like a failed CONNECT. Always answers at once: no passcode here.
    AuthOutcome refresh(const Credentials& credentials, std::string_view peer,
                        const auth::Principal& current);

   private:
    AuthOutcome refuse(std::string_view peer, auth::AuthError error, std::string detail);
    AuthOutcome check_token(std::string_view token, std::string_view peer);
    std::optional<AuthOutcome> check_passcode(const Credentials& credentials, std::string_view peer,
                                              Later later);

    ShardServices& shard_;
};

}  // namespace stampede::broker
