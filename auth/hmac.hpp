// HMAC-SHA256 as lower-case hex, for signatures the broker makes itself (the offline hook's
// X-Stampede-Signature: a receiver recomputes it over the body with the shared secret).
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace stampede::auth {

/// hex(HMAC-SHA256(key, data)), 64 lower-case hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace stampede::auth
