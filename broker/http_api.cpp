// HTTP on the ws listener: GET /health, GET /metrics, POST /api/v1/publish (DESIGN.md "HTTP").
// Shard thread only.
#include "broker/http_api.hpp"

#include <libwebsockets.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <string>

#include "auth/base64url.hpp"
#include "broker/metrics.hpp"
#include "broker/queues.hpp"
#include "broker/server.hpp"
#include "broker/shard.hpp"
#include "protocol/destination.hpp"

namespace stampede::broker {
namespace {

constexpr unsigned kHttpAccepted = 202;  // not among lws's HTTP_STATUS_* names

// Every answer closes its connection: no keep-alive, no pipelining on the ws port.
//
// libwebsockets 4.1.6 reads freed memory when a keep-alive connection's next request has an
// Upgrade header other than websocket or h2c (lws_handshake_server, roles/http/server/
// server.c): it answers 403, completes the transaction, which frees the header table when
// nothing else is buffered, then falls through and compares the Upgrade value it read from
// that table. Any client could trigger it with two requests on one connection; the ASan build
// aborted within 15-80 tries. The fault is in lws, so the path must never run: a request on
// this port is answered with `connection: close` and the connection ends, so there is never a
// next request. lws marks the connection for closing only when the answer has no length
// (LWS_ILLEGAL_HTTP_CONTENT_LEN: it then adds `connection: close` itself); the length goes in
// as a plain header. What is lost is keep-alive for /health, /metrics and HTTP publish: a
// new TCP connection per request, which loopback health checks and backends absorb easily.
bool respond(lws* wsi, unsigned status, std::string_view content_type, std::string_view body,
             bool challenge = false) {
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof buffer;
    if (lws_add_http_common_headers(wsi, status, std::string(content_type).c_str(),
                                    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) != 0) {
        return false;
    }
    const std::string length = std::to_string(body.size());
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                     reinterpret_cast<const unsigned char*>(length.data()),
                                     static_cast<int>(length.size()), &p, end) != 0) {
        return false;
    }
    if (challenge) {
        constexpr std::string_view kChallenge =
            "Bearer realm=\"stampede\", Basic realm=\"stampede\"";
        if (lws_add_http_header_by_name(wsi,
                                        reinterpret_cast<const unsigned char*>("www-authenticate:"),
                                        reinterpret_cast<const unsigned char*>(kChallenge.data()),
                                        static_cast<int>(kChallenge.size()), &p, end) != 0) {
            return false;
        }
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
        return false;
    }
    std::string payload(LWS_PRE, '\0');
    payload.append(body);
    return lws_write(wsi, reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE, body.size(),
                     LWS_WRITE_HTTP_FINAL) >= 0;
}

std::string json_object(std::string_view key, std::string_view value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    writer.EndObject();
    return buffer.GetString();
}

void answer(HttpRequest& request, unsigned status, std::string_view key, std::string_view text) {
    request.ready = true;
    request.status = status;
    request.response = json_object(key, text);
    request.challenge = status == HTTP_STATUS_UNAUTHORIZED;
}

std::string header_text(lws* wsi, lws_token_indexes token) {
    const int length = lws_hdr_total_length(wsi, token);
    if (length <= 0) {
        return {};
    }
    std::string value(static_cast<std::size_t>(length) + 1, '\0');
    const int copied = lws_hdr_copy(wsi, value.data(), length + 1, token);
    value.resize(copied > 0 ? static_cast<std::size_t>(copied) : 0);
    return value;
}

// The publish form: {"destination": str, "body": str, "body_base64": str?, "headers": {}?}.
const char* read_publish(HttpRequest& request) {
    rapidjson::Document document;
    // Iterative: nesting depth costs heap, not stack (a body of 1 MiB of '[' is read before any
    // credential is checked). Validated: a JSON escape must not smuggle broken UTF-8 into
    // headers or a text body.
    document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        request.body.data(), request.body.size());
    if (document.HasParseError() || !document.IsObject()) {
        return "the body is not a JSON object";
    }
    const auto destination = document.FindMember("destination");
    if (destination == document.MemberEnd() || !destination->value.IsString()) {
        return "destination must be a string";
    }
    request.destination = destination->value.GetString();
    if (const auto b64 = document.FindMember("body_base64"); b64 != document.MemberEnd()) {
        if (!b64->value.IsString()) {
            return "body_base64 must be a string";
        }
        auto decoded = auth::base64_decode(
            std::string_view(b64->value.GetString(), b64->value.GetStringLength()));
        if (!decoded) {
            return "body_base64 is not base64";
        }
        request.payload = std::move(*decoded);
    } else if (const auto body = document.FindMember("body"); body != document.MemberEnd()) {
        if (!body->value.IsString()) {
            return "body must be a string";
        }
        request.payload.assign(body->value.GetString(), body->value.GetStringLength());
    }
    if (const auto headers = document.FindMember("headers"); headers != document.MemberEnd()) {
        if (!headers->value.IsObject()) {
            return "headers must be an object of strings";
        }
        for (const auto& member : headers->value.GetObject()) {
            if (!member.value.IsString()) {
                return "headers must be an object of strings";
            }
            request.headers.emplace_back(member.name.GetString(), member.value.GetString());
        }
    }
    return nullptr;
}

// After an answer, the connection ends (respond() made it `connection: close`): at once when
// the answer is wholly with the kernel, or no answer could be written; otherwise lws sends
// what it still holds and then closes (it defers the transaction's end until then). lws may
// also want to wait for a body it was promised or to discard it: nothing more is read.
int end_transaction(lws* wsi, bool answered) {
    if (!answered || lws_http_transaction_completed(wsi) != 0) {
        return -1;
    }
    return lws_partial_buffered(wsi) ? 0 : -1;
}

}  // namespace

int Shard::serve_http(lws* wsi, std::string_view uri, HttpRequest*& request) {
    const auto& http = config().http;
    const bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    if (uri == http.publish && !http.publish.empty()) {
        if (!post) {
            return end_transaction(wsi,
                                   respond(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "application/json",
                                           json_object("error", "use POST")));
        }
        // lws reads the length with atoll (so "12abc" is 12 and "-1" is huge); anything but
        // plain digits is refused here before any body is read.
        const std::string length = header_text(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
        std::uint64_t declared = 0;
        if (!length.empty()) {
            const auto [end, ec] =
                std::from_chars(length.data(), length.data() + length.size(), declared);
            if (ec != std::errc() || end != length.data() + length.size()) {
                // The body's framing is unknown, so no waiting for lws to discard it: the
                // answer goes to the socket now and the connection closes behind it.
                respond(wsi, HTTP_STATUS_BAD_REQUEST, "application/json",
                        json_object("error", "bad Content-Length"));
                return -1;
            }
        }
        auto owned = std::make_unique<HttpRequest>();
        owned->id = next_http_id_++;
        owned->authorization = header_text(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
        owned->peer = client_address(wsi, true, config().auth.trusted_proxies);
        const std::string type = header_text(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
        owned->json = type.rfind("application/json", 0) == 0;
        owned->too_large = declared > config().limits.max_frame_bytes;
        request = owned.get();
        const std::uint64_t id = owned->id;  // not in the call below: argument order is unspecified
        http_.emplace(id, std::make_pair(wsi, std::move(owned)));
        if (declared == 0) {
            return http_body_complete(wsi, *request);  // no body will come
        }
        return 0;  // the body follows in LWS_CALLBACK_HTTP_BODY
    }
    bool answered = false;
    if (uri == http.health) {
        answered = draining_
                       ? respond(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "text/plain", "draining")
                       : respond(wsi, HTTP_STATUS_OK, "text/plain", "ok");
    } else if (uri == http.metrics) {
        answered =
            respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", render_metrics(server_));
    } else {
        answered = respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "not found");
    }
    return end_transaction(wsi, answered);
}

int Shard::http_body(HttpRequest& request, std::string_view chunk) {
    if (request.too_large || request.body.size() + chunk.size() > config().limits.max_frame_bytes) {
        request.too_large = true;  // read and dropped: the answer is 413
        request.body.clear();
        return 0;
    }
    request.body.append(chunk);
    return 0;
}

int Shard::http_body_complete(lws* wsi, HttpRequest& request) {
    answer_publish(wsi, request);
    if (request.ready) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

void Shard::answer_publish(lws* wsi, HttpRequest& request) {
    if (request.too_large) {
        return answer(request, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "error",
                      "body exceeds max_frame_bytes");
    }
    if (!request.json) {
        return answer(request, HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE, "error",
                      "Content-Type must be application/json");
    }
    if (const char* problem = read_publish(request)) {
        return answer(request, HTTP_STATUS_BAD_REQUEST, "error", problem);
    }
    const auto& destinations = config().destinations;
    if (protocol::classify(request.destination, destinations.topic_prefixes,
                           destinations.queue_prefixes)
            .kind == protocol::DestinationKind::Unknown) {
        return answer(request, HTTP_STATUS_BAD_REQUEST, "error", "unknown destination prefix");
    }
    // Never anonymous: a Bearer token or a service account (Basic). Failures count against
    // the client's IP as CONNECT's do (auth.max_failures_per_minute), and a blocked IP is
    // refused before any check: guessing passcodes over HTTP costs what it costs over STOMP.
    if (auth_blocked(request.peer)) {
        return answer(request, 429, "error", "too many failed logins");
    }
    const auto refuse = [this, &request](std::string_view text) {
        record_auth_failure(request.peer);
        answer(request, HTTP_STATUS_UNAUTHORIZED, "error", text);
    };
    const std::string_view authorization = request.authorization;
    const Security& security = *security_;
    if (const auto token = bearer_token(authorization)) {
        if (security.guards == nullptr) {
            return refuse("invalid token");
        }
        auto result = security.guards->verify(*token, Session::unix_now(), security.revoked.get());
        if (!result.ok()) {
            return refuse(auth::to_text(result.error));
        }
        if (revoked_in_cluster(result.value->jti)) {
            return refuse("token revoked");
        }
        return finish_publish(request, *result.value);
    }
    if (authorization.size() > 6 && detail::iequals(authorization.substr(0, 6), "basic ")) {
        const auto decoded = auth::base64_decode(authorization.substr(6));
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos || security.accounts == nullptr) {
            return refuse("bad credentials");
        }
        // An unknown login goes through the worker too: it costs a known one's PBKDF2.
        request.waiting = true;
        auto task = [this, id = request.id, security = security_, login = decoded->substr(0, colon),
                     passcode = decoded->substr(colon + 1)] {
            auto result = security->accounts->authenticate(login, passcode);
            InboxItem item;
            item.kind = InboxItem::Kind::Run;
            item.task = [id, result = std::move(result)](Shard& shard) {
                const auto it = shard.http_.find(id);
                if (it == shard.http_.end()) {
                    return;  // the client went away meanwhile
                }
                HttpRequest& pending = *it->second.second;
                pending.waiting = false;
                if (result.ok()) {
                    shard.finish_publish(pending, *result.value);
                } else {
                    shard.record_auth_failure(pending.peer);
                    answer(pending, HTTP_STATUS_UNAUTHORIZED, "error", auth::to_text(result.error));
                }
                lws_callback_on_writable(it->second.first);
            };
            post(std::move(item));
        };
        if (!server_.worker().submit(std::move(task))) {
            request.waiting = false;
            answer(request, HTTP_STATUS_SERVICE_UNAVAILABLE, "error", "too busy");
        }
        (void)wsi;
        return;
    }
    refuse("authentication required");
}

void Shard::finish_publish(HttpRequest& request, const auth::Principal& principal) {
    if (security_->acl->decide(principal, auth::AclAction::Send, request.destination) !=
        auth::AclDecision::Allow) {
        return answer(request, HTTP_STATUS_FORBIDDEN, "error", "access denied");
    }
    const auto& destinations = config().destinations;
    const auto where = protocol::classify(request.destination, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    auto message = protocol::Message::make(request.destination, make_message_id(),
                                           server_.node_id(), principal.name,
                                           std::move(request.headers), std::move(request.payload));
    count_message_in();
    if (where.kind == protocol::DestinationKind::Topic) {
        publish_topic(message, where.prefix, where.name);
    } else if (!server_.queues().enqueue(message)) {
        return answer(request, HTTP_STATUS_SERVICE_UNAVAILABLE, "error", "queue full");
    }
    answer(request, kHttpAccepted, "message_id", message->id);
}

int Shard::http_writeable(lws* wsi, HttpRequest*& request) {
    if (!request->ready) {
        return 0;
    }
    const bool answered =
        respond(wsi, request->status, "application/json", request->response, request->challenge);
    http_.erase(request->id);
    request = nullptr;
    return end_transaction(wsi, answered);
}

void Shard::http_closed(HttpRequest* request) { http_.erase(request->id); }

}  // namespace stampede::broker
