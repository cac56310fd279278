// See connection.hpp.
#include "net/connection.hpp"

#include <ev.h>
#include <libwebsockets.h>
#include <sys/socket.h>

#include <optional>

#include "core/log.hpp"
#include "core/trusted_proxies.hpp"
#include "sockjs/framing.hpp"

namespace stampede::broker {

struct ConnectionTimer {
    ev_timer watcher;
};

namespace {

// Behind a trusted reverse proxy the client is the right-most X-Forwarded-For entry that is
// not itself a trusted proxy (entries further left are whatever the client claimed).
std::optional<std::string> forwarded_client(lws* wsi, const std::vector<std::string>& trusted) {
    char header[1024];
    const int length = lws_hdr_copy(wsi, header, sizeof header, WSI_TOKEN_X_FORWARDED_FOR);
    if (length <= 0) {
        return std::nullopt;
    }
    std::string_view rest(header, static_cast<std::size_t>(length));
    while (!rest.empty()) {
        const auto comma = rest.rfind(',');
        std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        while (!entry.empty() && entry.front() == ' ') {
            entry.remove_prefix(1);
        }
        while (!entry.empty() && entry.back() == ' ') {
            entry.remove_suffix(1);
        }
        if (!entry.empty() && !is_trusted_proxy(entry, trusted)) {
            return std::string(entry);
        }
    }
    return std::nullopt;
}

}  // namespace

std::string client_address(lws* wsi, bool http, const std::vector<std::string>& trusted_proxies) {
    char address[128] = "";
    lws_get_peer_simple(wsi, address, sizeof address);
    std::string peer = address;
    if (http && is_trusted_proxy(peer, trusted_proxies)) {
        peer = forwarded_client(wsi, trusted_proxies).value_or(peer);
    }
    return peer;
}

Connection::Connection(const Where& where, lws* wsi, bool websocket, bool anonymous_allowed,
                       std::uint64_t id, std::uint64_t sockjs_heartbeat_ms)
    : shard_(where.shard),
      writes_(where.writes),
      loop_(where.loop),
      log_(where.log),
      wsi_(wsi),
      websocket_(websocket),
      timer_(std::make_unique<ConnectionTimer>()) {
    peer_ = client_address(wsi, websocket_, where.shard.config().auth.trusted_proxies);
    ev_timer_init(
        &timer_->watcher,
        reinterpret_cast<void (*)(struct ev_loop*, ev_timer*, int)>(&Connection::on_timer_event),
        0., 0.);
    timer_->watcher.data = this;
    if (sockjs_heartbeat_ms > 0) {
        sockjs_ = std::make_unique<SockjsWebsocket>(loop_, sockjs_heartbeat_ms, *this);
    }
    session_ = std::make_unique<Session>(id, where.shard, *this, anonymous_allowed);
    if (sockjs_) {
        request_write();  // the open frame goes first, before the client says anything
    }
}

Connection::~Connection() {
    ev_timer_stop(loop_, &timer_->watcher);
    session_.reset();
}

int Connection::receive_websocket(std::string_view fragment, bool last) {
    if (!sockjs_) {
        session_->on_bytes(fragment);
        return 0;
    }
    std::string stomp;
    const std::size_t max_bytes = sockjs::max_message_bytes(shard_.config().limits.max_frame_bytes);
    switch (sockjs_->receive(fragment, last, max_bytes, stomp)) {
        case SockjsWebsocket::Input::Incomplete:
            return 0;
        case SockjsWebsocket::Input::Ready:
            session_->on_bytes(stomp);
            return 0;
        case SockjsWebsocket::Input::TooLarge:
            session_->fail(
                protocol::CloseReason::FrameTooLarge,
                fmt::format("a SockJS message may hold at most {} bytes of JSON", max_bytes));
            return 0;
        case SockjsWebsocket::Input::Broken:
            return -1;  // the protocol says: end the connection abruptly
    }
    return -1;
}

void Connection::request_write() {
    if (!flush_queued) {
        flush_queued = true;
        writes_.mark(*this);
    }
}

void Connection::schedule_timer(std::uint32_t delay_ms) {
    ev_timer_stop(loop_, &timer_->watcher);
    ev_timer_set(&timer_->watcher, delay_ms / 1000.0, 0.);
    ev_timer_start(loop_, &timer_->watcher);
}

void Connection::on_timer_event(struct ev_loop*, void* watcher, int) {
    auto* self = static_cast<Connection*>(static_cast<ev_timer*>(watcher)->data);
    try {
        self->session_->on_timer();
    } catch (const std::exception& e) {
        self->log_.error("heart-beat timer: {}", e.what());
    }
}

int Connection::write_batch(std::string& scratch, std::size_t max_bytes, bool in_writeable,
                            std::atomic<std::uint64_t>& messages_out) {
    scratch.assign(LWS_PRE, '\0');
    const Session::Batch batch = session_->drain_into(scratch, max_bytes);
    if (sockjs_) {
        if (!sockjs_->write(wsi_, std::string_view(scratch).substr(LWS_PRE, batch.bytes),
                            batch.close_after)) {
            return -1;
        }
        messages_out.fetch_add(batch.messages, std::memory_order_relaxed);
    } else if (batch.bytes > 0) {
        const auto mode = !websocket_    ? LWS_WRITE_RAW
                          : batch.binary ? LWS_WRITE_BINARY
                                         : LWS_WRITE_TEXT;
        auto* data = reinterpret_cast<unsigned char*>(scratch.data()) + LWS_PRE;
        if (lws_write(wsi_, data, batch.bytes, mode) < static_cast<int>(batch.bytes)) {
            return -1;
        }
        messages_out.fetch_add(batch.messages, std::memory_order_relaxed);
    }
    if (!batch.close_after) {
        return 0;
    }
    if (!in_writeable) {
        lws_callback_on_writable(wsi_);  // closing happens in WRITEABLE, where -1 closes
        return 0;
    }
    if (lws_partial_buffered(wsi_)) {
        lws_callback_on_writable(wsi_);  // close once lws has sent what it still holds
        return 0;
    }
    if (lingering) {
        return 0;
    }
    // Closing a socket that still has unread input makes the kernel reset the connection,
    // and a reset can destroy the ERROR before the client has read it: exactly what happens to
    // a client still sending the oversized frame it is refused for. So the write side is shut
    // after the ERROR (and, on WebSocket, a close frame with status 1000), and the connection
    // lingers for up to 2 s while its input is read and ignored: the client reads the ERROR,
    // then the end of the stream. lws's own close (return -1) sends its close frame but then,
    // with input still arriving, often reset the connection first (seen as close 1006 without
    // the ERROR by a Node client on a loaded machine).
    if (websocket_) {
        // The close frame by hand (lws keeps its own close writer private): FIN + opcode 8,
        // unmasked (server to client), 2 bytes of payload, status 1000. LWS_WRITE_RAW puts
        // bytes on the wire as they are.
        unsigned char close[LWS_PRE + 4] = {};
        unsigned char* frame = close + LWS_PRE;
        frame[0] = 0x88;
        frame[1] = 0x02;
        frame[2] = static_cast<unsigned char>(LWS_CLOSE_STATUS_NORMAL >> 8);
        frame[3] = static_cast<unsigned char>(LWS_CLOSE_STATUS_NORMAL & 0xff);
        if (lws_write(wsi_, frame, 4, LWS_WRITE_RAW) < 4) {
            return -1;
        }
    }
    lingering = true;
    ::shutdown(lws_get_socket_fd(wsi_), SHUT_WR);
    lws_set_timeout(wsi_, PENDING_TIMEOUT_CLOSE_SEND, 2);
    return 0;
}

}  // namespace stampede::broker
