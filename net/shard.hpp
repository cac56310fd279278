// Shard: one thread with its own libev loop and lws context, owning its connections,
// sessions and topic router. Other threads reach it only through post() (the inbox).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/authenticator.hpp"
#include "core/publish.hpp"
#include "core/session.hpp"
#include "core/shard_services.hpp"
#include "core/transport.hpp"
#include "http/http_api.hpp"
#include "net/connection.hpp"
#include "net/listeners.hpp"
#include "net/node_context.hpp"
#include "net/sockjs_http.hpp"
#include "net/sockjs_sessions.hpp"
#include "net/write_batches.hpp"
#include "protocol/close_reason.hpp"

struct lws;
struct lws_context;
struct lws_vhost;
struct ev_loop;

namespace stampede::broker {

class Relay;
class Shard;

/// What another thread asks of a shard.
struct InboxItem {
    enum class Kind { Publish, QueueDeliver, RelayPublish, RelayDeliver, Run, Reload, Drain, Stop };
    Kind kind = Kind::Publish;
    protocol::MessagePtr message;
    std::size_t prefix_length = 0;     // Publish: destination = prefix + name
    std::string glob;                  // RelayDeliver: see Publisher::deliver_relayed
    std::function<void(Shard&)> task;  // Run
    std::uint64_t session_id = 0;      // QueueDeliver
    std::string subscription_id;       // QueueDeliver
    config::ConfigPtr config;          // Reload
    SecurityPtr security;              // Reload
};

class Shard final : public ShardServices, public ConnectionSlots {
   public:
    Shard(unsigned index, NodeContext& node, config::ConfigPtr config, SecurityPtr security,
          std::vector<ShardListener> listeners);
    ~Shard() override;
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    /// Starts the thread; returns once the lws context is up (or failed: false).
    bool start();
    void join();
    /// Any thread. Returns false when the inbox is full (the item is dropped and counted).
    bool post(InboxItem item);
    std::size_t connection_count() const { return connection_count_.load(); }
    /// Counters for /metrics, read from any thread.
    struct Counters {
        std::atomic<std::uint64_t> messages_in{0};   // publishes accepted (every way in)
        std::atomic<std::uint64_t> messages_out{0};  // MESSAGE frames written
        std::atomic<std::uint64_t> slow_consumer_dropped{0};
        std::atomic<std::uint64_t> inbox_overflow{0};
        // Connections closed with an ERROR, indexed by protocol::CloseReason.
        std::array<std::atomic<std::uint64_t>, protocol::kCloseReasonCount> closed{};
    };
    const Counters& counters() const { return counters_; }

    // ShardServices
    const config::Config& config() const override { return *config_; }
    const Security& security() const override { return *security_; }
    unsigned shard_index() const override { return index_; }
    const std::string& node_id() const override;
    std::string make_message_id() override;
    Publisher& publisher() override { return publisher_; }
    Authenticator& authenticator() override { return authenticator_; }
    Session* find_session(std::uint64_t id) override;
    Subscriber* find_subscriber(std::uint64_t id) override { return find_session(id); }
    void post_to_every_shard(const protocol::MessagePtr& message,
                             std::size_t prefix_length) override;
    void post_to_other_shards(const protocol::MessagePtr& message,
                              std::size_t prefix_length) override;
    void relay(const protocol::MessagePtr& message) override;
    bool cluster_up() const override;
    void publish_room_in_redis(const protocol::MessagePtr& message, const rooms::RoomRule& rule,
                               std::string dedupe, storage::AppendDone stored) override;
    void read_room_in_redis(const std::string& room, const rooms::RoomRule& rule, bool since,
                            std::uint64_t count_or_seq, RoomReadDone done) override;
    bool cluster_configured() const override { return clustered(); }
    void report_presence(std::string room, std::string member) override;
    void publish_user_in_redis(const protocol::MessagePtr& message, std::uint64_t max_messages,
                               bool drop_oldest, std::string dedupe, UserSendDone done) override;
    bool watch_user_queue(const Subscription& sub, bool watch, std::string_view receipt) override;
    FailureTracker& failures() override;
    bool revoked_in_cluster(std::string_view jti) const override;
    bool run_on_worker(std::function<void()> task) override;
    void run_on_shard(std::function<void()> done) override;
    bool post_to_shard(unsigned index, std::function<void(ShardServices&)> task) override;
    void add_topic_subscription(Subscription* sub) override;
    void remove_topic_subscription(Subscription* sub) override;
    bool defer_subscribe_receipt(const Subscription& sub, std::string_view receipt) override;
    QueueManager& queues() override;
    rooms::RoomRegistry& rooms() override;
    bool draining() const override { return draining_; }
    void count_message_in() override {
        counters_.messages_in.fetch_add(1, std::memory_order_relaxed);
    }
    void count_dropped(std::size_t messages) override {
        counters_.slow_consumer_dropped.fetch_add(messages, std::memory_order_relaxed);
    }
    void visit_sessions(const std::function<void(Session&)>& visit) override {
        for_each_session(visit);
    }
    void audit(std::string_view line) override;
    void count_closed(protocol::CloseReason reason) override {
        counters_.closed[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    }

    // Called by lws_glue.cpp on the shard thread.
    /// `sockjs_heartbeat_ms` > 0: the SockJS websocket transport (see Connection).
    Connection* open_connection(lws* wsi, const ShardListener& listener,
                                std::uint64_t sockjs_heartbeat_ms = 0);
    void close_connection(Connection* connection);
    WriteBatches& writes() { return writes_; }
    /// A stomp+ssl connection finished its TLS handshake (LWS_CALLBACK_SSL_INFO): the end of
    /// this turn clears the timeout lws sets after it (clear_handshake_timeouts).
    void tls_handshake_done(Connection& connection);
    void clear_handshake_timeouts();
    HttpApi& http() { return http_api_; }
    SockjsHttp& sockjs_http() { return sockjs_http_; }
    SockjsSessions& sockjs_sessions() { return sockjs_sessions_; }
    /// The next session id of this shard (WebSocket, TCP and SockJS sessions alike).
    std::uint64_t next_session_id() { return next_connection_id_++; }
    /// Runs `task` on shard `index` through its inbox (this shard's own too: never re-entered).
    void run_on(unsigned index, std::function<void(Shard&)> task);
    /// Recounts the sessions this shard holds (connections and SockJS sessions).
    void count_connections() { connection_count_ = connections_.size() + sockjs_sessions_.size(); }
    /// Every live STOMP session of this shard (reload, drain, revocations).
    template <typename F>
    void for_each_session(F&& f) {
        for (auto& [id, connection] : connections_) {
            f(connection->session());
        }
        for (Session* session : sockjs_sessions_.sessions()) {
            f(*session);
        }
    }
    /// HTTP requests in flight on this shard, by id, so an answer that comes later (from the
    /// worker) finds its connection, or that it is gone.
    std::uint64_t track_http(lws* wsi);
    void forget_http(std::uint64_t request) { http_wsis_.erase(request); }
    void drain_inbox();
    struct ev_loop* loop() const {
        return loop_;
    }
    NodeContext& node() { return node_; }

    /// limits.max_connections / max_connections_per_ip for a socket just accepted from
    /// `ip`; on None the slot is this connection's until forget_connection(wsi).
    GateRefusal admit_connection(const std::string& ip, bool& counted) override;
    void track_connection(lws* wsi, const std::string& ip, bool counted) override;
    void release_connection(const std::string& ip, bool counted) override;
    /// LWS_CALLBACK_WSI_DESTROY: every way a wsi ends.
    void forget_connection(lws* wsi) noexcept;

   private:
    void run();
    /// One inbox item; false for Stop.
    bool handle(InboxItem& item);
    bool setup();
    void teardown();
    /// Runs `task` on the home shard (the relay's), at once when this is it.
    void run_on_home(std::function<void(Shard&)> task);
    void start_relay();
    /// Sends a deferred SUBSCRIBE receipt on the waiter's shard (through its inbox if not here).
    void send_receipt_to(const ReceiptWaiter& waiter);
    void reload_certificates();
    /// Null once teardown has stopped the relay: sessions destroyed after it (their
    /// subscriptions going away) must find nothing to tell.
    Relay* relay_link() { return relay_.get(); }
    bool is_home() const { return index_ == 0; }
    bool clustered() const { return !config_->redis.url.empty(); }
    void begin_drain();

    unsigned index_;
    NodeContext& node_;
    config::ConfigPtr config_;
    SecurityPtr security_;
    std::shared_ptr<const std::vector<std::string>> cluster_revoked_;  // sorted jti
    std::vector<ShardListener> listeners_;
    std::thread thread_;
    struct ev_loop* loop_ = nullptr;
    lws_context* context_ = nullptr;
    std::unique_ptr<struct ShardWatchers> watchers_;

    std::mutex inbox_mutex_;
    std::deque<InboxItem> inbox_;
    std::atomic<bool> inbox_pending_{false};
    // limits.max_inbox_items: read by post() on any thread, set on reload by this one.
    std::atomic<std::size_t> max_inbox_items_{0};
    bool inbox_closed_ = false;  // guarded by inbox_mutex_

    ConnectionMap connections_;
    // Accepted sockets holding a ConnectionGate slot, by wsi: the address, and whether it was
    // counted per address (a trusted proxy's is not).
    std::unordered_map<lws*, std::pair<std::string, bool>> gate_slots_;
    HttpApi http_api_;
    std::unordered_map<std::uint64_t, lws*> http_wsis_;
    std::uint64_t next_http_id_ = 1;
    std::atomic<std::size_t> connection_count_{0};
    std::uint64_t next_connection_id_ = 1;
    std::uint64_t next_message_id_ = 1;
    Publisher publisher_{*this};
    Authenticator authenticator_{*this};
    std::vector<std::uint64_t> handshaken_;  // stomp+ssl ids whose handshake ended this turn
    bool draining_ = false;
    Counters counters_;
    WriteBatches writes_{connections_, counters_.messages_out};
    std::unique_ptr<Relay> relay_;  // home shard only, with a cluster configured
    SockjsSessions sockjs_sessions_{*this};
    SockjsHttp sockjs_http_{*this};

    std::mutex start_mutex_;
    bool started_ = false;
    bool start_ok_ = false;
    std::condition_variable start_cv_;
};

}  // namespace stampede::broker
