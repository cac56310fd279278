// See sockjs_websocket.hpp.
#include "net/sockjs_websocket.hpp"

#include <ev.h>
#include <libwebsockets.h>

#include "core/transport.hpp"
#include "sockjs/framing.hpp"

namespace stampede::broker {

struct SockjsHeartbeat {
    ev_timer watcher;
};

SockjsWebsocket::SockjsWebsocket(struct ev_loop* loop, std::uint64_t heartbeat_ms, Transport& wake)
    : loop_(loop), wake_(wake), heartbeat_(std::make_unique<SockjsHeartbeat>()) {
    const double every = static_cast<double>(heartbeat_ms) / 1000.0;
    ev_timer_init(
        &heartbeat_->watcher,
        reinterpret_cast<void (*)(struct ev_loop*, ev_timer*, int)>(&SockjsWebsocket::on_heartbeat),
        every, every);
    heartbeat_->watcher.data = this;
    ev_timer_start(loop_, &heartbeat_->watcher);
}

SockjsWebsocket::~SockjsWebsocket() { ev_timer_stop(loop_, &heartbeat_->watcher); }

void SockjsWebsocket::on_heartbeat(struct ev_loop*, void* watcher, int) {
    auto* self = static_cast<SockjsWebsocket*>(static_cast<ev_timer*>(watcher)->data);
    self->heartbeat_due_ = true;
    self->wake_.request_write();
}

SockjsWebsocket::Input SockjsWebsocket::receive(std::string_view fragment, bool last,
                                                std::size_t max_message_bytes, std::string& stomp) {
    if (refused_) {
        return Input::Incomplete;  // the ERROR is on its way; what follows is not read
    }
    if (message_.size() + fragment.size() > max_message_bytes) {
        message_.clear();
        message_.shrink_to_fit();
        refused_ = true;
        return Input::TooLarge;
    }
    message_.append(fragment);
    if (!last) {
        return Input::Incomplete;
    }
    std::string json;
    json.swap(message_);
    switch (sockjs::decode_messages(json, true, stomp)) {
        case sockjs::DecodeResult::Ok:
        case sockjs::DecodeResult::Empty:
            return Input::Ready;
        case sockjs::DecodeResult::Broken:
            return Input::Broken;
    }
    return Input::Broken;
}

bool SockjsWebsocket::write_text(lws* wsi, std::string_view text) {
    framed_.assign(LWS_PRE, '\0');
    framed_.append(text);
    auto* data = reinterpret_cast<unsigned char*>(framed_.data()) + LWS_PRE;
    return lws_write(wsi, data, text.size(), LWS_WRITE_TEXT) >= static_cast<int>(text.size());
}

bool SockjsWebsocket::write(lws* wsi, std::string_view stomp, bool closing) {
    if (close_sent_) {
        return true;  // nothing follows the close frame (a heart-beat due meanwhile neither)
    }
    if (!opened_) {
        opened_ = true;
        if (!write_text(wsi, sockjs::kOpenFrame)) {
            return false;
        }
    }
    if (!stomp.empty()) {
        std::string frame;
        sockjs::append_message_frame(frame, stomp);
        heartbeat_due_ = false;  // traffic is as good as a heart-beat
        if (!write_text(wsi, frame)) {
            return false;
        }
    } else if (heartbeat_due_) {
        heartbeat_due_ = false;
        if (!write_text(wsi, sockjs::kHeartbeatFrame)) {
            return false;
        }
    }
    if (closing && !close_sent_) {
        close_sent_ = true;
        std::string frame;
        sockjs::append_close_frame(frame, sockjs::kGoAway, "Go away!");
        return write_text(wsi, frame);
    }
    return true;
}

}  // namespace stampede::broker
