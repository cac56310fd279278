// Security: everything a CONNECT, SEND or SUBSCRIBE is judged by (JWT issuers, service
// accounts, ACL, revoked token ids), built from the config at start and at each SIGHUP, off
// the shards, then shared read-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/acl.hpp"
#include "auth/guards.hpp"
#include "auth/revocation.hpp"
#include "auth/users.hpp"
#include "config/config.hpp"

namespace stampede::broker {

struct Security {
    std::shared_ptr<const auth::Guards> guards;  // null: no JWT issuer configured
    std::shared_ptr<const auth::ServiceAccounts> accounts;
    std::shared_ptr<const auth::Acl> acl;
    std::shared_ptr<const auth::RevocationList> revoked;
    std::string token_header;  // auth.token_header, "" = none
};
using SecurityPtr = std::shared_ptr<const Security>;

struct SecurityResult {
    SecurityPtr security;  // null when errors is non-empty
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};

/// Reads key files, JWKS files and the revoked-jti file, and fetches jwks_url documents:
/// call at start or on SIGHUP, never on a shard. Any error refuses the whole set (a reload
/// then keeps the running one). A jwks_url that cannot be fetched is a warning, not an error:
/// the issuer keeps `previous`'s keys (none at start) until a refresh succeeds.
SecurityResult load_security(const config::Config& config, const Security* previous = nullptr);

/// Fetches every jwks_url again; returns a new set when some keys changed, else null.
/// `log` receives one line per failed fetch. For the refresher thread.
SecurityPtr refresh_jwks(const config::Config& config, const SecurityPtr& current,
                         std::vector<std::string>& log);

}  // namespace stampede::broker
