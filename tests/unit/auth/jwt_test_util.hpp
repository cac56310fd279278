// Shared pieces of the JWT tests: issuer configs and JSON objects from raw member values.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace stampede::auth::testing {

/// {"name":value,...} where each value is raw JSON text.
inline std::string object(const std::vector<std::pair<std::string, std::string>>& members) {
    std::string out = "{";
    for (const auto& [name, value] : members) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"' + name + "\":" + value;
    }
    return out + "}";
}

inline std::string quoted(const std::string& text) { return '"' + text + '"'; }

inline config::JwtIssuerConfig issuer_config(std::vector<std::string> algorithms,
                                             std::string name = "members") {
    config::JwtIssuerConfig config;
    config.name = std::move(name);
    config.algorithms = std::move(algorithms);
    return config;
}

}  // namespace stampede::auth::testing
