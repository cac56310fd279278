// See log_limiter.hpp.
#include "core/log_limiter.hpp"

#include <fmt/format.h>

#include <cctype>

namespace stampede::broker {

LogLimiter::LogLimiter(std::int64_t interval_ms, std::size_t max_kinds)
    : interval_ms_(interval_ms), max_kinds_(max_kinds) {}

std::string LogLimiter::kind_of(std::string_view text) {
    std::string kind;
    kind.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (std::isdigit(c) != 0) {
            // A run of digits, or a hex pointer (0x7f...), is one '#'.
            if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
                ++i;
            }
            while (i + 1 < text.size() &&
                   std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0) {
                ++i;
            }
            kind += '#';
        } else {
            kind += static_cast<char>(c);
        }
    }
    return kind;
}

std::optional<std::string> LogLimiter::admit(std::string_view text, std::int64_t now_ms) {
    std::string key = kind_of(text);
    const std::lock_guard lock(mutex_);
    if (kinds_.size() >= max_kinds_ && kinds_.find(key) == kinds_.end()) {
        key = "\x01other";  // cannot be the kind of any real line: they hold no control bytes
    }
    auto [it, fresh] = kinds_.try_emplace(std::move(key));
    Kind& kind = it->second;
    if (!fresh && now_ms - kind.written_at < interval_ms_) {
        ++kind.held;
        return std::nullopt;
    }
    std::string line(text);
    if (kind.held > 0) {
        line += fmt::format(" ({} more like it in the last {} s)", kind.held,
                            (now_ms - kind.written_at) / 1000);
    }
    kind.written_at = now_ms;
    kind.held = 0;
    return line;
}

}  // namespace stampede::broker
