// See http_glue.hpp.
#include "net/http_glue.hpp"

#include <libwebsockets.h>

#include <string>
#include <utility>

#include "http/http_api.hpp"
#include "net/shard.hpp"

namespace stampede::broker {
namespace {

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
bool respond(lws* wsi, const HttpResponse& response) {
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof buffer;
    if (lws_add_http_common_headers(wsi, response.status, response.content_type.c_str(),
                                    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) != 0) {
        return false;
    }
    const std::string length = std::to_string(response.body.size());
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                     reinterpret_cast<const unsigned char*>(length.data()),
                                     static_cast<int>(length.size()), &p, end) != 0) {
        return false;
    }
    if (response.challenge) {
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
    payload.append(response.body);
    return lws_write(wsi, reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE,
                     response.body.size(), LWS_WRITE_HTTP_FINAL) >= 0;
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

// lws keeps the URI under a token named for the method; that one is present.
std::string request_method(lws* wsi) {
    constexpr std::pair<lws_token_indexes, const char*> kMethods[] = {
        {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
        {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_PUT_URI, "PUT"},
        {WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_HEAD_URI, "HEAD"},
    };
    for (const auto& [token, name] : kMethods) {
        if (lws_hdr_total_length(wsi, token) > 0) {
            return name;
        }
    }
    return {};
}

// Writes request's answer now and ends the connection behind it.
int answer_now(Shard& shard, lws* wsi, std::uint64_t request) {
    const auto response = shard.http().take(request);
    shard.forget_http(request);
    return end_http_transaction(wsi, response && respond(wsi, *response));
}

}  // namespace

// After an answer, the connection ends (respond() made it `connection: close`): at once when
// the answer is wholly with the kernel, or no answer could be written; otherwise lws sends
// what it still holds and then closes (it defers the transaction's end until then). lws may
// also want to wait for a body it was promised or to discard it: nothing more is read.
int end_http_transaction(lws* wsi, bool answered) {
    if (!answered || lws_http_transaction_completed(wsi) != 0) {
        return -1;
    }
    return lws_partial_buffered(wsi) ? 0 : -1;
}

int http_begin(Shard& shard, lws* wsi, std::string_view uri, std::uint64_t& request) {
    HttpHead head;
    head.post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    head.method = request_method(wsi);
    head.uri = uri;
    head.authorization = header_text(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    head.content_type = header_text(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    head.content_length = header_text(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    head.chunked =
        header_text(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING).find("chunked") != std::string::npos;
    head.peer = client_address(wsi, true, shard.config().auth.trusted_proxies);
    request = shard.track_http(wsi);
    switch (shard.http().begin(request, head)) {
        case HttpNext::Answer: {
            const int result = answer_now(shard, wsi, request);
            request = 0;
            return result;
        }
        case HttpNext::AnswerAndClose: {
            // The body's framing is unknown, so no waiting for lws to discard it: the answer
            // goes to the socket now and the connection closes behind it.
            const auto response = shard.http().take(request);
            shard.forget_http(request);
            request = 0;
            if (response) {
                respond(wsi, *response);
            }
            return -1;
        }
        case HttpNext::ReadBody:
            return 0;  // LWS_CALLBACK_HTTP_BODY follows
        case HttpNext::Wait:
            return 0;  // the ready callback asks for WRITEABLE
    }
    return -1;
}

int http_body(Shard& shard, lws* wsi, std::uint64_t request, std::string_view chunk) {
    if (shard.http().body(request, chunk) == HttpNext::Answer) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

int http_body_complete(Shard& shard, lws* wsi, std::uint64_t request) {
    if (shard.http().end_body(request) == HttpNext::Answer) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

int http_writeable(Shard& shard, lws* wsi, std::uint64_t& request) {
    const auto response = shard.http().take(request);
    if (!response) {
        return 0;  // still waiting (a passcode on the worker)
    }
    shard.forget_http(request);
    request = 0;
    return end_http_transaction(wsi, respond(wsi, *response));
}

void http_closed(Shard& shard, std::uint64_t request) {
    shard.http().closed(request);
    shard.forget_http(request);
}

}  // namespace stampede::broker
