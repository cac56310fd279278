// Shard: thread, libev loop, lws context, inbox, connection registry, local fan-out.
// Everything here runs on the shard thread except post(), start() and join().
#include "broker/shard.hpp"

#include <ev.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "broker/http_api.hpp"
#include "broker/lws_glue.hpp"
#include "broker/relay.hpp"
#include "broker/server.hpp"
#include "protocol/destination.hpp"

namespace stampede::broker {

namespace {
// Dead peers are found by the kernel's TCP keepalive (idle 300 s, then 3 probes 10 s apart),
// which is what lws's own "validity" pings every 300 s gave, without its cost: lws keeps
// those per-connection timers in one sorted list, so every new WebSocket connection walked
// all the others (58% of a shard's CPU while 19,000 clients connected, O(n^2) for a
// reconnect storm). Live-but-stuck clients are the STOMP heart-beat's job.
constexpr int kKeepaliveIdleS = 300;
constexpr int kKeepaliveIntervalS = 10;
constexpr int kKeepaliveProbes = 3;

// secs_since_valid_hangup == 0: lws arms no validity timer on any connection.
const lws_retry_bo_t kNoValidityTimers = {};

void set_socket_options(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleS, sizeof kKeepaliveIdleS);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalS, sizeof kKeepaliveIntervalS);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof kKeepaliveProbes);
}
}  // namespace

struct ConnectionTimer {
    ev_timer watcher;
};

struct ShardWatchers {
    ev_async inbox;
    ev_prepare flush;  // runs when the loop is about to wait: write what this turn queued
    std::vector<ev_io> listeners;
};

// ---------------------------------------------------------------------------------------
// Connection

namespace {

// Behind a trusted reverse proxy the client is the right-most X-Forwarded-For entry that is
// not itself a trusted proxy (entries further left are whatever the client claimed).
std::optional<std::string> forwarded_client(lws* wsi, const std::vector<std::string>& trusted) {
    char header[1024];
    const int length = lws_hdr_copy(wsi, header, sizeof header, WSI_TOKEN_X_FORWARDED_FOR);
    if (length <= 0) {
        return std::nullopt;
    }
    std::string_view rest(header, static_cast<std::size_t>(length));
    while (!rest.empty()) {
        const auto comma = rest.rfind(',');
        std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        while (!entry.empty() && entry.front() == ' ') {
            entry.remove_prefix(1);
        }
        while (!entry.empty() && entry.back() == ' ') {
            entry.remove_suffix(1);
        }
        if (!entry.empty() && !is_trusted_proxy(entry, trusted)) {
            return std::string(entry);
        }
    }
    return std::nullopt;
}

}  // namespace

std::string client_address(lws* wsi, bool http, const std::vector<std::string>& trusted_proxies) {
    char address[128] = "";
    lws_get_peer_simple(wsi, address, sizeof address);
    std::string peer = address;
    if (http && is_trusted_proxy(peer, trusted_proxies)) {
        peer = forwarded_client(wsi, trusted_proxies).value_or(peer);
    }
    return peer;
}

Connection::Connection(Shard& shard, lws* wsi, const ShardListener& listener, std::uint64_t id)
    : shard_(shard),
      wsi_(wsi),
      websocket_(listener.config.protocol == config::ListenerProtocol::Ws),
      timer_(std::make_unique<ConnectionTimer>()) {
    peer_ = client_address(wsi, websocket_, shard.config().auth.trusted_proxies);
    ev_timer_init(
        &timer_->watcher,
        reinterpret_cast<void (*)(struct ev_loop*, ev_timer*, int)>(&Connection::on_timer_event),
        0., 0.);
    timer_->watcher.data = this;
    const bool anonymous = listener.config.anonymous.value_or(shard.config().auth.anonymous);
    session_ = std::make_unique<Session>(id, shard, *this, anonymous);
}

Connection::~Connection() {
    ev_timer_stop(shard_.loop(), &timer_->watcher);
    session_.reset();
}

void Connection::request_write() {
    if (!flush_queued) {
        flush_queued = true;
        shard_.mark_dirty(*this);
    }
}

void Connection::schedule_timer(std::uint32_t delay_ms) {
    ev_timer_stop(shard_.loop(), &timer_->watcher);
    ev_timer_set(&timer_->watcher, delay_ms / 1000.0, 0.);
    ev_timer_start(shard_.loop(), &timer_->watcher);
}

void Connection::on_timer_event(struct ev_loop*, void* watcher, int) {
    auto* self = static_cast<Connection*>(static_cast<ev_timer*>(watcher)->data);
    try {
        self->session_->on_timer();
    } catch (const std::exception& e) {
        self->shard_.server().log().error("heart-beat timer: {}", e.what());
    }
}

// ---------------------------------------------------------------------------------------
// Shard lifecycle

namespace {
void on_inbox_event(struct ev_loop*, ev_async* watcher, int);
}  // namespace

Shard::Shard(unsigned index, Server& server, config::ConfigPtr config, SecurityPtr security,
             std::vector<ShardListener> listeners)
    : index_(index),
      server_(server),
      config_(std::move(config)),
      security_(std::move(security)),
      listeners_(std::move(listeners)),
      watchers_(std::make_unique<ShardWatchers>()) {
    max_inbox_items_ = config_->limits.max_inbox_items;
    for (auto& listener : listeners_) {
        listener.shard = this;
    }
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
            shard->flush_dirty();
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
    listener->shard->accept_ready(*listener);
}

}  // namespace

bool Shard::setup() {
    if (loop_ == nullptr) {
        server_.log().error("shard {}: cannot create an epoll loop", index_);
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
        server_.log().error("shard {}: lws_create_context failed", index_);
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
            vinfo.protocols = websocket_protocols();
        } else {
            vinfo.protocols = raw_protocols();
            if (listener.config.tls) {
                // LWS_CALLBACK_SSL_INFO when the handshake is done: see tls_handshake_done().
                vinfo.ssl_info_event_mask = SSL_CB_HANDSHAKE_DONE;
            }
        }
        listener.vhost = lws_create_vhost(context_, &vinfo);
        if (listener.vhost == nullptr) {
            server_.log().error("shard {}: cannot create vhost {}", index_, listener.config.name);
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
            server_.log().error("{}: cannot reload the certificate {}", listener.config.name,
                                tls.cert);
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
// Accepting

void Shard::note_refused(ShardListener& listener) {
    constexpr std::int64_t kIntervalS = 10;
    ++listener.refused;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    if (listener.refused_logged_at != 0 && now - listener.refused_logged_at < kIntervalS) {
        return;
    }
    server_.log().warn(
        "{}: {} connection(s) refused before any STOMP (TLS handshake or lws "
        "adoption failed){}",
        listener.config.name, listener.refused,
        listener.refused_logged_at == 0 ? "" : " since the last report");
    listener.refused = 0;
    listener.refused_logged_at = now;
}

void Shard::accept_ready(ShardListener& listener) {
    while (true) {
        const int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                server_.log().warn("accept on {}: {}", listener.config.name, std::strerror(errno));
            }
            return;
        }
        set_socket_options(fd);
        lws* wsi = nullptr;
        if (listener.config.protocol == config::ListenerProtocol::Ws) {
            wsi = lws_adopt_socket_vhost(listener.vhost, fd);
        } else {
            lws_sock_file_fd_type descriptor{};
            descriptor.sockfd = fd;
            const int tls = listener.config.tls ? LWS_ADOPT_ALLOW_SSL : 0;
            wsi = lws_adopt_descriptor_vhost(listener.vhost,
                                             static_cast<lws_adoption_type>(LWS_ADOPT_SOCKET | tls),
                                             descriptor, "stomp-raw", nullptr);
        }
        if (wsi == nullptr) {
            note_refused(listener);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Connections

Connection* Shard::open_connection(lws* wsi, const ShardListener& listener) {
    const std::uint64_t id = next_connection_id_++;
    auto connection = std::make_unique<Connection>(*this, wsi, listener, id);
    Connection* raw = connection.get();
    connections_.emplace(id, std::move(connection));
    connection_count_ = connections_.size();
    if (draining_) {
        raw->session().fail("server shutting down", "the broker is draining");
    }
    return raw;
}

void Shard::close_connection(Connection* connection) {
    connections_.erase(connection->session().id());
    connection_count_ = connections_.size();
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

void Shard::mark_dirty(Connection& connection) { dirty_.push_back(connection.session().id()); }

// Every connection that got something to send during this loop turn is written now, once,
// with all it got: no POLLOUT round trip through epoll (two epoll_ctl and a wake-up per
// delivery), and every message of the turn in one write. lws_write outside WRITEABLE is safe
// here: a connection whose earlier write was partial (lws still holds bytes) waits for
// WRITEABLE instead, so order is kept.
void Shard::flush_dirty() {
    flushing_.swap(dirty_);
    for (const std::uint64_t id : flushing_) {
        const auto it = connections_.find(id);
        if (it == connections_.end()) {
            continue;  // closed since it asked
        }
        Connection& connection = *it->second;
        connection.flush_queued = false;
        lws* wsi = connection.wsi();
        if (lws_partial_buffered(wsi) || connection.lingering) {
            lws_callback_on_writable(wsi);
        } else if (write_pending(connection, false) < 0) {
            lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        }
    }
    flushing_.clear();
    // Those that asked again while being written (a backlog over one batch) wait for the
    // socket to take more: the loop is about to block and epoll will say when.
    for (const std::uint64_t id : dirty_) {
        if (const auto it = connections_.find(id); it != connections_.end()) {
            it->second->flush_queued = false;
            lws_callback_on_writable(it->second->wsi());
        }
    }
    dirty_.clear();
}

int Shard::write_pending(Connection& connection, bool in_writeable) {
    Session& session = connection.session();
    write_scratch_.assign(LWS_PRE, '\0');
    const Session::Batch batch =
        session.drain_into(write_scratch_, config_->limits.write_batch_bytes);
    lws* wsi = connection.wsi();
    if (batch.bytes > 0) {
        const auto mode = !connection.websocket() ? LWS_WRITE_RAW
                          : batch.binary          ? LWS_WRITE_BINARY
                                                  : LWS_WRITE_TEXT;
        auto* data = reinterpret_cast<unsigned char*>(write_scratch_.data()) + LWS_PRE;
        if (lws_write(wsi, data, batch.bytes, mode) < static_cast<int>(batch.bytes)) {
            return -1;
        }
        counters_.messages_out.fetch_add(batch.messages, std::memory_order_relaxed);
    }
    if (!batch.close_after) {
        return 0;
    }
    if (!in_writeable) {
        lws_callback_on_writable(wsi);  // closing happens in WRITEABLE, where -1 closes
        return 0;
    }
    if (lws_partial_buffered(wsi)) {
        lws_callback_on_writable(wsi);  // close once lws has sent what it still holds
        return 0;
    }
    if (connection.websocket()) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
    }
    if (!connection.lingering) {
        // Half-close so the ERROR reaches the client even if it is still sending: closing a
        // socket with unread input would reset the connection and could lose the ERROR.
        connection.lingering = true;
        ::shutdown(lws_get_socket_fd(wsi), SHUT_WR);
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
        return 0;
    }
    return 0;
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
        switch (item.kind) {
            case InboxItem::Kind::Publish: {
                const std::string_view destination = item.message->destination;
                deliver_local(item.message, destination.substr(0, item.prefix_length),
                              destination.substr(item.prefix_length));
                break;
            }
            case InboxItem::Kind::QueueDeliver: {
                const auto it = connections_.find(item.session_id);
                if (it == connections_.end() ||
                    !it->second->session().deliver_queue(item.message, item.subscription_id)) {
                    server_.queues().requeue(item.message);
                }
                break;
            }
            case InboxItem::Kind::RelayPublish:
                if (relay_) {
                    relay_->publish(item.message);
                }
                break;
            case InboxItem::Kind::RelayDeliver:
                deliver_relayed(item.message, item.glob, item.all);
                break;
            case InboxItem::Kind::Run:
                item.task(*this);
                break;
            case InboxItem::Kind::Reload:
                config_ = std::move(item.config);
                security_ = std::move(item.security);
                max_inbox_items_ = config_->limits.max_inbox_items;
                reload_certificates();
                for (auto& [id, connection] : connections_) {
                    connection->session().apply_config();
                    connection->session().on_security_reloaded();
                }
                break;
            case InboxItem::Kind::Drain:
                begin_drain();
                break;
            case InboxItem::Kind::Stop:
                ev_break(loop_, EVBREAK_ALL);
                return;
        }
    }
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
    for (auto& [id, connection] : connections_) {
        connection->session().fail("server shutting down", "the broker is draining");
    }
}

// ---------------------------------------------------------------------------------------
// SessionHost

const std::string& Shard::node_id() const { return server_.node_id(); }

QueueManager& Shard::queues() { return server_.queues(); }

std::string Shard::make_message_id() {
    // Unique per node; with a cluster the node id keeps ids unique across nodes too.
    if (clustered()) {
        return fmt::format("{}/{}-{}", server_.node_id(), index_, next_message_id_++);
    }
    return fmt::format("{}-{}", index_, next_message_id_++);
}

void Shard::deliver_local(const protocol::MessagePtr& message, std::string_view prefix,
                          std::string_view name) {
    match_scratch_.clear();
    router_.match(prefix, name, match_scratch_);
    if (match_scratch_.empty()) {
        return;
    }
    const LocalMessage local(message);  // one shared reference for every delivery here
    for (Subscription* sub : match_scratch_) {
        sub->session->deliver_topic(local, *sub);
    }
}

void Shard::publish_topic(const protocol::MessagePtr& message, std::string_view prefix,
                          std::string_view name) {
    deliver_local(message, prefix, name);
    if (clustered()) {
        if (relay_) {
            relay_->publish(message);
        } else {
            InboxItem item;
            item.kind = InboxItem::Kind::RelayPublish;
            item.message = message;
            server_.shards().front()->post(std::move(item));
        }
    }
    for (auto& shard : server_.shards()) {
        if (shard.get() != this) {
            InboxItem item;
            item.kind = InboxItem::Kind::Publish;
            item.message = message;
            item.prefix_length = prefix.size();
            shard->post(std::move(item));
        }
    }
}

}  // namespace stampede::broker
