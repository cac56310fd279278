// Loading the security set (start, SIGHUP, JWKS refreshes). Never on a shard.
#include "core/security.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "auth/base64url.hpp"
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

}  // namespace stampede::broker
