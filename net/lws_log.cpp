// See lws_log.hpp.
#include "net/lws_log.hpp"

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "core/log_limiter.hpp"

namespace stampede::broker {
namespace {

// lws takes a plain function pointer with no user data, so the logger it reaches is the one
// process-wide piece of state here. Set once, before any shard starts.
std::atomic<const Logger*> g_logger{nullptr};

LogLimiter& limiter() {
    static LogLimiter instance;
    return instance;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void emit(int level, const char* line) {
    const Logger* logger = g_logger.load(std::memory_order_acquire);
    if (logger == nullptr || line == nullptr) {
        return;
    }
    const config::LogLevel ours =
        (level & LLL_ERR) != 0 ? config::LogLevel::Error : config::LogLevel::Warn;
    if (!logger->enabled(ours)) {
        return;
    }
    // lws 4.1.6 (LWS_MAX_SMP 1) formats every line into one static 256-byte buffer: read no
    // further than that, and drop its trailing newline.
    std::string_view text(line, ::strnlen(line, 256));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    if (auto admitted = limiter().admit(text, now_ms())) {
        logger->write(ours, "libwebsockets: " + *admitted);
    }
}

}  // namespace

void route_lws_log(const Logger& logger) {
    g_logger.store(&logger, std::memory_order_release);
    // Errors and warnings only: lws's libev plugin logs every fd change at NOTICE.
    lws_set_log_level(LLL_ERR | LLL_WARN, emit);
}

}  // namespace stampede::broker
