// Shard: one thread with its own libev loop and lws context, owning its connections,
// sessions and topic router. Other threads reach it only through post() (the inbox).
#pragma once

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

#include "broker/router.hpp"
#include "broker/session.hpp"
#include "broker/session_host.hpp"
#include "broker/transport.hpp"
#include "config/config.hpp"

struct lws;
struct lws_context;
struct lws_vhost;
struct ev_loop;

namespace stampede::broker {

class Relay;
class Server;
struct HttpRequest;
class Shard;

/// One listener as a shard sees it: the config (restart-only, so copied) and its socket.
struct ShardListener {
    config::ListenerConfig config;
    int fd = -1;  // this shard's SO_REUSEPORT listening socket
    Shard* shard = nullptr;
    lws_vhost* vhost = nullptr;
    void* watcher = nullptr;  // ev_io, owned by the shard
    // Connections lws refused at adoption (for TLS: the first handshake step failed), logged
    // once per interval with their count: a port scanner must not flood the log.
    std::uint64_t refused = 0;
    std::int64_t refused_logged_at = 0;  // steady clock, seconds
};

/// The client's IP: the peer, or behind a trusted proxy (`http`: the request carried headers)
/// the right-most X-Forwarded-For entry that is not a trusted proxy.
std::string client_address(lws* wsi, bool http, const std::vector<std::string>& trusted_proxies);

/// What another thread asks of a shard.
struct InboxItem {
    enum class Kind { Publish, QueueDeliver, RelayPublish, RelayDeliver, Run, Reload, Drain, Stop };
    Kind kind = Kind::Publish;
    protocol::MessagePtr message;
    std::size_t prefix_length = 0;     // Publish: destination = prefix + name
    std::string glob;                  // RelayDeliver: see Relay::DeliverFn
    bool all = false;                  // RelayDeliver
    std::function<void(Shard&)> task;  // Run
    std::uint64_t session_id = 0;      // QueueDeliver
    std::string subscription_id;       // QueueDeliver
    config::ConfigPtr config;          // Reload
    SecurityPtr security;              // Reload
};

/// A live client connection (WebSocket or raw TCP): the lws side of a Session.
class Connection final : public Transport {
   public:
    Connection(Shard& shard, lws* wsi, const ShardListener& listener, std::uint64_t id);
    ~Connection() override;

    void request_write() override;
    void schedule_timer(std::uint32_t delay_ms) override;
    std::string_view peer() const override { return peer_; }

    Session& session() { return *session_; }
    lws* wsi() const { return wsi_; }
    bool websocket() const { return websocket_; }
    bool lingering = false;     // raw TCP: ERROR written, write side shut, waiting for the peer
    bool flush_queued = false;  // in the shard's list of connections to write this turn

   private:
    static void on_timer_event(struct ev_loop* loop, void* watcher, int events);

    Shard& shard_;
    lws* wsi_;
    bool websocket_;
    std::string peer_;
    std::unique_ptr<struct ConnectionTimer> timer_;
    std::unique_ptr<Session> session_;
};

class Shard final : public SessionHost {
   public:
    Shard(unsigned index, Server& server, config::ConfigPtr config, SecurityPtr security,
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
        std::atomic<std::uint64_t> messages_in{0};   // SENDs accepted (topics and queues)
        std::atomic<std::uint64_t> messages_out{0};  // MESSAGE frames written
        std::atomic<std::uint64_t> slow_consumer_dropped{0};
        std::atomic<std::uint64_t> inbox_overflow{0};
    };
    const Counters& counters() const { return counters_; }

    // SessionHost
    const config::Config& config() const override { return *config_; }
    unsigned shard_index() const override { return index_; }
    const std::string& node_id() const override;
    std::string make_message_id() override;
    void publish_topic(const protocol::MessagePtr& message, std::string_view prefix,
                       std::string_view name) override;
    const Security& security() const override { return *security_; }
    bool auth_blocked(std::string_view ip) override;
    void record_auth_failure(std::string_view ip) override;
    bool revoked_in_cluster(std::string_view jti) const override;
    void authenticate_async(std::uint64_t session_id, std::string login,
                            std::string passcode) override;
    void add_topic_subscription(Subscription* sub) override;
    void remove_topic_subscription(Subscription* sub) override;
    bool defer_subscribe_receipt(const Subscription& sub, std::string_view receipt) override;
    QueueManager& queues() override;
    bool draining() const override { return draining_; }
    void count_message_in() override {
        counters_.messages_in.fetch_add(1, std::memory_order_relaxed);
    }
    void count_dropped(std::size_t messages) override {
        counters_.slow_consumer_dropped.fetch_add(messages, std::memory_order_relaxed);
    }

    // Called by lws_glue.cpp on the shard thread.
    Connection* open_connection(lws* wsi, const ShardListener& listener);
    void close_connection(Connection* connection);
    /// Writes one batch of the session's output. `in_writeable`: called from lws's WRITEABLE
    /// callback (may close: returns -1); otherwise from the end-of-turn flush.
    int write_pending(Connection& connection, bool in_writeable = true);
    void mark_dirty(Connection& connection);
    void flush_dirty();
    /// A stomp+ssl connection finished its TLS handshake (LWS_CALLBACK_SSL_INFO): the end of
    /// this turn clears the timeout lws sets after it (clear_handshake_timeouts).
    void tls_handshake_done(Connection& connection);
    void clear_handshake_timeouts();
    int serve_http(lws* wsi, std::string_view uri, HttpRequest*& request);
    int http_body(HttpRequest& request, std::string_view chunk);
    int http_body_complete(lws* wsi, HttpRequest& request);
    int http_writeable(lws* wsi, HttpRequest*& request);
    void http_closed(HttpRequest* request);
    void accept_ready(ShardListener& listener);
    void note_refused(ShardListener& listener);
    void drain_inbox();
    struct ev_loop* loop() const {
        return loop_;
    }
    Server& server() { return server_; }

   private:
    void run();
    bool setup();
    void teardown();
    void deliver_local(const protocol::MessagePtr& message, std::string_view prefix,
                       std::string_view name);
    void deliver_relayed(const protocol::MessagePtr& message, const std::string& glob, bool all);
    /// Runs `task` on the home shard (the relay's), at once when this is it.
    void run_on_home(std::function<void(Shard&)> task);
    void start_relay();
    void reload_certificates();
    void answer_publish(lws* wsi, HttpRequest& request);
    void finish_publish(HttpRequest& request, const auth::Principal& principal);
    Relay& relay() { return *relay_; }
    bool is_home() const { return index_ == 0; }
    bool clustered() const { return !config_->redis.url.empty(); }
    void begin_drain();

    unsigned index_;
    Server& server_;
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

    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
    // POSTs in flight, by id, so a worker's answer finds its connection (or that it is gone).
    std::unordered_map<std::uint64_t, std::pair<lws*, std::unique_ptr<HttpRequest>>> http_;
    std::uint64_t next_http_id_ = 1;
    std::atomic<std::size_t> connection_count_{0};
    std::uint64_t next_connection_id_ = 1;
    std::uint64_t next_message_id_ = 1;
    Router router_;
    std::vector<Subscription*> match_scratch_;
    std::string write_scratch_;
    std::vector<std::uint64_t> dirty_;       // connection ids with output queued this turn
    std::vector<std::uint64_t> flushing_;    // the list being written (reused)
    std::vector<std::uint64_t> handshaken_;  // stomp+ssl ids whose handshake ended this turn
    bool draining_ = false;
    Counters counters_;
    std::unique_ptr<Relay> relay_;  // home shard only, with a cluster configured

    std::mutex start_mutex_;
    bool started_ = false;
    bool start_ok_ = false;
    std::condition_variable start_cv_;
};

}  // namespace stampede::broker
