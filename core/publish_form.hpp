// The publish form: the JSON object HTTP publish takes and backends PUBLISH to Redis
// `<prefix>:publish` (DESIGN.md "HTTP", "Redis"): {"destination": str, "body": str,
// "body_base64": str?, "headers": {str: str}?}. One decoder for both ways in. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stampede::broker {

struct PublishForm {
    std::string destination;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/// Reads `json` into `form`. Returns nullptr, or what is wrong (for a 400 or a log line).
/// Parsed iteratively (nesting costs heap, not stack: the text comes from outside) and
/// validated as UTF-8, escapes included.
const char* read_publish_form(std::string_view json, PublishForm& form);

}  // namespace stampede::broker
