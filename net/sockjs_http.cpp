// See sockjs_http.hpp.
#include "net/sockjs_http.hpp"

#include <libwebsockets.h>

#include <ctime>
#include <utility>
#include <vector>

#include "core/trusted_proxies.hpp"
#include "net/connection.hpp"
#include "net/http_glue.hpp"
#include "net/shard.hpp"
#include "sockjs/framing.hpp"
#include "sockjs/route.hpp"

namespace stampede::broker {
namespace {

using HeaderList = std::vector<std::pair<std::string_view, std::string>>;

constexpr std::string_view kNoCache = "no-store, no-cache, must-revalidate, max-age=0";
constexpr std::string_view kJavascript = "application/javascript;charset=UTF-8";
constexpr std::string_view kPlain = "text/plain;charset=UTF-8";
constexpr unsigned kYear = 31536000;
// Before its first frame an xhr_streaming answer sends this many 'h' bytes and a newline:
// some browsers hand a streaming response to the page only after its first 2 KiB.
constexpr std::size_t kPreludeBytes = 2048;

std::string header_copy(lws* wsi, lws_token_indexes token) {
    char value[512];
    const int length = lws_hdr_copy(wsi, value, sizeof value, token);
    return length > 0 ? std::string(value, static_cast<std::size_t>(length)) : std::string();
}

std::string http_date(std::time_t when) {
    std::tm parts{};
    gmtime_r(&when, &parts);
    char text[64];
    const std::size_t length =
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    return std::string(text, length);
}

// The headers every SockJS answer carries for a browser on another origin (SockJS is used
// cross-origin): its Origin echoed ("*" for none and for file:// pages' "null"), credentials
// allowed, and the headers its preflight asked for.
void add_cors(HeaderList& headers, const std::string& origin, const std::string& allow_headers) {
    headers.emplace_back("access-control-allow-origin:",
                         origin.empty() || origin == "null" ? std::string("*") : origin);
    headers.emplace_back("access-control-allow-credentials:", "true");
    if (!allow_headers.empty()) {
        headers.emplace_back("access-control-allow-headers:", allow_headers);
    }
}

// Status line, content type, the headers, and a content-length unless `length` is negative
// (a streaming answer, delimited by the connection's close: lws then adds
// `connection: close` itself; with a length it goes in as a plain header so that lws also
// closes, as http_glue.cpp explains).
bool write_head(lws* wsi, unsigned status, std::string_view content_type, long length,
                const HeaderList& headers) {
    unsigned char buffer[LWS_PRE + 2048];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof buffer;
    const std::string type(content_type);
    if (lws_add_http_common_headers(wsi, status, type.empty() ? nullptr : type.c_str(),
                                    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) != 0) {
        return false;
    }
    HeaderList all = headers;
    if (length >= 0) {
        all.emplace_back("content-length:", std::to_string(length));
    }
    for (const auto& [name, value] : all) {
        const std::string n(name);
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), &p, end) != 0) {
            return false;
        }
    }
    return lws_finalize_write_http_header(wsi, start, &p, end) == 0;
}

bool write_body(lws* wsi, std::string_view body, bool final) {
    std::string payload(LWS_PRE, '\0');
    payload.append(body);
    const auto mode = final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP;
    return lws_write(wsi, reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE, body.size(),
                     mode) >= 0;
}

enum class Method { Get, Post, Options, Other };

Method method_of(lws* wsi) {
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) {
        return Method::Get;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
        return Method::Post;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0) {
        return Method::Options;
    }
    return Method::Other;
}

bool origin_allowed(const std::vector<std::string>& allowed, const std::string& origin) {
    if (allowed.empty() || origin.empty()) {
        return true;
    }
    for (const auto& one : allowed) {
        if (one == origin) {
            return true;
        }
    }
    return false;
}

}  // namespace

int SockjsHttp::answer(lws* wsi, const Request& request, unsigned status,
                       std::string_view content_type, std::string_view body) {
    HeaderList headers;
    add_cors(headers, request.origin, request.allow_headers);
    headers.emplace_back("cache-control:", std::string(kNoCache));
    const bool written =
        write_head(wsi, status, content_type, static_cast<long>(body.size()), headers) &&
        write_body(wsi, body, true);
    return end_http_transaction(wsi, written);
}

int SockjsHttp::options(lws* wsi, const Request& request, std::string_view methods) {
    HeaderList headers;
    add_cors(headers, request.origin, request.allow_headers);
    headers.emplace_back("cache-control:", fmt::format("public, max-age={}", kYear));
    headers.emplace_back("expires:", http_date(std::time(nullptr) + kYear));
    headers.emplace_back("access-control-max-age:", std::to_string(kYear));
    headers.emplace_back("access-control-allow-methods:", std::string(methods));
    const bool written = write_head(wsi, 204, "", 0, headers) && write_body(wsi, "", true);
    return end_http_transaction(wsi, written);
}

int SockjsHttp::begin(lws* wsi, const ShardListener& listener, std::string_view uri,
                      std::uint64_t& id) {
    id = 0;
    const std::string_view path = uri.substr(0, uri.find('?'));
    const sockjs::Route route = sockjs::route(path, listener.config.sockjs.prefix);
    const Method method = method_of(wsi);
    Request request;
    request.wsi = wsi;
    request.origin = header_copy(wsi, WSI_TOKEN_ORIGIN);
    request.allow_headers = header_copy(wsi, WSI_TOKEN_HTTP_AC_REQUEST_HEADERS);
    switch (route.target) {
        case sockjs::Target::NotFound:
            return answer(wsi, request, 404, kPlain, "Not found.\n");
        case sockjs::Target::Greeting:
            return method == Method::Get ? answer(wsi, request, 200, kPlain, "Welcome to SockJS!\n")
                                         : answer(wsi, request, 404, kPlain, "Not found.\n");
        case sockjs::Target::Info: {
            if (method == Method::Options) {
                return options(wsi, request, "OPTIONS, GET");
            }
            if (method != Method::Get) {
                return answer(wsi, request, 404, kPlain, "Not found.\n");
            }
            std::uint32_t entropy = 0;
            lws_get_random(lws_get_context(wsi), &entropy, sizeof entropy);
            return answer(wsi, request, 200, "application/json;charset=UTF-8",
                          fmt::format(R"({{"websocket":true,"origins":["*:*"],)"
                                      R"("cookie_needed":false,"entropy":{}}})",
                                      entropy));
        }
        case sockjs::Target::RawWebsocket:
        case sockjs::Target::Websocket:
            // A WebSocket upgrade never gets here (lws_glue.cpp accepts it first).
            return method == Method::Get
                       ? answer(wsi, request, 400, kPlain, "Can \"Upgrade\" only to \"WebSocket\".")
                       : answer(wsi, request, 405, "", "");
        case sockjs::Target::Xhr:
        case sockjs::Target::XhrStreaming:
        case sockjs::Target::XhrSend:
        case sockjs::Target::EventSource:
            break;
    }
    // EventSource is a GET (the browser's EventSource can do nothing else); the others POST.
    const Method wanted = route.target == sockjs::Target::EventSource ? Method::Get : Method::Post;
    if (method == Method::Options && wanted == Method::Post) {
        return options(wsi, request, "OPTIONS, POST");
    }
    if (method != wanted) {
        return answer(wsi, request, 404, kPlain, "Not found.\n");
    }
    if (!origin_allowed(listener.config.allowed_origins, request.origin)) {
        return answer(wsi, request, 403, kPlain, "origin not allowed\n");
    }
    // Session ids are the client's choice: each listener has its own ("<listener>/<id>" is
    // unambiguous, an id holds no '/').
    request.key = listener.config.name + '/' + std::string(route.session);
    request.id = next_request_++;
    id = request.id;
    if (route.target == sockjs::Target::XhrSend) {
        request.kind = Kind::Send;
        if (header_copy(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING).find("chunked") !=
            std::string::npos) {
            request.chunked = std::make_unique<ChunkedBody>(
                sockjs::max_message_bytes(shard_.config().limits.max_frame_bytes));
        }
        requests_.emplace(id, std::move(request));
        return 0;  // the body follows
    }
    auto [it, fresh] = requests_.emplace(id, std::move(request));
    const Format format = route.target == sockjs::Target::Xhr            ? Format::Polling
                          : route.target == sockjs::Target::XhrStreaming ? Format::Streaming
                                                                         : Format::EventSource;
    const int result = begin_receive(wsi, listener, it->second, format);
    if (it->second.kind == Kind::Answer) {
        requests_.erase(it);
        id = 0;
    }
    return result;
}

int SockjsHttp::begin_receive(lws* wsi, const ShardListener& listener, Request& request,
                              Format format) {
    const bool streaming = format != Format::Polling;
    const auto& trusted = shard_.config().auth.trusted_proxies;
    char address[128] = "";
    lws_get_peer_simple(wsi, address, sizeof address);
    // Behind a trusted proxy the session counts for the forwarded client, as a CONNECT does.
    const std::string peer = client_address(wsi, true, trusted);
    const bool counted = peer != address || !is_trusted_proxy(address, trusted);
    const auto& limits = shard_.config().limits;
    const SockjsDirectory::Claim claim =
        shard_.node().sockjs.claim(request.key, shard_.shard_index(), peer, counted,
                                   limits.max_connections, limits.max_connections_per_ip);
    if (claim.refusal != GateRefusal::None) {
        request.kind = Kind::Answer;
        const char* why = claim.refusal == GateRefusal::NodeFull
                              ? "too many SockJS sessions (limits.max_connections)\n"
                              : "too many SockJS sessions from this address "
                                "(limits.max_connections_per_ip)\n";
        return answer(wsi, request, 503, kPlain, why);
    }
    if (claim.created) {
        const bool anonymous = listener.config.anonymous.value_or(shard_.config().auth.anonymous);
        shard_.sockjs_sessions().create(request.key, peer, listener.config.sockjs, anonymous);
    }
    request.kind = Kind::Receive;
    request.owner = claim.owner;
    request.format = format;
    // The answer waits for frames as long as the session has none: lws's wait for the rest
    // of a request must not cut it (the heart-beat frame answers a quiet poll in time, and
    // the kernel's keepalive finds dead peers).
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    const SockjsReceiver mine{shard_.shard_index(), request.id, streaming};
    shard_.run_on(claim.owner, [key = request.key, mine](Shard& owner) {
        owner.sockjs_sessions().attach(key, mine);
    });
    if (streaming) {
        lws_callback_on_writable(wsi);  // the head and the prelude go at once
    }
    return 0;
}

int SockjsHttp::body(std::uint64_t id, std::string_view chunk) {
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second.kind != Kind::Send) {
        return 0;  // a receiver's body (none is expected) is ignored
    }
    Request& request = it->second;
    if (request.chunked) {
        // lws hands a chunked body over as it came and never says when it ends: decoded here.
        switch (request.chunked->feed(chunk, request.body)) {
            case ChunkedBody::Status::More:
                return 0;
            case ChunkedBody::Status::Done:
                request.too_large = request.chunked->overflowed();
                request.chunked.reset();
                return body_complete(request.wsi, id);
            case ChunkedBody::Status::Broken:
                request.kind = Kind::Answer;
                request.status = 400;
                request.content_type = std::string(kPlain);
                request.text = "Broken chunked encoding.\n";
                request.chunked.reset();
                lws_callback_on_writable(request.wsi);
                return 0;
        }
    }
    const std::size_t max = sockjs::max_message_bytes(shard_.config().limits.max_frame_bytes);
    if (request.too_large || request.body.size() + chunk.size() > max) {
        request.too_large = true;
        request.body.clear();
        return 0;
    }
    request.body.append(chunk);
    return 0;
}

int SockjsHttp::body_complete(lws* wsi, std::uint64_t id) {
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second.kind != Kind::Send) {
        return 0;
    }
    Request& request = it->second;
    if (request.chunked) {
        return 0;  // lws saw a body end that the chunked framing has not: wait for it
    }
    request.kind = Kind::Answer;
    request.content_type = std::string(kPlain);
    const std::optional<unsigned> owner = shard_.node().sockjs.owner(request.key);
    const std::size_t max = sockjs::max_message_bytes(shard_.config().limits.max_frame_bytes);
    std::string stomp;
    if (!owner) {
        request.status = 404;
        request.text = "Not found.\n";
    } else if (request.too_large) {
        request.status = 413;
        request.text = fmt::format("SockJS message too large: at most {} bytes\n", max);
        shard_.run_on(*owner, [key = request.key, max](Shard& shard) {
            shard.sockjs_sessions().refuse_oversized(key, max);
        });
    } else {
        switch (sockjs::decode_messages(request.body, false, stomp)) {
            case sockjs::DecodeResult::Empty:
                request.status = 500;
                request.text = "Payload expected.";
                break;
            case sockjs::DecodeResult::Broken:
                request.status = 500;
                request.text = "Broken JSON encoding.";
                break;
            case sockjs::DecodeResult::Ok:
                request.status = 204;
                shard_.run_on(*owner, [key = request.key, stomp = std::move(stomp)](Shard& shard) {
                    shard.sockjs_sessions().receive(key, stomp);
                });
                break;
        }
    }
    request.body.clear();
    lws_callback_on_writable(wsi);
    return 0;
}

int SockjsHttp::writeable(lws* wsi, std::uint64_t& id) {
    const auto it = requests_.find(id);
    if (it == requests_.end()) {
        return 0;
    }
    Request& request = it->second;
    if (request.kind == Kind::Receive) {
        return write_receive(wsi, request);
    }
    if (request.kind != Kind::Answer || request.status == 0) {
        return 0;  // the body is still coming
    }
    const Request done = std::move(request);
    requests_.erase(it);
    id = 0;
    return answer(wsi, done, done.status, done.content_type, done.text);
}

int SockjsHttp::write_receive(lws* wsi, Request& request) {
    if (request.ended) {
        return -1;  // all written and passed on: the connection ends
    }
    if (request.ack_owed && !lws_partial_buffered(wsi)) {
        request.ack_owed = false;
        shard_.run_on(request.owner, [key = request.key, id = request.id](Shard& shard) {
            shard.sockjs_sessions().acked(key, id);
        });
    }
    if (request.out.empty() && request.head_sent && !request.finish) {
        return 0;
    }
    std::string bytes;
    if (!request.head_sent) {
        request.head_sent = true;
        HeaderList headers;
        add_cors(headers, request.origin, request.allow_headers);
        headers.emplace_back("cache-control:", std::string(kNoCache));
        const bool events = request.format == Format::EventSource;
        if (!write_head(wsi, 200, events ? "text/event-stream;charset=UTF-8" : kJavascript, -1,
                        headers)) {
            return -1;
        }
        if (request.format == Format::Streaming) {
            bytes.assign(kPreludeBytes, 'h');
            bytes += '\n';
        } else if (events) {
            bytes = "\r\n";  // a prelude some browsers need before the first event
        }
    }
    if (request.format == Format::EventSource) {
        // The owner sends frames one per line (JSON escapes every newline inside a frame);
        // each becomes one event.
        std::string_view rest = request.out;
        while (!rest.empty()) {
            const auto end = rest.find('\n');
            bytes += "data: ";
            bytes.append(rest.substr(0, end));
            bytes += "\r\n\r\n";
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        }
    } else {
        bytes += request.out;
    }
    const bool had_frames = !request.out.empty();
    request.out.clear();
    if (!write_body(wsi, bytes, request.finish)) {
        return -1;
    }
    if (request.finish) {
        request.ended = true;
        return end_http_transaction(wsi, true);
    }
    if (had_frames) {
        request.ack_owed = true;
        lws_callback_on_writable(wsi);  // the ack once lws has passed them on
    }
    return 0;
}

void SockjsHttp::deliver(std::uint64_t id, std::string bytes, bool finish) {
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second.kind != Kind::Receive) {
        return;  // the request is gone (its owner was told)
    }
    it->second.out.append(bytes);
    it->second.finish = it->second.finish || finish;
    lws_callback_on_writable(it->second.wsi);
}

void SockjsHttp::closed(std::uint64_t id) {
    const auto it = requests_.find(id);
    if (it == requests_.end()) {
        return;
    }
    const Request& request = it->second;
    if (request.kind == Kind::Receive && !request.ended) {
        const SockjsReceiver receiver{shard_.shard_index(), id, request.format != Format::Polling};
        shard_.run_on(request.owner, [key = request.key, receiver](Shard& shard) {
            shard.sockjs_sessions().receiver_gone(key, receiver);
        });
    }
    requests_.erase(it);
}

}  // namespace stampede::broker
