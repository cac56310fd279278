// Log line formatting. Any thread.
#include "core/log.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "protocol/json_escape.hpp"

namespace stampede::broker {
namespace {

std::string_view level_name(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::Debug:
            return "debug";
        case config::LogLevel::Info:
            return "info";
        case config::LogLevel::Warn:
            return "warn";
        case config::LogLevel::Error:
            return "error";
    }
    return "info";
}

std::string timestamp() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t seconds = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:03}Z", text, millis);
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    out += protocol::json_escape(text);
    out += '"';
}

}  // namespace

void Logger::write(config::LogLevel level, std::string_view text) const {
    std::string line;
    if (format_.load(std::memory_order_relaxed) == config::LogFormat::Json) {
        line = "{\"ts\":\"";
        line += timestamp();
        line += "\",\"level\":\"";
        line += level_name(level);
        line += "\",\"msg\":";
        append_json_string(line, text);
        line += "}\n";
    } else {
        line = fmt::format("{} {} {}\n", timestamp(), level_name(level), text);
    }
    // One write per line so lines from different shards never interleave.
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace stampede::broker
