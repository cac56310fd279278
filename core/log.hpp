// Logging: one line per event to stderr, text or JSON, with a level filter.
// Thread-safe: each line is formatted first and written with one write(2).
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string_view>

#include "config/config.hpp"

namespace stampede::broker {

class Logger {
   public:
    void set_level(config::LogLevel level) { level_.store(level, std::memory_order_relaxed); }
    void set_format(config::LogFormat format) { format_.store(format, std::memory_order_relaxed); }
    bool enabled(config::LogLevel level) const {
        return static_cast<int>(level) >= static_cast<int>(level_.load(std::memory_order_relaxed));
    }
    void write(config::LogLevel level, std::string_view text) const;

    template <typename... Args>
    void log(config::LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(level)) {
            write(level, fmt::format(format, std::forward<Args>(args)...));
        }
    }
    template <typename... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        log(config::LogLevel::Info, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args) const {
        log(config::LogLevel::Warn, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        log(config::LogLevel::Error, format, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        log(config::LogLevel::Debug, format, std::forward<Args>(args)...);
    }

   private:
    std::atomic<config::LogLevel> level_{config::LogLevel::Info};
    std::atomic<config::LogFormat> format_{config::LogFormat::Text};
};

}  // namespace stampede::broker
