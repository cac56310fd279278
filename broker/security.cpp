// Loading the security set, and the brute-force counter. Main thread (load) / any (tracker).
#include "broker/security.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "auth/http_fetch.hpp"
#include "auth/jwks.hpp"

namespace stampede::broker {

namespace {

constexpr std::chrono::seconds kFetchTimeout{5};

// The issuer's keys as last fetched, from `security` (null when it has none).
std::shared_ptr<const auth::KeySet> current_keys(const Security* security,
                                                 const std::string& issuer) {
    if (security == nullptr || security->guards == nullptr) {
        return nullptr;
    }
    const auto* verifier = security->guards->find(issuer);
    return verifier != nullptr ? verifier->keys() : nullptr;
}

// Fetches each jwks_url issuer's keys into `guards`; keeps `previous` keys on failure.
std::shared_ptr<const auth::Guards> fetch_url_keys(const config::Config& config,
                                                   std::shared_ptr<const auth::Guards> guards,
                                                   const Security* previous,
                                                   std::vector<std::string>& warnings,
                                                   bool& changed) {
    changed = false;
    for (const auto& issuer : config.auth.jwt) {
        if (issuer.keys.jwks_url.empty() || guards == nullptr) {
            continue;
        }
        auto fetched = auth::http_get(issuer.keys.jwks_url, kFetchTimeout);
        std::shared_ptr<const auth::KeySet> keys;
        if (fetched.body) {
            auto parsed = auth::KeySet::from_jwks(*fetched.body);
            if (parsed.ok()) {
                keys = parsed.keys;
            } else {
                fetched.error = parsed.error;
            }
        }
        if (keys == nullptr) {
            warnings.push_back(fmt::format("issuer {}: jwks_url {}: {}; keeping the last good keys",
                                           issuer.name, issuer.keys.jwks_url, fetched.error));
            keys = current_keys(previous, issuer.name);
            if (keys == nullptr) {
                continue;
            }
        } else {
            changed = true;
        }
        if (auto updated = guards->with_keys(issuer.name, keys)) {
            guards = std::move(updated);
        }
    }
    return guards;
}

}  // namespace

SecurityResult load_security(const config::Config& config, const Security* previous) {
    SecurityResult result;
    auto security = std::make_shared<Security>();
    security->token_header = config.auth.token_header;
    if (!config.auth.jwt.empty()) {
        auto guards = auth::load_guards(config.auth.jwt, config.limits.max_header_line_bytes);
        result.errors.insert(result.errors.end(), guards.errors.begin(), guards.errors.end());
        result.warnings.insert(result.warnings.end(), guards.warnings.begin(),
                               guards.warnings.end());
        bool changed = false;
        security->guards =
            fetch_url_keys(config, std::move(guards.guards), previous, result.warnings, changed);
    }
    auto accounts = auth::ServiceAccounts::create(config.auth.users);
    result.errors.insert(result.errors.end(), accounts.errors.begin(), accounts.errors.end());
    result.warnings.insert(result.warnings.end(), accounts.warnings.begin(),
                           accounts.warnings.end());
    security->accounts = std::move(accounts.accounts);
    security->acl = std::make_shared<const auth::Acl>(config.auth.acl);
    auto revoked =
        auth::load_revocation_list(config.auth.revoked_jti, config.auth.revoked_jti_file);
    if (!revoked.error.empty()) {
        result.errors.push_back(revoked.error);
    }
    security->revoked = std::move(revoked.list);
    if (result.errors.empty()) {
        result.security = std::move(security);
    }
    return result;
}

SecurityPtr refresh_jwks(const config::Config& config, const SecurityPtr& current,
                         std::vector<std::string>& log) {
    if (current == nullptr || current->guards == nullptr) {
        return nullptr;
    }
    bool changed = false;
    auto guards = fetch_url_keys(config, current->guards, current.get(), log, changed);
    if (!changed) {
        return nullptr;
    }
    auto next = std::make_shared<Security>(*current);
    next->guards = std::move(guards);
    return next;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    if (authorization.size() > 7 && detail::iequals(authorization.substr(0, 7), "bearer ")) {
        return authorization.substr(7);
    }
    return std::nullopt;
}

bool FailureTracker::blocked(std::string_view ip, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(std::string(ip));
    return it != entries_.end() && now < it->second.blocked_until;
}

void FailureTracker::record_failure(std::string_view ip, std::uint32_t max_per_minute,
                                    std::size_t max_tracked, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(ip));
    if (it == entries_.end()) {
        if (entries_.size() >= max_tracked) {
            // Bounded: forget IPs with nothing recent rather than grow without limit.
            std::erase_if(entries_, [now](const auto& item) {
                const Entry& entry = item.second;
                return now >= entry.blocked_until &&
                       (entry.failures.empty() ||
                        now - entry.failures.back() > std::chrono::minutes(1));
            });
        }
        if (entries_.size() >= max_tracked) {
            // Still full (a spread-out attack): the new IP goes uncounted rather than evict
            // an active one, and refusing it outright would let anyone lock everyone out.
            untracked_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        it = entries_.emplace(std::string(ip), Entry{}).first;
    }
    Entry& entry = it->second;
    const auto window_start = now - std::chrono::minutes(1);
    std::erase_if(entry.failures, [&](Clock::time_point t) { return t < window_start; });
    entry.failures.push_back(now);
    if (entry.failures.size() > max_per_minute) {
        entry.blocked_until = now + std::chrono::seconds(60);
        entry.failures.clear();
    }
}

std::size_t FailureTracker::tracked() {
    const std::lock_guard lock(mutex_);
    return entries_.size();
}

bool is_trusted_proxy(std::string_view address, const std::vector<std::string>& proxies) {
    in_addr peer{};
    const std::string peer_text(address);
    const bool peer_v4 = inet_pton(AF_INET, peer_text.c_str(), &peer) == 1;
    for (const auto& proxy : proxies) {
        const auto slash = proxy.find('/');
        if (slash == std::string::npos) {
            if (proxy == address) {
                return true;
            }
            continue;
        }
        in_addr network{};
        int bits = -1;
        const std::string base = proxy.substr(0, slash);
        const auto bits_text = std::string_view(proxy).substr(slash + 1);
        std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
        if (!peer_v4 || inet_pton(AF_INET, base.c_str(), &network) != 1 || bits < 0 || bits > 32) {
            continue;
        }
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        if ((ntohl(peer.s_addr) & mask) == (ntohl(network.s_addr) & mask)) {
            return true;
        }
    }
    return false;
}

}  // namespace stampede::broker
