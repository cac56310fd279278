// Shard: thread, libev loop, lws context, inbox, connection registry, and the plumbing the
// publish pipeline and the authenticator use (other shards, the relay, the worker).
// Everything here runs on the shard thread except post(), start() and join().
#include "net/shard.hpp"

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>

#include "cluster/relay.hpp"
#include "core/trusted_proxies.hpp"
#include "protocol/destination.hpp"

namespace stampede::broker {

namespace {

// secs_since_valid_hangup == 0: lws arms no validity timer on any connection (see
// listeners.cpp: the kernel's TCP keepalive finds dead peers instead).
const lws_retry_bo_t kNoValidityTimers = {};
}  // namespace

struct ShardWatchers {
    ev_async inbox;
    ev_prepare flush;  // runs when the loop is about to wait: write what this turn queued
    std::vector<ev_io> listeners;
};

// ---------------------------------------------------------------------------------------
// Shard lifecycle

namespace {
void on_inbox_event(struct ev_loop*, ev_async* watcher, int);
}  // namespace

Shard::Shard(unsigned index, NodeContext& node, config::ConfigPtr config, SecurityPtr security,
             std::vector<ShardListener> listeners)
    : index_(index),
      node_(node),
      config_(std::move(config)),
      security_(std::move(security)),
      listeners_(std::move(listeners)),
      watchers_(std::make_unique<ShardWatchers>()),
      max_inbox_items_(config_->limits.max_inbox_items),
      http_api_(
          *this, [this] { return node_.render_metrics(); },
          [this](std::uint64_t request) {
              if (const auto it = http_wsis_.find(request); it != http_wsis_.end()) {
                  lws_callback_on_writable(it->second);
              }
          }) {
    for (auto& listener : listeners_) {
        listener.shard = this;
    }
    writes_.set_max_batch_bytes(config_->limits.write_batch_bytes);
    // The loop and the inbox exist before the thread does: another shard may publish to this
    // one while it is still starting, and the post waits in the inbox until the loop runs.
    loop_ =
        ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | static_cast<unsigned>(EVFLAG_NOENV));
    if (loop_ != nullptr) {
        ev_async_init(&watchers_->inbox, on_inbox_event);
        watchers_->inbox.data = this;
        ev_async_start(loop_, &watchers_->inbox);
        ev_prepare_init(&watchers_->flush, [](struct ev_loop*, ev_prepare* watcher, int) {
            auto* shard = static_cast<Shard*>(watcher->data);
            shard->clear_handshake_timeouts();
            shard->writes().flush();
            shard->sockjs_sessions().flush(shard->config().limits.write_batch_bytes);
        });
        watchers_->flush.data = this;
        ev_prepare_start(loop_, &watchers_->flush);
    } else {
        inbox_closed_ = true;
    }
}

Shard::~Shard() {
    join();
    for (auto& listener : listeners_) {
        if (listener.fd >= 0) {
            ::close(listener.fd);
        }
    }
}

bool Shard::start() {
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock(start_mutex_);
    start_cv_.wait(lock, [this] { return started_; });
    return start_ok_;
}

void Shard::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Shard::run() {
    const bool ok = setup();
    {
        const std::lock_guard lock(start_mutex_);
        started_ = true;
        start_ok_ = ok;
    }
    start_cv_.notify_all();
    if (ok) {
        ev_run(loop_, 0);
    }
    teardown();
}

namespace {

// TLS for one vhost (wss:// or stomp+ssl). The vhost itself must carry DO_SSL_GLOBAL_INIT:
// on the context alone, lws silently serves plaintext (STACK-NOTES.md).
void configure_tls(lws_context_creation_info& vinfo, const config::TlsConfig& tls) {
    vinfo.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    vinfo.ssl_cert_filepath = tls.cert.c_str();
    vinfo.ssl_private_key_filepath = tls.key.c_str();
    if (!tls.ca.empty()) {
        // A CA means mutual TLS: clients must present a certificate it signed.
        vinfo.ssl_ca_filepath = tls.ca.c_str();
        vinfo.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
    }
    // No client-initiated TLS 1.2 renegotiation either: a CPU sink for a client that asks for
    // handshake after handshake, and a second "handshake done" on one connection.
    long disabled = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_RENEGOTIATION;
    if (tls.min_version == "1.3") {
        disabled |= SSL_OP_NO_TLSv1_2;
    }
    vinfo.ssl_options_set = disabled;
}

void on_inbox_event(struct ev_loop*, ev_async* watcher, int) {
    static_cast<Shard*>(watcher->data)->drain_inbox();
}

void on_listener_event(struct ev_loop*, ev_io* watcher, int) {
    auto* listener = static_cast<ShardListener*>(watcher->data);
    accept_connections(*listener, *listener->shard, listener->shard->node().log);
}

}  // namespace

bool Shard::setup() {
    if (loop_ == nullptr) {
        node_.log.error("shard {}: cannot create an epoll loop", index_);
        return false;
    }

    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV;
    void* foreign_loops[1] = {loop_};
    info.foreign_loops = foreign_loops;
    info.user = this;
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.fd_limit_per_thread = 0;
    context_ = lws_create_context(&info);
    if (context_ == nullptr) {
        node_.log.error("shard {}: lws_create_context failed", index_);
        return false;
    }
    watchers_->listeners.resize(listeners_.size());
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        ShardListener& listener = listeners_[i];
        lws_context_creation_info vinfo{};
        vinfo.port = CONTEXT_PORT_NO_LISTEN_SERVER;
        vinfo.vhost_name = listener.config.name.c_str();
        vinfo.user = &listener;
        vinfo.retry_and_idle_policy = &kNoValidityTimers;
        if (listener.config.tls) {
            configure_tls(vinfo, *listener.config.tls);
        }
        if (listener.config.protocol == config::ListenerProtocol::Ws) {
            vinfo.protocols = node_.websocket_protocols;
            // lws waits this long for a request's headers (an upgrade, an HTTP request) while
            // it holds a header table for the connection (10 s by default): a client that
            // trickles them (slowloris) is cut at limits.connect_timeout_ms, rounded up to
            // whole seconds, as the STOMP CONNECT is. Fixed when the vhost is made (start).
            const std::uint64_t timeout_ms = config_->limits.connect_timeout_ms;
            vinfo.timeout_secs_ah_idle =
                static_cast<int>(std::clamp<std::uint64_t>((timeout_ms + 999) / 1000, 1, 3600));
        } else {
            vinfo.protocols = node_.raw_protocols;
            if (listener.config.tls) {
                // LWS_CALLBACK_SSL_INFO when the handshake is done: see tls_handshake_done().
                vinfo.ssl_info_event_mask = SSL_CB_HANDSHAKE_DONE;
            }
        }
        listener.vhost = lws_create_vhost(context_, &vinfo);
        if (listener.vhost == nullptr) {
            node_.log.error("shard {}: cannot create vhost {}", index_, listener.config.name);
            return false;
        }
        ev_io& watcher = watchers_->listeners[i];
        ev_io_init(&watcher, on_listener_event, listener.fd, EV_READ);
        watcher.data = &listener;
        ev_io_start(loop_, &watcher);
    }
    if (is_home() && clustered()) {
        start_relay();
    }
    return true;
}

void Shard::reload_certificates() {
    // A renewed certificate (certbot) is picked up by new handshakes; open ones go on.
    for (const auto& listener : listeners_) {
        if (!listener.config.tls) {
            continue;
        }
        const auto& tls = *listener.config.tls;
        if (lws_tls_cert_updated(context_, tls.cert.c_str(), tls.key.c_str(), nullptr, 0, nullptr,
                                 0) != 0) {
            node_.log.error("{}: cannot reload the certificate {}", listener.config.name, tls.cert);
        }
    }
}

void Shard::teardown() {
    if (relay_) {
        relay_->stop();
        relay_.reset();
    }
    for (auto& watcher : watchers_->listeners) {
        ev_io_stop(loop_, &watcher);
    }
    sockjs_sessions_.clear();  // their timers are on the loop
    if (context_ != nullptr) {
        lws_context_destroy(context_);  // closes every wsi; CLOSED callbacks free connections
        context_ = nullptr;
    }
    connections_.clear();
    connection_count_ = 0;
    if (loop_ != nullptr) {
        {
            const std::lock_guard lock(inbox_mutex_);
            inbox_closed_ = true;
            inbox_.clear();
        }
        ev_async_stop(loop_, &watchers_->inbox);
        ev_prepare_stop(loop_, &watchers_->flush);
        ev_loop_destroy(loop_);
        loop_ = nullptr;
    }
}

// ---------------------------------------------------------------------------------------
// Connections

Connection* Shard::open_connection(lws* wsi, const ShardListener& listener,
                                   std::uint64_t sockjs_heartbeat_ms) {
    const std::uint64_t id = next_connection_id_++;
    const bool websocket = listener.config.protocol == config::ListenerProtocol::Ws;
    const bool anonymous = listener.config.anonymous.value_or(config_->auth.anonymous);
    auto connection =
        std::make_unique<Connection>(Connection::Where{*this, writes_, loop_, node_.log}, wsi,
                                     websocket, anonymous, id, sockjs_heartbeat_ms);
    Connection* raw = connection.get();
    connections_.emplace(id, std::move(connection));
    count_connections();
    if (draining_) {
        raw->session().fail(protocol::CloseReason::ServerShuttingDown, "the broker is draining");
    }
    return raw;
}

void Shard::close_connection(Connection* connection) {
    connections_.erase(connection->session().id());
    count_connections();
}

// lws 4.1.6 gives a raw TLS connection 5 s (PENDING_TIMEOUT_ESTABLISH_WITH_SERVER, the
// context's timeout_secs) once SSL_accept succeeds (lib/tls/tls-server.c,
// lws_server_socket_service_ssl), and nothing in the raw-skt role ever clears it: every
// stomp+ssl connection was closed 5 s after its handshake, however busy. WebSocket connections
// are not affected (the HTTP role clears it). The timeout is set after SSL_accept returns,
// that is after the SSL_INFO callback that calls this, so it is cleared at the end of the turn.
// From then on connect_timeout_ms and heart-beats govern, as on plain TCP.
void Shard::tls_handshake_done(Connection& connection) {
    handshaken_.push_back(connection.session().id());
}

void Shard::clear_handshake_timeouts() {
    for (const std::uint64_t id : handshaken_) {
        const auto it = connections_.find(id);
        if (it != connections_.end() && !it->second->lingering) {
            lws_set_timeout(it->second->wsi(), NO_PENDING_TIMEOUT, 0);
        }
    }
    handshaken_.clear();
}

// ---------------------------------------------------------------------------------------
// Inbox

bool Shard::post(InboxItem item) {
    const std::lock_guard lock(inbox_mutex_);
    if (inbox_closed_) {
        return false;  // stopping: the loop is gone (e.g. a queue message requeued at exit)
    }
    if (inbox_.size() >= max_inbox_items_.load(std::memory_order_relaxed) &&
        item.kind == InboxItem::Kind::Publish) {
        counters_.inbox_overflow.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    inbox_.push_back(std::move(item));
    // Under the lock, so teardown cannot destroy the loop between the check and the wake-up.
    if (!inbox_pending_.exchange(true)) {
        ev_async_send(loop_, &watchers_->inbox);
    }
    return true;
}

void Shard::drain_inbox() {
    inbox_pending_ = false;  // cleared before taking, so a post racing with us wakes us again
    std::deque<InboxItem> items;
    {
        const std::lock_guard lock(inbox_mutex_);
        items.swap(inbox_);
    }
    for (InboxItem& item : items) {
        // Nothing may escape into libev: one item's failure (bad_alloc copying a big message)
        // is logged and the others go on.
        try {
            if (!handle(item)) {
                return;  // Stop
            }
        } catch (const std::exception& e) {
            node_.log.error("shard {}: inbox item: {}", index_, e.what());
        }
    }
}

bool Shard::handle(InboxItem& item) {
    switch (item.kind) {
        case InboxItem::Kind::Publish:
            publisher_.deliver_from_shard(item.message, item.prefix_length);
            break;
        case InboxItem::Kind::QueueDeliver: {
            Session* session = find_session(item.session_id);
            if (session == nullptr || !session->deliver_queue(item.message, item.subscription_id)) {
                node_.queues.requeue(item.message);
            }
            break;
        }
        case InboxItem::Kind::RelayPublish:
            if (relay_) {
                relay_->publish(item.message);
            }
            break;
        case InboxItem::Kind::RelayDeliver:
            publisher_.deliver_relayed(item.message, item.glob);
            break;
        case InboxItem::Kind::Run:
            item.task(*this);
            break;
        case InboxItem::Kind::Reload:
            config_ = std::move(item.config);
            security_ = std::move(item.security);
            max_inbox_items_ = config_->limits.max_inbox_items;
            writes_.set_max_batch_bytes(config_->limits.write_batch_bytes);
            reload_certificates();
            for_each_session([](Session& session) {
                session.apply_config();
                session.on_security_reloaded();
            });
            break;
        case InboxItem::Kind::Drain:
            begin_drain();
            break;
        case InboxItem::Kind::Stop:
            ev_break(loop_, EVBREAK_ALL);
            return false;
    }
    return true;
}

void Shard::begin_drain() {
    draining_ = true;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        // TCP stops accepting; a ws listener keeps answering HTTP (/health says 503) and
        // refuses new STOMP sessions.
        if (listeners_[i].config.protocol == config::ListenerProtocol::Tcp) {
            ev_io_stop(loop_, &watchers_->listeners[i]);
        }
    }
    for_each_session([](Session& session) {
        session.fail(protocol::CloseReason::ServerShuttingDown, "the broker is draining");
    });
}

// ---------------------------------------------------------------------------------------
// ShardServices

const std::string& Shard::node_id() const { return node_.node_id; }

void Shard::audit(std::string_view line) { node_.log.info("audit: {}", line); }

QueueManager& Shard::queues() { return node_.queues; }
rooms::RoomRegistry& Shard::rooms() { return node_.rooms; }

std::string Shard::make_message_id() {
    // Unique per node; with a cluster the node id keeps ids unique across nodes too.
    if (clustered()) {
        return fmt::format("{}/{}-{}", node_.node_id, index_, next_message_id_++);
    }
    return fmt::format("{}-{}", index_, next_message_id_++);
}

std::uint64_t Shard::track_http(lws* wsi) {
    const std::uint64_t request = next_http_id_++;
    http_wsis_[request] = wsi;
    return request;
}

Session* Shard::find_session(std::uint64_t id) {
    const auto it = connections_.find(id);
    return it != connections_.end() ? &it->second->session() : sockjs_sessions_.find_session(id);
}

void Shard::run_on(unsigned index, std::function<void(Shard&)> task) {
    if (index >= node_.shards.size()) {
        return;
    }
    InboxItem item;
    item.kind = InboxItem::Kind::Run;
    item.task = std::move(task);
    node_.shards[index]->post(std::move(item));
}

void Shard::relay(const protocol::MessagePtr& message) {
    if (!clustered()) {
        return;
    }
    if (relay_) {
        relay_->publish(message);
        return;
    }
    InboxItem item;
    item.kind = InboxItem::Kind::RelayPublish;
    item.message = message;
    node_.shards.front()->post(std::move(item));
}

void Shard::post_to_every_shard(const protocol::MessagePtr& message, std::size_t prefix_length) {
    for (auto& shard : node_.shards) {
        InboxItem item;
        item.kind = InboxItem::Kind::Publish;
        item.message = message;
        item.prefix_length = prefix_length;
        shard->post(std::move(item));
    }
}

void Shard::post_to_other_shards(const protocol::MessagePtr& message, std::size_t prefix_length) {
    for (auto& shard : node_.shards) {
        if (shard.get() != this) {
            InboxItem item;
            item.kind = InboxItem::Kind::Publish;
            item.message = message;
            item.prefix_length = prefix_length;
            shard->post(std::move(item));
        }
    }
}

GateRefusal Shard::admit_connection(const std::string& ip, bool& counted) {
    // A trusted proxy's connections are its many clients: only the node total counts them.
    counted = !is_trusted_proxy(ip, config_->auth.trusted_proxies);
    const auto& limits = config_->limits;
    return node_.gate.admit(ip, counted, limits.max_connections, limits.max_connections_per_ip);
}

void Shard::track_connection(lws* wsi, const std::string& ip, bool counted) {
    gate_slots_.emplace(wsi, std::make_pair(ip, counted));
}

void Shard::release_connection(const std::string& ip, bool counted) {
    node_.gate.release(ip, counted);
}

void Shard::forget_connection(lws* wsi) noexcept {
    try {
        if (const auto it = gate_slots_.find(wsi); it != gate_slots_.end()) {
            node_.gate.release(it->second.first, it->second.second);
            gate_slots_.erase(it);
        }
    } catch (...) {  // a C callback: nothing may escape
    }
}

FailureTracker& Shard::failures() { return node_.failures; }

bool Shard::run_on_worker(std::function<void()> task) {
    return node_.worker.submit(std::move(task));
}

void Shard::run_on_shard(std::function<void()> done) {
    InboxItem item;
    item.kind = InboxItem::Kind::Run;
    item.task = [done = std::move(done)](Shard&) { done(); };
    post(std::move(item));
}

bool Shard::post_to_shard(unsigned index, std::function<void(ShardServices&)> task) {
    if (index >= node_.shards.size()) {
        return false;
    }
    InboxItem item;
    item.kind = InboxItem::Kind::Run;
    item.task = [task = std::move(task)](Shard& shard) { task(shard); };
    node_.shards[index]->post(std::move(item));
    return true;
}

}  // namespace stampede::broker
