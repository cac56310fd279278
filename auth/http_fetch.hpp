// A small blocking HTTP(S) GET for JWKS documents (jwks_url). Blocking by design: it runs at
// start on the main thread and later on the JWKS refresher thread, never on a shard.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace stampede::auth {

struct FetchResult {
    std::optional<std::string> body;  // set on a 200 answer
    std::string error;                // why not, for the log
};

/// GET `url` (http:// or https://, certificate and host name verified against the system's
/// CA store or `ca_file`), following no redirects, with a whole-request `timeout` and a
/// body limit of `max_bytes`. Content-Length and chunked bodies are both read.
FetchResult http_get(const std::string& url, std::chrono::milliseconds timeout,
                     std::size_t max_bytes = 1 << 20, const std::string& ca_file = "");

}  // namespace stampede::auth
