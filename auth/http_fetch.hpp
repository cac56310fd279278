// A small blocking HTTP(S) client: GET for JWKS documents (jwks_url), POST for the offline
// hook's webhook. Blocking by design: it runs at start on the main thread, on the JWKS
// refresher thread and on the webhook thread, never on a shard.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

struct PostResult {
    int status = 0;     // the answer's status code; 0 = no HTTP answer (see error)
    std::string error;  // why there is no answer, or the answer's status line
};

/// POST `body` to `url` with `headers` (name, value; Content-Length is added), as http_get
/// connects (TLS verified, no redirects, a whole-request `timeout`). The answer's body is
/// read and dropped.
PostResult http_post(const std::string& url, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout, const std::string& ca_file = "");

}  // namespace stampede::auth
