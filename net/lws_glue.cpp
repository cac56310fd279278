// Every lws callback: noexcept, no logic, dispatching to Shard and Session methods.
// Shard thread only (lws calls back on the thread that runs the shard's loop).
#include "net/lws_glue.hpp"

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <exception>
#include <string_view>

#include "config/config.hpp"
#include "net/http_glue.hpp"
#include "net/shard.hpp"
#include "sockjs/route.hpp"

namespace stampede::broker {
namespace {

struct PerSession {
    Connection* connection;  // lws zeroes this memory; null until ESTABLISHED / RAW_ADOPT
    std::uint64_t http;      // the HTTP request being answered (HttpApi's id); 0 = none
    std::uint64_t sockjs;    // the SockJS HTTP request being answered (SockjsHttp's id)
    bool handshake_done;     // stomp+ssl: TLS handshake done before RAW_ADOPT
};

Shard& shard_of(lws* wsi) { return *static_cast<Shard*>(lws_context_user(lws_get_context(wsi))); }

const ShardListener& listener_of(lws* wsi) {
    return *static_cast<const ShardListener*>(lws_vhost_user(lws_get_vhost(wsi)));
}

// allowed_origins empty = any Origin. Otherwise a browser's Origin must be listed. A request
// without Origin is not from a browser (browsers always send it on WebSocket upgrades), so it
// is no cross-site hijack: native and backend clients may connect without one.
bool origin_allowed(lws* wsi, const ShardListener& listener) {
    const auto& allowed = listener.config.allowed_origins;
    if (allowed.empty()) {
        return true;
    }
    char origin[512];
    const int length = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
    if (length <= 0) {
        return true;
    }
    const std::string_view value(origin, static_cast<std::size_t>(length));
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string request_path(lws* wsi) {
    char uri[512];
    const int length = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    return length > 0 ? std::string(uri, static_cast<std::size_t>(length)) : std::string();
}

// What a WebSocket upgrade on this path is: the listener's STOMP path and SockJS's raw
// websocket are plain STOMP over WebSocket; a SockJS session's websocket carries SockJS frames.
sockjs::Target websocket_target(const std::string& path, const ShardListener& listener) {
    if (path == listener.config.path) {
        return sockjs::Target::RawWebsocket;
    }
    const std::string& prefix = listener.config.sockjs.prefix;
    if (prefix.empty()) {
        return sockjs::Target::NotFound;
    }
    const sockjs::Target target = sockjs::route(path, prefix).target;
    return target == sockjs::Target::RawWebsocket || target == sockjs::Target::Websocket
               ? target
               : sockjs::Target::NotFound;
}

bool path_matches(lws* wsi, const ShardListener& listener) {
    return websocket_target(request_path(wsi), listener) != sockjs::Target::NotFound;
}

// Under the listener's SockJS prefix (the prefix itself, or below it).
bool is_sockjs_path(std::string_view uri, const ShardListener& listener) {
    const std::string& prefix = listener.config.sockjs.prefix;
    if (prefix.empty() || !uri.starts_with(prefix)) {
        return false;
    }
    const std::string_view rest = uri.substr(prefix.size());
    return rest.empty() || rest.front() == '/' || rest.front() == '?';
}

int established(lws* wsi, PerSession* pss) {
    const ShardListener& listener = listener_of(wsi);
    const bool sockjs = websocket_target(request_path(wsi), listener) == sockjs::Target::Websocket;
    pss->connection = shard_of(wsi).open_connection(
        wsi, listener, sockjs ? listener.config.sockjs.heartbeat_ms : 0);
    return 0;
}

int received_websocket(lws* wsi, PerSession* pss, void* in, size_t len) {
    if (pss->connection == nullptr) {
        return 0;
    }
    const bool last = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0;
    return pss->connection->receive_websocket(std::string_view(static_cast<const char*>(in), len),
                                              last);
}

int http_request(lws* wsi, PerSession* pss, void* in, size_t len) {
    const std::string_view uri(static_cast<const char*>(in), len);
    if (is_sockjs_path(uri, listener_of(wsi))) {
        return shard_of(wsi).sockjs_http().begin(wsi, listener_of(wsi), uri, pss->sockjs);
    }
    return http_begin(shard_of(wsi), wsi, uri, pss->http);
}

int sockjs_http_event(lws* wsi, lws_callback_reasons reason, PerSession* pss, void* in,
                      size_t len) {
    SockjsHttp& sockjs = shard_of(wsi).sockjs_http();
    switch (reason) {
        case LWS_CALLBACK_HTTP_BODY:
            return sockjs.body(pss->sockjs, std::string_view(static_cast<const char*>(in), len));
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return sockjs.body_complete(wsi, pss->sockjs);
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return sockjs.writeable(wsi, pss->sockjs);
        case LWS_CALLBACK_CLOSED_HTTP:
            sockjs.closed(pss->sockjs);
            pss->sockjs = 0;
            return 0;
        default:
            return 0;
    }
}

// The same for WebSocket and raw TCP once a connection exists. A closing session ignores
// what it receives (Session::on_bytes), lingering TCP included.
int received(PerSession* pss, void* in, size_t len) {
    if (pss->connection != nullptr) {
        pss->connection->session().on_bytes(std::string_view(static_cast<const char*>(in), len));
    }
    return 0;
}

int writeable(lws* wsi, PerSession* pss) {
    return pss->connection != nullptr ? shard_of(wsi).writes().write(*pss->connection) : 0;
}

int closed(lws* wsi, PerSession* pss) {
    if (pss->connection != nullptr) {
        shard_of(wsi).close_connection(pss->connection);
        pss->connection = nullptr;
    }
    return 0;
}

int handle_websocket(lws* wsi, lws_callback_reasons reason, PerSession* pss, void* in, size_t len) {
    if (pss == nullptr && reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION) {
        // No per-session memory yet, so nothing of ours exists: a TLS connection that closes
        // after its handshake, before any HTTP, gets CLOSED_HTTP with none.
        return 0;
    }
    if (pss != nullptr && pss->sockjs != 0 &&
        (reason == LWS_CALLBACK_HTTP_BODY || reason == LWS_CALLBACK_HTTP_BODY_COMPLETION ||
         reason == LWS_CALLBACK_HTTP_WRITEABLE || reason == LWS_CALLBACK_CLOSED_HTTP)) {
        return sockjs_http_event(wsi, reason, pss, in, len);
    }
    switch (reason) {
        case LWS_CALLBACK_HTTP:
            return http_request(wsi, pss, in, len);
        case LWS_CALLBACK_HTTP_BODY:
            return pss->http != 0 ? http_body(shard_of(wsi), wsi, pss->http,
                                              std::string_view(static_cast<const char*>(in), len))
                                  : 0;
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return pss->http != 0 ? http_body_complete(shard_of(wsi), wsi, pss->http) : 0;
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return pss->http != 0 ? http_writeable(shard_of(wsi), wsi, pss->http) : 0;
        case LWS_CALLBACK_CLOSED_HTTP:
            if (pss->http != 0) {
                http_closed(shard_of(wsi), pss->http);
                pss->http = 0;
            }
            return 0;
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            // Refuse upgrades on other paths and while draining (before any STOMP byte).
            if (!origin_allowed(wsi, listener_of(wsi))) {
                lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, "origin not allowed");
                return 1;
            }
            return path_matches(wsi, listener_of(wsi)) && !shard_of(wsi).draining() ? 0 : 1;
        case LWS_CALLBACK_ESTABLISHED:
            return established(wsi, pss);
        case LWS_CALLBACK_RECEIVE:
            return received_websocket(wsi, pss, in, len);
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return writeable(wsi, pss);
        case LWS_CALLBACK_CLOSED:
            return closed(wsi, pss);
        default:
            return 0;
    }
}

int handle_raw(lws* wsi, lws_callback_reasons reason, PerSession* pss, void* in, size_t len) {
    if (pss == nullptr) {
        return 0;  // as for WebSocket: lws has not given this connection its memory yet
    }
    switch (reason) {
        case LWS_CALLBACK_RAW_ADOPT:
            pss->connection = shard_of(wsi).open_connection(wsi, listener_of(wsi));
            if (pss->handshake_done) {
                shard_of(wsi).tls_handshake_done(*pss->connection);
            }
            return 0;
        case LWS_CALLBACK_RAW_RX:
            return received(pss, in, len);
        case LWS_CALLBACK_RAW_WRITEABLE:
            return writeable(wsi, pss);
        case LWS_CALLBACK_RAW_CLOSE:
            return closed(wsi, pss);
        case LWS_CALLBACK_SSL_INFO:  // stomp+ssl vhosts ask for SSL_CB_HANDSHAKE_DONE only
            if ((static_cast<const lws_ssl_info*>(in)->where & SSL_CB_HANDSHAKE_DONE) == 0) {
                return 0;
            }
            // lws adopts with a first SSL_accept: when the client was quick (the socket
            // waited in the backlog), the handshake ends there, before RAW_ADOPT.
            if (pss->connection != nullptr) {
                shard_of(wsi).tls_handshake_done(*pss->connection);
            } else {
                pss->handshake_done = true;
            }
            return 0;
        default:
            return 0;
    }
}

// lws hands every TLS vhost's fresh SSL_CTX to protocols[0] once, while creating the vhost
// (LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS, `user` = the SSL_CTX).
//
// No TLS 1.3 session tickets. OpenSSL sends them right after the handshake, so the client
// reads them while it writes its first frame. Clients that read on one thread and write on
// another share one SSL object between the two (stomp.py's receiver thread; OpenSSL forbids
// this); the read processing a ticket then races the write of CONNECT, which can vanish
// without an error: the client waits for CONNECTED that never comes. Without tickets, a TLS 1.3
// client has nothing to read until the broker answers, as with TLS 1.2 (whose tickets come
// inside the handshake). Resumption is lost, which costs a full handshake on reconnect; with
// more than one shard it mostly failed anyway (every shard has its own ticket key).
// Reloading the certificate (lws_tls_cert_updated) reuses this SSL_CTX, so this stays set.
//
// No SNI-based vhost switching either. lws's servername callback (lws_ssl_server_name_cb, set
// just before this) picks a vhost by name and port, but our vhosts have no port of their own
// (CONTEXT_PORT_NO_LISTEN_SERVER) and are named after listeners, so any SNI name ends in
// lws_select_vhost's "first vhost on our port" fallback: the first TLS listener's SSL_CTX
// (certificate, min_version, client CA). After SSL_accept, lws then rebinds the connection to
// that vhost (lws_server_socket_service_ssl: "adapt our vhost to match the SNI SSL_CTX"), so a
// stomp+ssl connection ended up on the wss vhost. Each listener has its own socket: its own
// SSL_CTX is always the right one.
int server_tls_context_created(void* ssl_ctx) {
    auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
    SSL_CTX_set_tlsext_servername_callback(ctx, nullptr);
    return SSL_CTX_set_num_tickets(ctx, 0) == 1 ? 0 : 1;
}

template <auto Handler>
int guarded(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) noexcept {
    try {
        return Handler(wsi, reason, static_cast<PerSession*>(user), in, len);
    } catch (const std::exception& e) {
        shard_of(wsi).node().log.error("callback {}: {}", static_cast<int>(reason), e.what());
    } catch (...) {
        shard_of(wsi).node().log.error("callback {}: unknown exception", static_cast<int>(reason));
    }
    return -1;  // only this connection goes
}

// Mutual TLS (a listener with `ca`): lws asks protocols[0] about every certificate in the
// client's chain, passing OpenSSL's verdict (preverify_ok) in `len`, and accepts the chain
// when the answer is 0, whatever OpenSSL found. Answering 0 to everything (the default of a
// switch) accepted any self-signed certificate. The verdict stands.
int client_certificate_verdict(size_t preverify_ok) { return preverify_ok != 0 ? 0 : 1; }

// The reasons both vhost kinds answer alike (their protocols[0] is asked), then the kind's own.
template <auto Handler>
int vhost_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    if (reason == LWS_CALLBACK_WSI_DESTROY) {  // every way a connection ends: its slot back
        shard_of(wsi).forget_connection(wsi);
        return 0;
    }
    if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS) {
        return server_tls_context_created(user);
    }
    if (reason == LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION) {
        return client_certificate_verdict(len);
    }
    return guarded<Handler>(wsi, reason, user, in, len);
}

int websocket_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    return vhost_callback<handle_websocket>(wsi, reason, user, in, len);
}

int raw_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    return vhost_callback<handle_raw>(wsi, reason, user, in, len);
}

// lws allocates the receive buffer per connection: 64 KiB made an idle WebSocket cost ~12 KiB
// of RSS once touched. The parser is incremental, so a big frame only takes more callbacks.
constexpr std::size_t kRxBufferBytes = 4096;
// 0 would cap each send at the receive buffer size; batches are up to limits.write_batch_bytes,
// which the config caps at kMaxWriteBatchBytes (the tables are fixed at start, the limit is
// reloadable), so lws never splits and copies a batch that keeps to it.
constexpr std::size_t kTxPacketBytes = config::kMaxWriteBatchBytes + 64;

const lws_protocols kWebsocketProtocols[] = {
    {"v12.stomp", websocket_callback, sizeof(PerSession), kRxBufferBytes, 0, nullptr,
     kTxPacketBytes},
    {"v11.stomp", websocket_callback, sizeof(PerSession), kRxBufferBytes, 0, nullptr,
     kTxPacketBytes},
    {"v10.stomp", websocket_callback, sizeof(PerSession), kRxBufferBytes, 0, nullptr,
     kTxPacketBytes},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

const lws_protocols kRawProtocols[] = {
    {"stomp-raw", raw_callback, sizeof(PerSession), kRxBufferBytes, 0, nullptr, kTxPacketBytes},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

const lws_protocols* websocket_protocols() { return kWebsocketProtocols; }
const lws_protocols* raw_protocols() { return kRawProtocols; }

}  // namespace stampede::broker
