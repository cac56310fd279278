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

/// How forgiving the decoder is. HTTP refuses a body, body_base64 or header value that is not
/// a string (400, the client sees why); the Redis ingress has nobody to tell, so it keeps what
/// it can: such fields are left out and the message still goes (what backends relied on).
enum class FormStrictness { Strict, Lenient };

/// Reads `json` into `form`. Returns nullptr, or what is wrong (for a 400 or a log line).
/// Parsed iteratively (nesting costs heap, not stack: the text comes from outside) and
/// validated as UTF-8, escapes included.
const char* read_publish_form(std::string_view json, PublishForm& form,
                              FormStrictness strictness = FormStrictness::Strict);

}  // namespace stampede::broker
