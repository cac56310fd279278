// SockjsHttp: the HTTP side of SockJS on a shard: routes a request under a listener's sockjs
// prefix (sockjs/route.hpp), answers /info, the greeting, OPTIONS and errors at once, reads
// xhr_send bodies and hands their STOMP bytes to the session's owner, and holds receiving
// requests (xhr, xhr_streaming, eventsource) open while the owner sends them frames
// (SockjsSessions). Every answer carries `connection: close`, as all HTTP on the ws port does
// (http_glue.cpp). Shard thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/chunked_body.hpp"

struct lws;

namespace stampede::broker {

class Shard;
struct ShardListener;

class SockjsHttp {
   public:
    explicit SockjsHttp(Shard& shard) : shard_(shard) {}

    /// LWS_CALLBACK_HTTP for `uri` under the listener's prefix; `request` receives the id of a
    /// request that goes on (0 = answered). lws's return value.
    int begin(lws* wsi, const ShardListener& listener, std::string_view uri,
              std::uint64_t& request);
    int body(std::uint64_t request, std::string_view chunk);
    int body_complete(lws* wsi, std::uint64_t request);
    int writeable(lws* wsi, std::uint64_t& request);
    void closed(std::uint64_t request);

    /// From the session's owner: frames for a receiving request (`finish` ends its answer).
    void deliver(std::uint64_t request, std::string bytes, bool finish);
    std::size_t open_requests() const { return requests_.size(); }

   private:
    enum class Kind { Answer, Send, Receive };
    /// How a receiving request's answer looks.
    enum class Format { Polling, Streaming, EventSource };
    struct Request {
        lws* wsi = nullptr;
        std::uint64_t id = 0;
        Kind kind = Kind::Answer;
        std::string key;  // the SockJS session id
        std::string origin;
        std::string allow_headers;  // Access-Control-Request-Headers, echoed
        // Send: the body as it arrives, or too large (read and dropped; 413 at its end)
        std::string body;
        bool too_large = false;
        std::unique_ptr<ChunkedBody> chunked;  // Transfer-Encoding: chunked (Node's http)
        // Answer (and a Send's answer): written on WRITEABLE
        unsigned status = 0;
        std::string content_type;
        std::string text;
        // Receive
        unsigned owner = 0;
        Format format = Format::Polling;
        bool head_sent = false;
        bool finish = false;
        bool ended = false;     // the answer is complete: its end is no abort
        bool ack_owed = false;  // tell the owner once lws has passed the frames on
        std::string out;
    };

    int begin_receive(lws* wsi, const ShardListener& listener, Request& request, Format format);
    int write_receive(lws* wsi, Request& request);
    /// Writes an answer with the SockJS headers (CORS, no caching) and ends the connection.
    int answer(lws* wsi, const Request& request, unsigned status, std::string_view content_type,
               std::string_view body);
    int options(lws* wsi, const Request& request, std::string_view methods);

    Shard& shard_;
    std::unordered_map<std::uint64_t, Request> requests_;
    std::uint64_t next_request_ = 1;
};

}  // namespace stampede::broker
