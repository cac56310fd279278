// See sockjs_sessions.hpp.
#include "net/sockjs_sessions.hpp"

#include "net/shard.hpp"
#include "net/sockjs_http.hpp"
#include "sockjs/framing.hpp"

namespace stampede::broker {

SockjsSessions::~SockjsSessions() { clear(); }

void SockjsSessions::clear() {
    for (auto& [key, session] : by_key_) {
        shard_.node().sockjs.release(key);
    }
    by_id_.clear();
    by_key_.clear();
    dirty_.clear();
}

void SockjsSessions::create(const std::string& key, const std::string& peer,
                            const config::SockjsConfig& config, bool anonymous_allowed) {
    const std::uint64_t id = shard_.next_session_id();
    auto session =
        std::make_unique<SockjsSession>(SockjsSession::Where{shard_, *this, shard_.loop(), config},
                                        key, peer, anonymous_allowed, id);
    if (shard_.draining()) {
        session->session()->fail(protocol::CloseReason::ServerShuttingDown,
                                 "the broker is draining");
    }
    by_id_[id] = session.get();
    by_key_[key] = std::move(session);
    shard_.count_connections();
}

SockjsSession* SockjsSessions::find(const std::string& key) {
    const auto it = by_key_.find(key);
    return it != by_key_.end() ? it->second.get() : nullptr;
}

void SockjsSessions::attach(const std::string& key, const SockjsReceiver& receiver) {
    if (SockjsSession* session = find(key)) {
        session->attach(receiver);
        return;
    }
    // Expired between the request's look-up and now: the client starts over.
    std::string frame;
    sockjs::append_close_frame(frame, sockjs::kInterrupted, "Connection interrupted");
    frame += '\n';
    send(receiver, std::move(frame), true);
}

void SockjsSessions::receive(const std::string& key, std::string_view stomp) {
    if (SockjsSession* session = find(key)) {
        session->receive(stomp);
    }
}

void SockjsSessions::receiver_gone(const std::string& key, const SockjsReceiver& receiver) {
    if (SockjsSession* session = find(key)) {
        session->receiver_gone(receiver);
    }
}

void SockjsSessions::acked(const std::string& key, std::uint64_t request) {
    if (SockjsSession* session = find(key)) {
        session->acked(request);
    }
}

void SockjsSessions::refuse_oversized(const std::string& key, std::size_t max_bytes) {
    if (SockjsSession* session = find(key)) {
        session->refuse_oversized(max_bytes);
    }
}

void SockjsSessions::flush(std::size_t max_batch_bytes) {
    flushing_.swap(dirty_);
    for (const std::uint64_t id : flushing_) {
        if (const auto it = by_id_.find(id); it != by_id_.end()) {
            it->second->flush(scratch_, max_batch_bytes);
        }
    }
    flushing_.clear();
}

Session* SockjsSessions::find_session(std::uint64_t id) {
    const auto it = by_id_.find(id);
    return it != by_id_.end() ? it->second->session() : nullptr;
}

std::vector<Session*> SockjsSessions::sessions() {
    std::vector<Session*> open;
    for (auto& [id, session] : by_id_) {
        if (Session* stomp = session->session()) {
            open.push_back(stomp);
        }
    }
    return open;
}

void SockjsSessions::send(const SockjsReceiver& receiver, std::string bytes, bool finish) {
    const std::uint64_t request = receiver.request;
    shard_.run_on(receiver.shard,
                  [request, bytes = std::move(bytes), finish](Shard& shard) mutable {
                      shard.sockjs_http().deliver(request, std::move(bytes), finish);
                  });
}

void SockjsSessions::expire(SockjsSession& session) {
    const std::string key = session.key();
    by_id_.erase(session.id());
    by_key_.erase(key);  // destroys the session
    shard_.node().sockjs.release(key);
    shard_.count_connections();
}

}  // namespace stampede::broker
