// Parsing of cluster.redis.url. Pure.
#include "storage/redis_url.hpp"

#include <charconv>

namespace stampede::storage {
namespace {

bool parse_int(std::string_view text, int min, int max, int& out) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        return false;
    }
    out = value;
    return true;
}

// %XX in user names and passwords (a password may hold '@' or ':').
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        int value = 0;
        const auto hex = text.substr(i + 1, 2);
        const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
        if (error != std::errc{} || end != hex.data() + 2) {
            return std::nullopt;
        }
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& error) {
    constexpr std::string_view kScheme = "redis://";
    if (url.substr(0, kScheme.size()) != kScheme) {
        error = "the URL must start with redis://";
        return std::nullopt;
    }
    RedisAddress address;
    std::string_view rest = url.substr(kScheme.size());
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        const auto db = rest.substr(slash + 1);
        if (!db.empty() && !parse_int(db, 0, 1 << 16, address.db)) {
            error = "the database after '/' must be a number";
            return std::nullopt;
        }
        rest = rest.substr(0, slash);
    }
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const auto colon = userinfo.find(':');
        const auto user = percent_decode(userinfo.substr(0, colon));
        const auto password = colon == std::string_view::npos
                                  ? std::optional<std::string>("")
                                  : percent_decode(userinfo.substr(colon + 1));
        if (!user || !password) {
            error = "bad %-escape in the user or password";
            return std::nullopt;
        }
        address.username = *user;
        address.password = *password;
    }
    std::string_view host = rest;
    if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            error = "unclosed '[' in the host";
            return std::nullopt;
        }
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() == ':' &&
            !parse_int(rest.substr(1), 1, 65535, address.port)) {
            error = "the port must be 1-65535";
            return std::nullopt;
        }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        if (!parse_int(rest.substr(colon + 1), 1, 65535, address.port)) {
            error = "the port must be 1-65535";
            return std::nullopt;
        }
    }
    if (!host.empty()) {
        address.host = std::string(host);
    }
    return address;
}

}  // namespace stampede::storage
