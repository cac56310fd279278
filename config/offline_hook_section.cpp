// Config loader, the `offline_hook` section (DESIGN.md "Rooms", "Offline hook"):
// { redis_stream, webhook_url, webhook_secret, debounce_ms }. What works today is the webhook
// on one node with the memory backend, where memberships and sessions live; everything else
// is refused at its line rather than accepted and silently not reported. Main thread only.
#include <fmt/format.h>

#include <charconv>
#include <string_view>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace stampede::config::yaml {
namespace {

// A day: a longer debounce is a typo, and every member's window holds its messages that long.
constexpr std::uint64_t kMaxDebounceMs = 86400000;

// http:// or https://, a host, an optional numeric port, an optional path. Why not, or "".
std::string url_problem(std::string_view url) {
    if (url.starts_with("https://")) {
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else {
        return "must start with http:// or https://";
    }
    const std::string_view authority = url.substr(0, url.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) {
        return "must not carry credentials (user@host): the signature is the authentication";
    }
    std::string_view host = authority;
    if (const auto colon = authority.rfind(':');
        colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        host = authority.substr(0, colon);
        const std::string_view port = authority.substr(colon + 1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
            value > 65535) {
            return fmt::format("has a bad port '{}'", port);
        }
    }
    if (host.empty()) {
        return "has no host";
    }
    if (url.find_first_of(" \t\r\n") != std::string_view::npos) {
        return "must not contain whitespace";
    }
    return {};
}

// The webhook needs the node's memberships and sessions, which exist on one node with the
// memory backend only.
void refuse_where_it_cannot_work(Section& s, const Config& c, const YAML::Mark& at) {
    if (!c.redis.url.empty()) {
        s.diag().error(at, fmt::format("{} with a cluster (cluster.redis.url) is not supported "
                                       "yet: each node knows only its own sessions and members, "
                                       "so it would report members who are online elsewhere",
                                       s.qualify("webhook_url")));
    } else if (c.storage.backend != "memory") {
        s.diag().error(at, fmt::format("{} with storage.backend '{}' is not supported yet: room "
                                       "memberships are kept with the memory backend only",
                                       s.qualify("webhook_url"), c.storage.backend));
    } else if (c.destinations.rooms.empty()) {
        s.diag().warn(at, fmt::format("{} is set but there are no destinations.rooms: nothing "
                                      "will be reported",
                                      s.qualify("webhook_url")));
    }
}

}  // namespace

void read_offline_hook(Section s, Config& c) {
    OfflineHookConfig& hook = c.offline_hook;
    if (Where w = read_bool(s, "redis_stream", hook.redis_stream); w && hook.redis_stream) {
        refuse_unsupported(s.diag(), *w, s.qualify("redis_stream"),
                           "XADD to <cluster.redis.channel_prefix>:notify, once room "
                           "memberships are kept in Redis");
    }
    const Where url = read_string(s, "webhook_url", hook.webhook_url);
    const Where secret = read_string(s, "webhook_secret", hook.webhook_secret);
    read_uint(s, "debounce_ms", hook.debounce_ms, 0, kMaxDebounceMs);
    if (url && hook.webhook()) {
        if (const std::string why = url_problem(hook.webhook_url); !why.empty()) {
            s.diag().error(
                *url, fmt::format("{} '{}' {}", s.qualify("webhook_url"), hook.webhook_url, why));
        }
        if (hook.webhook_secret.empty()) {
            s.diag().error(secret.value_or(*url),
                           fmt::format("{} is required with {}: the receiver checks "
                                       "X-Stampede-Signature with it",
                                       s.qualify("webhook_secret"), s.qualify("webhook_url")));
        }
        refuse_where_it_cannot_work(s, c, *url);
    } else if (secret && !hook.webhook_secret.empty()) {
        s.diag().warn(*secret, fmt::format("{} is set but {} is empty: no webhook",
                                           s.qualify("webhook_secret"), s.qualify("webhook_url")));
    }
    s.check_unknown();
}

}  // namespace stampede::config::yaml
