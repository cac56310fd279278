// What a request and its answer are between the lws side (net/http_glue.cpp) and the HTTP
// endpoints here (HttpApi, AdminApi): the request's head, the answer, and what comes next.
// Plain values.
#pragma once

#include <string>

namespace stampede::broker {

struct HttpHead {
    bool post = false;
    std::string method;  // "GET", "POST", "DELETE", ...: the admin API's routes need it
    std::string uri;
    std::string authorization;
    std::string content_type;
    std::string content_length;  // as sent; empty when absent
    bool chunked = false;        // Transfer-Encoding: chunked (the body's end is in the body)
    std::string peer;            // client IP (X-Forwarded-For from a trusted proxy)
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    bool challenge = false;  // 401: add WWW-Authenticate
};

/// What the lws side does next with a request.
enum class HttpNext {
    Answer,          // take() the answer and write it
    AnswerAndClose,  // the same, and close without reading a body (its framing is unknown)
    ReadBody,        // feed the body to body(), then end_body()
    Wait,            // the answer comes later: the ready callback names the request
};

}  // namespace stampede::broker
