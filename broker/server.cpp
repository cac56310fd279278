// Server: listening sockets, shard start/stop, and the main thread's signal loop.
#include "broker/server.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "broker/lws_log.hpp"
#include "broker/shard.hpp"

namespace stampede::broker {
namespace {

struct AddressList {
    addrinfo* first = nullptr;
    ~AddressList() {
        if (first != nullptr) {
            ::freeaddrinfo(first);
        }
    }
};

bool resolve(const std::string& host, std::uint16_t port, AddressList& list, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list.first); rc != 0) {
        error = ::gai_strerror(rc);
        return false;
    }
    return true;
}

// Every shard binds with SO_REUSEPORT, so a second broker on the same port would bind too,
// and the kernel would split new connections between the two processes: subscribers on one
// never see publishers on the other. A bind without SO_REUSEPORT fails while any socket
// listens there, ours or another program's. SO_REUSEADDR keeps connections of an earlier run
// in TIME_WAIT from failing it (Linux never lets SO_REUSEADDR bind over a listener). The
// window between this probe and the shards' binds is a few microseconds: two brokers started
// in the same instant could still both pass; a supervisor starts one at a time.
bool port_in_use(const std::string& host, std::uint16_t port) {
    AddressList list;
    std::string error;
    if (port == 0 || !resolve(host, port, list, error)) {
        return false;  // any free port, or an address the real bind will report
    }
    for (addrinfo* ai = list.first; ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        const bool busy = ::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE;
        ::close(fd);
        if (busy) {
            return true;
        }
    }
    return false;
}

// Opens one non-blocking SO_REUSEPORT listening socket; -1 and `error` set on failure.
int open_listening_socket(const std::string& host, std::uint16_t port, std::string& error) {
    AddressList list;
    if (!resolve(host, port, list, error)) {
        return -1;
    }
    int fd = -1;
    for (addrinfo* ai = list.first; ai != nullptr && fd < 0; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 4096) != 0) {
            error = std::strerror(errno);
            ::close(fd);
            fd = -1;
        }
    }
    return fd;
}

std::uint16_t bound_port(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    if (address.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    }
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
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

Server::Server(config::ConfigPtr config)
    : config_(std::move(config)),
      node_id_(config_->node_id),
      queues_([this](const QueueConsumer& consumer, const protocol::MessagePtr& message) {
          deliver_queue_message(consumer, message);
      }),
      worker_(config_->limits.max_worker_queue) {
    log_.set_level(config_->logging.level);
    log_.set_format(config_->logging.format);
    queues_.set_max_messages(config_->limits.max_queue_messages);
}

Server::~Server() = default;

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
            std::make_unique<Shard>(index, *this, config_, security_, std::move(listeners)));
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
    {
        const std::lock_guard lock(state_mutex_);
        security_ = std::move(security.security);
        config_ = next;
    }
    log_.set_level(config_->logging.level);
    log_.set_format(config_->logging.format);
    queues_.set_max_messages(config_->limits.max_queue_messages);
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
    log_.info("stopped");
}

}  // namespace stampede::broker
