// Security: everything a CONNECT, SEND or SUBSCRIBE is judged by (JWT issuers, service
// accounts, ACL, revoked token ids), built from the config at start and at each SIGHUP, off
// the shards, then shared read-only. Plus the node-wide brute-force counter.
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

/// Where a CONNECT's credentials are (DESIGN.md "Identity and access"): a bearer token, a
/// login/passcode pair, or nothing.
struct Credentials {
    enum class Kind { None, Token, Login, Malformed };  // Malformed: e.g. Basic not base64
    Kind kind = Kind::None;
    std::string_view token;
    std::string_view login;
    std::string_view passcode;
};
/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
std::optional<std::string_view> bearer_token(std::string_view authorization);
/// An HTTP Authorization header's credentials: Bearer (a token) or Basic (login:passcode,
/// decoded into `decoded`, which the views point into).
Credentials http_credentials(std::string_view authorization, std::string& decoded);

template <typename Frame>
Credentials find_credentials(const Frame& frame, const Security& security);

/// Failed CONNECTs per client IP over the last minute; past the limit an IP is refused for
/// 60 s without any check. Any thread (one mutex; touched once per CONNECT).
class FailureTracker {
   public:
    using Clock = std::chrono::steady_clock;
    bool blocked(std::string_view ip, Clock::time_point now);
    void record_failure(std::string_view ip, std::uint32_t max_per_minute, Clock::time_point now);

   private:
    struct Entry {
        std::vector<Clock::time_point> failures;  // within the last minute, oldest first
        Clock::time_point blocked_until{};
    };
    static constexpr std::size_t kMaxTracked = 100000;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

/// True when `address` is one of `proxies` (exact IP, or IPv4 CIDR "10.0.0.0/8").
bool is_trusted_proxy(std::string_view address, const std::vector<std::string>& proxies);

}  // namespace stampede::broker

#include "core/security_inl.hpp"
