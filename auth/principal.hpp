// Who a session is: the result of a verified JWT, a service account login, or anonymous.
// A plain value; copied into the session on its shard.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stampede::auth {

struct Principal {
    std::string name;                        // from principal_claim, the login, or anonymous:<id>
    std::vector<std::string> roles;          // from roles_claim, the account, or {"anonymous"}
    std::string issuer;                      // the guard (auth.jwt[].name) or "users"
    std::optional<std::int64_t> expires_at;  // token exp, unix seconds; none = never
    std::string jti;                         // token id for the revocation list; "" = none
    /// A JWT's verified payload as JSON text, for the claims read after CONNECT (a presence
    /// room's info_claim: auth/claims.hpp); "" for service accounts and anonymous sessions.
    std::string claims;
    bool anonymous = false;

    bool has_role(std::string_view role) const {
        return std::find(roles.begin(), roles.end(), role) != roles.end();
    }
};

/// The issuer name given to service-account principals.
inline constexpr std::string_view kUsersIssuer = "users";
/// The role every anonymous session has (DESIGN.md, "Identity and access").
inline constexpr std::string_view kAnonymousRole = "anonymous";

/// An anonymous session's principal: `anonymous:<session id>`, role `anonymous`.
inline Principal anonymous_principal(std::string_view session_id) {
    Principal principal;
    principal.name = "anonymous:";
    principal.name += session_id;
    principal.roles.emplace_back(kAnonymousRole);
    principal.anonymous = true;
    return principal;
}

}  // namespace stampede::auth
