// What the config tests share: loading a text as "t.yaml" (a leading newline, from a raw
// string literal, is not a line), and the two ways a test expects it to end.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.hpp"

namespace stampede::config::testing {

inline ConfigResult load(std::string text) {
    if (text.starts_with('\n')) {
        text.erase(0, 1);
    }
    return load_config_text(text, "t.yaml");
}

/// Loads a file that must be good, failing the test with its errors otherwise.
inline ConfigPtr load_good(const std::string& text) {
    ConfigResult r = load(text);
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(r.errors);
    return r.config;
}

/// The errors of a file that must be bad (and so has no config).
inline std::vector<std::string> errors_of(const std::string& text) {
    ConfigResult r = load(text);
    EXPECT_EQ(r.config, nullptr);
    return r.errors;
}

}  // namespace stampede::config::testing
