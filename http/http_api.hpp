// HttpApi: HTTP on the ws listener's port (DESIGN.md "HTTP"): GET /health, GET /metrics,
// POST /api/v1/publish and the admin API (admin_api.hpp). Values in, values out: the lws side
// (lws_glue.cpp, http_glue.cpp) reads a request's head and body into these calls and writes the
// HttpResponse it gets back; nothing here knows lws. Publishing goes through the shard's Publisher,
// credentials through its Authenticator, like a STOMP SEND's. Shard thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/http_exchange.hpp"

namespace stampede::broker {

class AdminApi;
class ShardServices;
struct AuthOutcome;

class HttpApi {
   public:
    using MetricsFn = std::function<std::string()>;
    using ReadyFn = std::function<void(std::uint64_t request)>;

    HttpApi(ShardServices& shard, MetricsFn metrics, ReadyFn ready);
    ~HttpApi();
    HttpApi(const HttpApi&) = delete;
    HttpApi& operator=(const HttpApi&) = delete;

    HttpNext begin(std::uint64_t request, const HttpHead& head);
    /// ReadBody while more is expected; Answer (or Wait) once a chunked body is complete.
    HttpNext body(std::uint64_t request, std::string_view chunk);
    HttpNext end_body(std::uint64_t request);
    /// The answer, once there is one (the request is then done).
    std::optional<HttpResponse> take(std::uint64_t request);
    /// The connection went away: forget the request (a worker's answer then finds nothing).
    void closed(std::uint64_t request);

   private:
    struct Publish;
    HttpNext answer_publish(Publish& publish);
    void authenticated(Publish& publish, const AuthOutcome& outcome);
    void finish(Publish& publish, unsigned status, std::string_view key, std::string_view text);

    ShardServices& shard_;
    MetricsFn metrics_;
    ReadyFn ready_;
    std::unordered_map<std::uint64_t, std::unique_ptr<Publish>> publishes_;
    std::unordered_map<std::uint64_t, HttpResponse> answers_;
    std::unique_ptr<AdminApi> admin_;  // http.admin: the admin API
};

}  // namespace stampede::broker
