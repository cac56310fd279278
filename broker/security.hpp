// Security: everything a CONNECT, SEND or SUBSCRIBE is judged by (JWT issuers, service
// accounts, ACL, revoked token ids), built from the config at start and at each SIGHUP, off
// the shards, then shared read-only. Plus the node-wide brute-force counter.
#pragma once

#include <atomic>
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
    enum class Kind { None, Token, Login };
    Kind kind = Kind::None;
    std::string_view token;
    std::string_view login;
    std::string_view passcode;
};
/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
std::optional<std::string_view> bearer_token(std::string_view authorization);

template <typename Frame>
Credentials find_credentials(const Frame& frame, const Security& security);

/// Failed CONNECTs per client IP over the last minute; past the limit an IP is refused for
/// 60 s without any check. Any thread (one mutex; touched once per CONNECT).
class FailureTracker {
   public:
    using Clock = std::chrono::steady_clock;
    bool blocked(std::string_view ip, Clock::time_point now);
    /// At most `max_tracked` IPs are remembered (auth.max_tracked_ips). A new IP when that
    /// many are tracked first makes the idle ones (no failure in the last minute, not
    /// blocked) forgotten; if none is idle, the new IP's failure is not counted (see
    /// untracked()): tracked IPs and their blocks are never dropped for it.
    void record_failure(std::string_view ip, std::uint32_t max_per_minute, std::size_t max_tracked,
                        Clock::time_point now);
    std::size_t tracked();
    /// Failures not counted because the table was full of active IPs.
    std::uint64_t untracked() const { return untracked_.load(std::memory_order_relaxed); }

   private:
    struct Entry {
        std::vector<Clock::time_point> failures;  // within the last minute, oldest first
        Clock::time_point blocked_until{};
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::atomic<std::uint64_t> untracked_{0};
};

/// True when `address` is one of `proxies` (exact IP, or IPv4 CIDR "10.0.0.0/8").
bool is_trusted_proxy(std::string_view address, const std::vector<std::string>& proxies);

}  // namespace stampede::broker

#include "broker/security_inl.hpp"
