// HTTP on the ws listener's port: /health, /metrics and POST /api/v1/publish. One
// HttpRequest per request with a body; lws owns the connection, the shard owns the requests.
// Shard thread only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stampede::broker {

struct HttpRequest {
    std::uint64_t id = 0;
    std::string body;
    std::string authorization;
    std::string peer;        // client IP (X-Forwarded-For from a trusted proxy), for failure limits
    bool json = false;       // Content-Type: application/json
    bool too_large = false;  // the body crossed limits.max_frame_bytes
    bool waiting = false;    // a service-account check is running on the worker
    // The publish, once read.
    std::string destination;
    std::string payload;
    std::vector<std::pair<std::string, std::string>> headers;
    // The answer, once known.
    bool ready = false;
    unsigned status = 0;
    std::string response;    // JSON
    bool challenge = false;  // 401: add WWW-Authenticate
};

}  // namespace stampede::broker
