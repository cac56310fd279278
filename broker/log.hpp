// Logging: one line per event to stderr, text or JSON, with a level filter.
// Thread-safe: each line is formatted first and written with one write(2).
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string_view>

#include "broker/config.hpp"

namespace stampede::broker {

class Logger {
   public:
    void set_level(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
    void set_format(LogFormat format) { format_.store(format, std::memory_order_relaxed); }
    bool enabled(LogLevel level) const {
        return static_cast<int>(level) >= static_cast<int>(level_.load(std::memory_order_relaxed));
    }
    void write(LogLevel level, std::string_view text) const;

    template <typename... Args>
    void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(level)) {
            write(level, fmt::format(format, std::forward<Args>(args)...));
        }
    }
    template <typename... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        log(LogLevel::Info, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args) const {
        log(LogLevel::Warn, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        log(LogLevel::Error, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        log(LogLevel::Debug, format, std::forward<Args>(args)...);
    }

   private:
    std::atomic<LogLevel> level_{LogLevel::Info};
    std::atomic<LogFormat> format_{LogFormat::Text};
};

}  // namespace stampede::broker
