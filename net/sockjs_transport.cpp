// See sockjs_transport.hpp.
#include "net/sockjs_transport.hpp"

#include <ev.h>
#include <fmt/format.h>

#include "sockjs/framing.hpp"

namespace stampede::broker {

struct SockjsTimers {
    ev_timer session;     // the STOMP session's own (heart-beats, CONNECT deadline)
    ev_timer heartbeat;   // an 'h' frame for a receiver that got nothing for a while
    ev_timer disconnect;  // no receiver for disconnect_delay_ms: the session ends
};

namespace {

using TimerCallback = void (*)(struct ev_loop*, ev_timer*, int);

template <typename F>
TimerCallback as_timer_callback(F* function) {
    return reinterpret_cast<TimerCallback>(function);
}

double seconds(std::uint64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

SockjsSession::SockjsSession(const Where& where, std::string key, std::string peer,
                             bool anonymous_allowed, std::uint64_t id)
    : id_(id),
      host_(where.host),
      loop_(where.loop),
      config_(where.sockjs),
      key_(std::move(key)),
      peer_(std::move(peer)),
      timers_(std::make_unique<SockjsTimers>()) {
    ev_timer_init(&timers_->session, as_timer_callback(&SockjsSession::on_session_timer), 0., 0.);
    ev_timer_init(&timers_->heartbeat, as_timer_callback(&SockjsSession::on_heartbeat),
                  seconds(config_.heartbeat_ms), seconds(config_.heartbeat_ms));
    ev_timer_init(&timers_->disconnect, as_timer_callback(&SockjsSession::on_disconnect_delay),
                  seconds(config_.disconnect_delay_ms), 0.);
    timers_->session.data = this;
    timers_->heartbeat.data = this;
    timers_->disconnect.data = this;
    ev_timer_start(loop_, &timers_->heartbeat);
    ev_timer_start(loop_, &timers_->disconnect);  // until the first receiver attaches
    session_ = std::make_unique<Session>(id, where.shard, *this, anonymous_allowed);
}

SockjsSession::~SockjsSession() {
    ev_timer_stop(loop_, &timers_->session);
    ev_timer_stop(loop_, &timers_->heartbeat);
    ev_timer_stop(loop_, &timers_->disconnect);
    session_.reset();
}

void SockjsSession::request_write() {
    if (!flush_queued) {
        flush_queued = true;
        host_.mark(*this);
    }
}

void SockjsSession::schedule_timer(std::uint32_t delay_ms) {
    ev_timer_stop(loop_, &timers_->session);
    ev_timer_set(&timers_->session, seconds(delay_ms), 0.);
    ev_timer_start(loop_, &timers_->session);
}

void SockjsSession::on_session_timer(struct ev_loop*, void* watcher, int) {
    auto* self = static_cast<SockjsSession*>(static_cast<ev_timer*>(watcher)->data);
    if (self->session_) {
        self->session_->on_timer();
    }
}

void SockjsSession::on_heartbeat(struct ev_loop*, void* watcher, int) {
    auto* self = static_cast<SockjsSession*>(static_cast<ev_timer*>(watcher)->data);
    self->heartbeat_due_ = true;
    self->request_write();
}

void SockjsSession::on_disconnect_delay(struct ev_loop*, void* watcher, int) {
    auto* self = static_cast<SockjsSession*>(static_cast<ev_timer*>(watcher)->data);
    self->host_.expire(*self);  // destroys self: nothing after this
}

void SockjsSession::attach(const SockjsReceiver& receiver) {
    if (receiver_) {
        // One receiver at a time; the one waiting is left alone.
        std::string frame;
        sockjs::append_close_frame(frame, sockjs::kAnotherConnection,
                                   "Another connection still open");
        frame += '\n';
        host_.send(receiver, std::move(frame), true);
        return;
    }
    if (!close_frame_.empty()) {
        host_.send(receiver, close_frame_ + '\n', true);
        return;
    }
    receiver_ = receiver;
    in_flight_ = false;
    heartbeat_due_ = false;
    streamed_ = 0;
    ev_timer_stop(loop_, &timers_->disconnect);
    request_write();
}

void SockjsSession::detach() {
    receiver_.reset();
    in_flight_ = false;
    ev_timer_set(&timers_->disconnect, seconds(config_.disconnect_delay_ms), 0.);
    ev_timer_start(loop_, &timers_->disconnect);
}

void SockjsSession::receiver_gone(const SockjsReceiver& receiver) {
    if (!receiver_ || receiver_->shard != receiver.shard ||
        receiver_->request != receiver.request) {
        return;  // not the current one (already answered, or refused)
    }
    // A client that aborts a receiving request may have lost frames: the protocol ends the
    // session rather than carry on with a gap in the STOMP stream.
    detach();
    close(sockjs::kInterrupted, "Connection interrupted");
}

void SockjsSession::acked(std::uint64_t request) {
    if (receiver_ && receiver_->request == request) {
        in_flight_ = false;
        request_write();
    }
}

void SockjsSession::receive(std::string_view stomp) {
    if (session_) {
        session_->on_bytes(stomp);
    }
}

void SockjsSession::refuse_oversized(std::size_t max_bytes) {
    if (session_) {
        session_->fail(
            protocol::CloseReason::FrameTooLarge,
            fmt::format("a SockJS message may hold at most {} bytes of JSON", max_bytes));
    }
}

void SockjsSession::close(std::uint16_t code, std::string_view reason) {
    if (!close_frame_.empty()) {
        return;
    }
    sockjs::append_close_frame(close_frame_, code, reason);
    ev_timer_stop(loop_, &timers_->session);
    ev_timer_stop(loop_, &timers_->heartbeat);
    session_.reset();  // the STOMP session ends as a dropped connection's does
}

void SockjsSession::deliver(std::string frames, bool finish_now) {
    streamed_ += frames.size();
    const bool finish =
        finish_now || !receiver_->streaming || streamed_ >= config_.streaming_limit_bytes;
    host_.send(*receiver_, std::move(frames), finish);
    heartbeat_due_ = false;
    if (finish) {
        detach();
    } else {
        in_flight_ = true;
    }
}

void SockjsSession::flush(std::string& scratch, std::size_t max_batch_bytes) {
    flush_queued = false;
    if (!receiver_ || in_flight_) {
        return;  // asked again when a receiver comes or the current one has passed it on
    }
    std::string frames;
    if (!opened_) {
        opened_ = true;
        frames.append(sockjs::kOpenFrame);
        frames += '\n';
        if (!receiver_->streaming) {
            deliver(std::move(frames), true);  // a polling answer is one frame
            if (session_ && session_->has_output()) {
                request_write();
            }
            return;
        }
    }
    bool closing = false;
    if (session_) {
        scratch.clear();
        const Session::Batch batch = session_->drain_into(scratch, max_batch_bytes);
        if (batch.bytes > 0) {
            sockjs::append_message_frame(frames, std::string_view(scratch).substr(0, batch.bytes));
            frames += '\n';
        }
        closing = batch.close_after;
    }
    if (closing) {
        close(sockjs::kGoAway, "Go away!");
    }
    if (closing) {
        frames += close_frame_;
        frames += '\n';
        deliver(std::move(frames), true);
        return;
    }
    if (frames.empty() && heartbeat_due_) {
        frames.append(sockjs::kHeartbeatFrame);
        frames += '\n';
    }
    if (!frames.empty()) {
        deliver(std::move(frames), false);
    }
    if (session_ && session_->has_output()) {
        request_write();  // more than one batch: the rest after the receiver passes this on
    }
}

}  // namespace stampede::broker
