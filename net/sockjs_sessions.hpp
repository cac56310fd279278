// SockjsSessions: the SockJS xhr sessions a shard owns, by session id, and the messages other
// shards send them. A session is owned by the shard that received its first request; the
// node's SockjsDirectory says which that is, and every later request of the session, on
// whatever shard the kernel gave its connection, reaches the owner through the owner's inbox
// (attach a receiver, STOMP bytes from xhr_send, an abort). The owner answers the same way:
// frames go to the receiving request's shard's inbox (SockjsHttp::deliver), one batch at a
// time, the next after that request has passed the last on to its socket. Shard thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "net/sockjs_transport.hpp"

namespace stampede::broker {

class Shard;
class Session;

class SockjsSessions final : public SockjsHost {
   public:
    explicit SockjsSessions(Shard& shard) : shard_(shard) {}
    ~SockjsSessions();
    SockjsSessions(const SockjsSessions&) = delete;
    SockjsSessions& operator=(const SockjsSessions&) = delete;

    /// A new session (its key was just claimed in the directory for this shard).
    void create(const std::string& key, const std::string& peer, const config::SockjsConfig& config,
                bool anonymous_allowed);

    // Messages from the request side (any shard's SockjsHttp), by session id.
    void attach(const std::string& key, const SockjsReceiver& receiver);
    void receive(const std::string& key, std::string_view stomp);
    void receiver_gone(const std::string& key, const SockjsReceiver& receiver);
    void acked(const std::string& key, std::uint64_t request);
    void refuse_oversized(const std::string& key, std::size_t max_bytes);

    /// End of the loop turn: sessions with output send it to their receivers.
    void flush(std::size_t max_batch_bytes);
    /// The STOMP session by its id (queue deliveries, reply queues, reload, drain).
    Session* find_session(std::uint64_t id);
    std::vector<Session*> sessions();
    std::size_t size() const { return by_key_.size(); }
    /// Shard teardown: sessions go before the lws context and the loop.
    void clear();

    // SockjsHost
    void send(const SockjsReceiver& receiver, std::string bytes, bool finish) override;
    void mark(SockjsSession& session) override { dirty_.push_back(session.id()); }
    void expire(SockjsSession& session) override;

   private:
    SockjsSession* find(const std::string& key);

    Shard& shard_;
    std::unordered_map<std::string, std::unique_ptr<SockjsSession>> by_key_;
    std::unordered_map<std::uint64_t, SockjsSession*> by_id_;
    std::vector<std::uint64_t> dirty_;
    std::vector<std::uint64_t> flushing_;
    std::string scratch_;
};

}  // namespace stampede::broker
