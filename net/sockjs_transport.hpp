// SockjsSession: a SockJS session of the xhr and eventsource transports (xhr-polling,
// xhr-streaming, eventsource), bound to a STOMP Session through the Transport interface as a
// WebSocket Connection is. The session outlives the HTTP requests that carry it: at most one
// receiving request at a time (on any shard; see SockjsSessions) gets its output as SockJS frames,
// and without one the session ends after sockjs.disconnect_delay_ms. Owning shard's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/session.hpp"
#include "core/transport.hpp"

struct ev_loop;

namespace stampede::broker {

class SockjsSession;

/// The HTTP request that receives a session's frames: which shard holds it, and its id there.
struct SockjsReceiver {
    unsigned shard = 0;
    std::uint64_t request = 0;
    bool streaming = false;  // xhr_streaming: frames until the response limit; xhr: one answer
};

/// What a SockjsSession asks of its table (SockjsSessions implements it).
class SockjsHost {
   public:
    /// Hands `bytes` to the receiving request; `finish` ends that response.
    virtual void send(const SockjsReceiver& receiver, std::string bytes, bool finish) = 0;
    /// The session has output: flush it at the end of this loop turn.
    virtual void mark(SockjsSession& session) = 0;
    /// No receiver came back within the disconnect delay: the session is to go.
    virtual void expire(SockjsSession& session) = 0;

   protected:
    ~SockjsHost() = default;
};

class SockjsSession final : public Transport {
   public:
    struct Where {
        ShardServices& shard;
        SockjsHost& host;
        struct ev_loop* loop;
        const config::SockjsConfig& sockjs;  // the listener's, fixed at start
    };
    SockjsSession(const Where& where, std::string key, std::string peer, bool anonymous_allowed,
                  std::uint64_t id);
    ~SockjsSession() override;
    SockjsSession(const SockjsSession&) = delete;
    SockjsSession& operator=(const SockjsSession&) = delete;

    // Transport
    void request_write() override;
    void schedule_timer(std::uint32_t delay_ms) override;
    std::string_view peer() const override { return peer_; }
    std::string_view kind() const override { return "sockjs"; }

    const std::string& key() const { return key_; }
    std::uint64_t id() const { return id_; }
    /// The STOMP session; null once the SockJS session is closed (its close frame is kept for
    /// later requests until the session expires).
    Session* session() { return session_.get(); }

    /// A receiving request arrived for this session.
    void attach(const SockjsReceiver& receiver);
    /// That request went away before its answer was complete (the client aborted it).
    void receiver_gone(const SockjsReceiver& receiver);
    /// The receiving request has passed the last frames on to the socket: more may follow.
    void acked(std::uint64_t request);
    /// STOMP bytes from xhr_send.
    void receive(std::string_view stomp);
    /// xhr_send was refused as too large: the STOMP session ends with an ERROR.
    void refuse_oversized(std::size_t max_bytes);
    /// Sends what is due to the receiver, if there is one that can take it.
    void flush(std::string& scratch, std::size_t max_batch_bytes);

    bool flush_queued = false;

   private:
    static void on_session_timer(struct ev_loop* loop, void* watcher, int events);
    static void on_heartbeat(struct ev_loop* loop, void* watcher, int events);
    static void on_disconnect_delay(struct ev_loop* loop, void* watcher, int events);
    /// Hands `frames` to the receiver; ends a polling answer, or a streaming one past its limit.
    void deliver(std::string frames, bool finish_now);
    void detach();
    /// Ends the STOMP session; later receivers get c[code,"reason"].
    void close(std::uint16_t code, std::string_view reason);

    std::uint64_t id_;
    SockjsHost& host_;
    struct ev_loop* loop_;
    config::SockjsConfig config_;
    std::string key_;
    std::string peer_;
    std::unique_ptr<struct SockjsTimers> timers_;
    std::unique_ptr<Session> session_;
    std::optional<SockjsReceiver> receiver_;
    bool opened_ = false;     // the open frame was sent
    bool in_flight_ = false;  // the streaming receiver has frames it has not passed on yet
    bool heartbeat_due_ = false;
    std::size_t streamed_ = 0;  // bytes sent on the current streaming response
    std::string close_frame_;   // set once closed: c[code,"reason"]
};

}  // namespace stampede::broker
