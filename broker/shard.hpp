// Shard: one thread with its own libev loop and lws context, owning its connections,
// sessions and topic router. Other threads reach it only through post() (the inbox).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/config.hpp"
#include "broker/router.hpp"
#include "broker/session.hpp"
#include "broker/session_host.hpp"
#include "broker/transport.hpp"

struct lws;
struct lws_context;
struct lws_vhost;
struct ev_loop;

namespace stampede::broker {

class Server;
class Shard;

/// One listener as a shard sees it: the config (restart-only, so copied) and its socket.
struct ShardListener {
    ListenerConfig config;
    int fd = -1;  // this shard's SO_REUSEPORT listening socket
    Shard* shard = nullptr;
    lws_vhost* vhost = nullptr;
    void* watcher = nullptr;  // ev_io, owned by the shard
};

/// What another thread asks of a shard.
struct InboxItem {
    enum class Kind { Publish, QueueDeliver, Reload, Drain, Stop };
    Kind kind = Kind::Publish;
    protocol::MessagePtr message;
    std::size_t prefix_length = 0;  // Publish: destination = prefix + name
    std::uint64_t session_id = 0;   // QueueDeliver
    std::string subscription_id;    // QueueDeliver
    ConfigPtr config;               // Reload
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
    bool lingering = false;  // raw TCP: ERROR written, write side shut, waiting for the peer

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
    Shard(unsigned index, Server& server, ConfigPtr config, std::vector<ShardListener> listeners);
    ~Shard() override;
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    /// Starts the thread; returns once the lws context is up (or failed: false).
    bool start();
    void join();
    /// Any thread. Returns false when the inbox is full (the item is dropped and counted).
    bool post(InboxItem item);
    std::size_t connection_count() const { return connection_count_.load(); }

    // SessionHost
    const Config& config() const override { return *config_; }
    unsigned shard_index() const override { return index_; }
    const std::string& node_id() const override;
    std::string make_message_id() override;
    void publish_topic(const protocol::MessagePtr& message, std::string_view prefix,
                       std::string_view name) override;
    Router& router() override { return router_; }
    QueueManager& queues() override;
    bool draining() const override { return draining_; }
    void count_dropped(std::size_t messages) override { dropped_messages_ += messages; }

    // Called by lws_glue.cpp on the shard thread.
    Connection* open_connection(lws* wsi, const ShardListener& listener);
    void close_connection(Connection* connection);
    int write_pending(Connection& connection);
    int serve_http(lws* wsi, std::string_view uri, const ShardListener& listener);
    void accept_ready(ShardListener& listener);
    void drain_inbox();
    struct ev_loop* loop() const { return loop_; }
    Server& server() { return server_; }

   private:
    void run();
    bool setup();
    void teardown();
    void deliver_local(const protocol::MessagePtr& message, std::string_view prefix,
                       std::string_view name);
    void begin_drain();

    unsigned index_;
    Server& server_;
    ConfigPtr config_;
    std::vector<ShardListener> listeners_;
    std::thread thread_;
    struct ev_loop* loop_ = nullptr;
    lws_context* context_ = nullptr;
    std::unique_ptr<struct ShardWatchers> watchers_;

    std::mutex inbox_mutex_;
    std::deque<InboxItem> inbox_;
    std::atomic<bool> inbox_pending_{false};
    std::atomic<std::uint64_t> inbox_overflow_{0};

    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
    std::atomic<std::size_t> connection_count_{0};
    std::uint64_t next_connection_id_ = 1;
    std::uint64_t next_message_id_ = 1;
    Router router_;
    std::vector<Subscription*> match_scratch_;
    std::string write_scratch_;
    bool draining_ = false;
    std::uint64_t dropped_messages_ = 0;

    std::mutex start_mutex_;
    bool started_ = false;
    bool start_ok_ = false;
    std::condition_variable start_cv_;
};

}  // namespace stampede::broker
