// Server: the node. Opens the listening sockets, starts the shards, owns what they share
// (queues, logger, node id), and runs the signal loop on the main thread: SIGHUP reloads the
// config, SIGTERM/SIGINT drain and stop.
#pragma once

#include <signal.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/relay.hpp"
#include "config/config.hpp"
#include "core/log.hpp"
#include "core/log_limiter.hpp"
#include "core/offline_webhook.hpp"
#include "core/security.hpp"
#include "core/worker.hpp"
#include "net/connection_gate.hpp"
#include "net/node_context.hpp"
#include "queues/queue_manager.hpp"
#include "rooms/room_registry.hpp"

namespace stampede::broker {

class Shard;

class Server {
   public:
    explicit Server(config::ConfigPtr config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds, starts the shards and serves until a stop signal has been handled.
    /// Returns the process exit code.
    int run();

    Logger& log() { return log_; }
    QueueManager& queues() { return queues_; }
    const std::string& node_id() const { return node_id_; }
    std::vector<std::unique_ptr<Shard>>& shards() { return shards_; }
    RelayCounters& relay_counters() { return relay_counters_; }
    FailureTracker& failures() { return failures_; }
    Worker& worker() { return worker_; }

   private:
    bool open_listeners(std::vector<std::vector<int>>& fds);
    bool start_rooms();
    void start_offline_hook();
    void log_listeners();
    void reload();
    void drain_and_stop();
    void post_reload();
    void start_jwks_refresher();
    void stop_jwks_refresher();
    void deliver_queue_message(const struct QueueConsumer& consumer,
                               const protocol::MessagePtr& message);

    /// The signals the main thread waits for, blocked before any member starts a thread (the
    /// worker does, in its constructor), so every thread inherits the mask: a signal that
    /// reached a thread not yet masked would kill the process.
    struct BlockedSignals {
        BlockedSignals();
        sigset_t set;
    };
    BlockedSignals signals_;
    config::ConfigPtr config_;
    Logger log_;
    std::string node_id_;
    QueueManager queues_;
    ConnectionGate gate_;
    SockjsDirectory sockjs_;
    // The rooms and their history; rooms_error_ when the storage backend could not be opened
    // (run() then refuses to start, and rooms_ is an empty memory registry meanwhile).
    std::string rooms_error_;
    std::unique_ptr<rooms::RoomRegistry> rooms_;
    LogLimiter storage_errors_log_;  // one line per kind per 10 s, with the count held back
    RelayCounters relay_counters_;
    SecurityPtr security_;
    // config_ and security_ change on SIGHUP (main thread) and on JWKS refreshes.
    std::mutex state_mutex_;
    std::thread jwks_refresher_;
    std::condition_variable refresher_wake_;
    bool refresher_stop_ = false;
    FailureTracker failures_;
    Worker worker_;
    // The offline hook's webhook thread (offline_hook.webhook_url set); restart-only.
    std::unique_ptr<OfflineWebhook> webhook_;
    std::vector<std::unique_ptr<Shard>> shards_;
    NodeContext node_;                        // what the shards get of all the above
    std::vector<std::uint16_t> bound_ports_;  // per listener, the real port
};

}  // namespace stampede::broker
