// Server: listening sockets, shard start/stop, and the main thread's signal loop.
#include "server/server.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "net/listeners.hpp"
#include "net/lws_glue.hpp"
#include "net/lws_log.hpp"
#include "net/shard.hpp"
#include "protocol/destination.hpp"
#include "protocol/user_destination.hpp"
#include "rooms/open_rooms.hpp"
#include "server/metrics.hpp"

namespace stampede::broker {

namespace {

// destinations.queues[] as QueueManager rules; a queue that matches none gets the defaults,
// whose max_messages is limits.max_queue_messages.
void configure_queues(QueueManager& queues, const config::Config& c) {
    const auto policy_of = [](const config::QueueConfig& q) {
        QueuePolicy p;
        p.max_messages = q.max_messages;
        p.max_bytes = q.max_bytes;
        p.overflow = q.overflow == config::QueueOverflow::DropOldest ? QueueOverflow::DropOldest
                                                                     : QueueOverflow::Reject;
        p.max_redeliveries = q.max_redeliveries;
        p.dead_letter = q.dead_letter;
        p.ttl_ms = q.ttl_ms;
        return p;
    };
    std::vector<QueueRule> rules;
    const auto& d = c.destinations;
    for (const config::QueueConfig& q : d.queues) {
        // User queues: `/user/` then a pattern whose '/' separate segments too.
        if (q.pattern.starts_with(protocol::kUserPrefix)) {
            rules.push_back({std::string(protocol::kUserPrefix),
                             protocol::Pattern(slashes_as_dots(
                                 std::string_view(q.pattern).substr(protocol::kUserPrefix.size()))),
                             policy_of(q), true});
            continue;
        }
        // The longest queue prefix (the config checked that one matches), then the pattern.
        std::string_view prefix;
        for (const std::string& p : d.queue_prefixes) {
            if (q.pattern.starts_with(p) && p.size() > prefix.size()) {
                prefix = p;
            }
        }
        rules.push_back({std::string(prefix),
                         protocol::Pattern(std::string_view(q.pattern).substr(prefix.size())),
                         policy_of(q)});
    }
    config::QueueConfig defaults;
    defaults.max_messages = c.limits.max_queue_messages;
    queues.set_policies(std::move(rules), policy_of(defaults));
}

}  // namespace

Server::BlockedSignals::BlockedSignals() {
    // Taken synchronously by the main thread's sigwaitinfo loop in run().
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

namespace {

bool same_rooms(const std::vector<config::RoomConfig>& a,
                const std::vector<config::RoomConfig>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.pattern == y.pattern && x.history.max_messages == y.history.max_messages &&
               x.history.max_age_s == y.history.max_age_s && x.presence == y.presence;
    });
}

// The registry is always there (the shards hold a reference); when the backend cannot be
// opened, an empty one stands in until run() reports the error and refuses to start.
std::unique_ptr<rooms::RoomRegistry> open_rooms_or_empty(const config::Config& config,
                                                         std::string& error) {
    auto registry = rooms::open_rooms(config, error);
    return registry
               ? std::move(registry)
               : std::make_unique<rooms::RoomRegistry>(std::vector<rooms::RoomRule>{}, nullptr);
}

}  // namespace

Server::Server(config::ConfigPtr config)
    : config_(std::move(config)),
      node_id_(config_->node_id),
      queues_([this](const QueueConsumer& consumer, const protocol::MessagePtr& message) {
          deliver_queue_message(consumer, message);
      }),
      rooms_(open_rooms_or_empty(*config_, rooms_error_)),
      worker_(config_->limits.max_worker_queue),
      node_{node_id_,
            log_,
            queues_,
            gate_,
            sockjs_,
            *rooms_,
            failures_,
            worker_,
            relay_counters_,
            shards_,
            [this] { return render_metrics(node_, webhook_.get()); },
            websocket_protocols(),
            raw_protocols()} {
    log_.set_level(config_->logging.level);
    log_.set_format(config_->logging.format);
    configure_queues(queues_, *config_);
}

Server::~Server() {
    // Before the shards go: a running task, or a history append completing, may still post
    // an answer to one of them.
    worker_.stop();
    if (webhook_) {
        webhook_->stop();
    }
    rooms_->stop();
}

void Server::deliver_queue_message(const QueueConsumer& consumer,
                                   const protocol::MessagePtr& message) {
    // Always through the inbox, even for the caller's own shard: the QueueManager may be
    // called from inside a session's frame handler, and a delivery must not re-enter it.
    InboxItem item;
    item.kind = InboxItem::Kind::QueueDeliver;
    item.message = message;
    item.session_id = consumer.session_id;
    item.subscription_id = consumer.subscription_id;
    shards_.at(consumer.shard)->post(std::move(item));
}

bool Server::open_listeners(std::vector<std::vector<int>>& fds) {
    fds.assign(config_->shards, {});
    for (const auto& listener : config_->listeners) {
        if (port_in_use(listener.host, listener.port)) {
            log_.error("listener {}: {}:{} is already in use", listener.name, listener.host,
                       listener.port);
            return false;
        }
    }
    for (const auto& listener : config_->listeners) {
        std::uint16_t port = listener.port;
        for (unsigned shard = 0; shard < config_->shards; ++shard) {
            std::string error;
            const int fd = open_listening_socket(listener.host, port, error);
            if (fd < 0) {
                log_.error("cannot listen on {} {}:{}: {}", listener.name, listener.host, port,
                           error);
                return false;
            }
            port = bound_port(fd);  // with port 0 the other shards join the one chosen
            fds[shard].push_back(fd);
        }
        bound_ports_.push_back(port);
    }
    log_listeners();
    return true;
}

void Server::log_listeners() {
    for (std::size_t i = 0; i < config_->listeners.size(); ++i) {
        const auto& listener = config_->listeners[i];
        log_.info("listening on {} {}:{}", listener.name, listener.host, bound_ports_[i]);
    }
}

bool Server::start_rooms() {
    if (!rooms_error_.empty()) {
        log_.error("storage: {}", rooms_error_);
        return false;
    }
    rooms_->on_storage_error([this](std::string_view what) {
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
        if (auto line = storage_errors_log_.admit(what, now)) {
            log_.warn("storage: {}", *line);
        }
    });
    std::vector<std::string> warnings;
    rooms_->recover(warnings);
    for (const auto& warning : warnings) {
        log_.warn("storage: {}", warning);
    }
    rooms_->start();
    if (rooms_->has_rooms()) {
        log_.info("rooms: {} pattern(s), {} storage, epoch {}, {} message(s) kept",
                  config_->destinations.rooms.size(), config_->storage.backend, rooms_->epoch(),
                  rooms_->kept_messages());
    }
    return true;
}

// Before any shard starts: sessions count as online from the first CONNECT.
void Server::start_offline_hook() {
    const config::OfflineHookConfig& hook = config_->offline_hook;
    if (!hook.webhook()) {
        return;
    }
    rooms_->offline().enable(hook.debounce_ms);
    WebhookSettings settings;
    settings.url = hook.webhook_url;
    settings.secret = hook.webhook_secret;
    webhook_ = std::make_unique<OfflineWebhook>(rooms_->offline(), log_, std::move(settings));
    webhook_->start();
    log_.info("offline hook: webhook {}, debounce {} ms", hook.webhook_url, hook.debounce_ms);
}

int Server::run() {
    const sigset_t& signals = signals_.set;
    ::signal(SIGPIPE, SIG_IGN);
    route_lws_log(log_);

    SecurityResult security = load_security(*config_);
    for (const auto& warning : security.warnings) {
        log_.warn("{}", warning);
    }
    if (!security.security) {
        for (const auto& error : security.errors) {
            log_.error("{}", error);
        }
        return 2;
    }
    security_ = std::move(security.security);
    if (!start_rooms()) {
        return 1;
    }
    start_offline_hook();
    std::vector<std::vector<int>> fds;
    if (!open_listeners(fds)) {
        return 1;
    }
    for (unsigned index = 0; index < config_->shards; ++index) {
        std::vector<ShardListener> listeners;
        for (std::size_t i = 0; i < config_->listeners.size(); ++i) {
            ShardListener listener;
            listener.config = config_->listeners[i];
            listener.fd = fds[index][i];
            listeners.push_back(std::move(listener));
        }
        shards_.push_back(
            std::make_unique<Shard>(index, node_, config_, security_, std::move(listeners)));
    }
    for (auto& shard : shards_) {
        if (!shard->start()) {
            drain_and_stop();
            return 1;
        }
    }
    log_.info("stampede {} started: node {}, {} shard(s)", STAMPEDE_VERSION, node_id_,
              shards_.size());
    start_jwks_refresher();
    while (true) {
        siginfo_t info{};
        const int signal = ::sigwaitinfo(&signals, &info);
        if (signal == SIGHUP) {
            reload();
        } else if (signal == SIGINT || signal == SIGTERM) {
            log_.info("signal {}: draining", signal);
            drain_and_stop();
            return 0;
        }
    }
}

void Server::reload() {
    config::ConfigResult result = config::load_config(config_->path);
    for (const auto& warning : result.warnings) {
        log_.warn("{}", warning);
    }
    if (!result.config) {
        for (const auto& error : result.errors) {
            log_.error("{}", error);
        }
        log_.error("reload refused: keeping the running config");
        return;
    }
    SecurityResult security = load_security(*result.config, security_.get());
    for (const auto& warning : security.warnings) {
        log_.warn("{}", warning);
    }
    if (!security.security) {
        for (const auto& error : security.errors) {
            log_.error("{}", error);
        }
        log_.error("reload refused: keeping the running config and keys");
        return;
    }
    auto next = std::make_shared<config::Config>(*result.config);
    // Restart-only settings keep their running values.
    next->listeners = config_->listeners;
    next->shards = config_->shards;
    next->node_id = config_->node_id;
    next->storage = config_->storage;
    next->redis = config_->redis;
    // The hook's thread and tracker are made at start with these values.
    if (!(next->offline_hook == config_->offline_hook)) {
        log_.warn(
            "offline_hook changed: it is restart-only, the running webhook stays until the next "
            "start");
    }
    next->offline_hook = config_->offline_hook;
    // Rooms are numbered and kept by the registry made at start (and, with the file backend,
    // recovered into it): which topics are rooms, and what they keep, is restart-only too.
    if (!same_rooms(next->destinations.rooms, config_->destinations.rooms)) {
        log_.warn(
            "destinations.rooms changed: rooms are restart-only, the running ones stay "
            "until the next start");
    }
    next->destinations.rooms = config_->destinations.rooms;
    {
        const std::lock_guard lock(state_mutex_);
        security_ = std::move(security.security);
        config_ = next;
    }
    log_.set_level(config_->logging.level);
    log_.set_format(config_->logging.format);
    configure_queues(queues_, *config_);
    worker_.set_max_queued(config_->limits.max_worker_queue);
    post_reload();
    log_.info("config reloaded from {}", config_->path);
    log_listeners();  // listeners are restart-only: the same sockets go on serving
}

void Server::post_reload() {
    const std::lock_guard lock(state_mutex_);
    for (auto& shard : shards_) {
        InboxItem item;
        item.kind = InboxItem::Kind::Reload;
        item.config = config_;
        item.security = security_;
        shard->post(std::move(item));
    }
}

void Server::start_jwks_refresher() {
    std::uint32_t every_s = 0;
    for (const auto& issuer : config_->auth.jwt) {
        if (!issuer.keys.jwks_url.empty()) {
            every_s = every_s == 0 ? issuer.keys.jwks_refresh_s
                                   : std::min(every_s, issuer.keys.jwks_refresh_s);
        }
    }
    if (every_s == 0) {
        return;
    }
    // Identity providers rotate keys; fetches block, so they run here, never on a shard.
    jwks_refresher_ = std::thread([this, every_s] {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        std::unique_lock lock(state_mutex_);
        while (!refresher_wake_.wait_for(lock, std::chrono::seconds(every_s),
                                         [this] { return refresher_stop_; })) {
            const config::ConfigPtr config = config_;
            const SecurityPtr current = security_;
            lock.unlock();
            std::vector<std::string> problems;
            SecurityPtr next = refresh_jwks(*config, current, problems);
            for (const auto& problem : problems) {
                log_.warn("{}", problem);
            }
            lock.lock();
            if (next != nullptr && security_ == current) {  // a SIGHUP meanwhile wins
                security_ = std::move(next);
                lock.unlock();
                post_reload();
                lock.lock();
            }
        }
    });
}

void Server::stop_jwks_refresher() {
    {
        const std::lock_guard lock(state_mutex_);
        refresher_stop_ = true;
    }
    refresher_wake_.notify_all();
    if (jwks_refresher_.joinable()) {
        jwks_refresher_.join();
    }
}

void Server::drain_and_stop() {
    stop_jwks_refresher();
    for (auto& shard : shards_) {
        InboxItem item;
        item.kind = InboxItem::Kind::Drain;
        shard->post(std::move(item));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_->drain_s);
    while (std::chrono::steady_clock::now() < deadline) {
        std::size_t open = 0;
        for (auto& shard : shards_) {
            open += shard->connection_count();
        }
        if (open == 0) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& shard : shards_) {
        InboxItem item;
        item.kind = InboxItem::Kind::Stop;
        shard->post(std::move(item));
    }
    for (auto& shard : shards_) {
        shard->join();
    }
    worker_.stop();
    if (webhook_) {
        webhook_->stop();
    }
    rooms_->stop();  // what the history log still holds reaches the disk
    log_.info("stopped");
}

}  // namespace stampede::broker
