// What the redis backend's scripts share: key names under the configured prefix, and reading
// numbers and strings out of hiredis replies. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct redisReply;

namespace stampede::storage {

/// `<prefix>:<kind>:<name>`.
std::string redis_key(std::string_view prefix, std::string_view kind, std::string_view name);
/// A non-negative integer reply, or a string of one; nullopt otherwise.
std::optional<std::uint64_t> reply_number(const redisReply* reply);
/// A string or status reply's text; nullopt otherwise.
std::optional<std::string> reply_text(const redisReply* reply);

}  // namespace stampede::storage
