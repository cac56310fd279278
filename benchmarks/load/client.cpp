// Conn: one STOMP connection over WebSocket or TCP (the Worker is in worker.cpp).
#include "client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>

#include "payload.hpp"
#include "proc_stats.hpp"

namespace stampede::bench {
namespace {

constexpr std::size_t kMaxHttpHead = 16 * 1024;
constexpr std::size_t kMaxOutBytes = 4u << 20;  // stop publishing while this is unsent
constexpr std::size_t kMaxErrors = 8;

}  // namespace

std::optional<Endpoint> parse_url(std::string_view url, std::string& error) {
    Endpoint endpoint;
    std::string_view rest;
    if (url.substr(0, 5) == "ws://") {
        endpoint.websocket = true;
        rest = url.substr(5);
    } else if (url.substr(0, 6) == "tcp://") {
        endpoint.websocket = false;
        rest = url.substr(6);
    } else {
        error = "URL must start with ws:// or tcp:// (wss is not supported): " + std::string(url);
        return std::nullopt;
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        endpoint.path = std::string(rest.substr(slash));
    }
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        error = "URL needs a port: " + std::string(url);
        return std::nullopt;
    }
    endpoint.host = std::string(authority.substr(0, colon));
    const auto port = parse_decimal(authority.substr(colon + 1));
    if (!port || *port == 0 || *port > 65535) {
        error = "bad port in " + std::string(url);
        return std::nullopt;
    }
    endpoint.port = static_cast<std::uint16_t>(*port);
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(endpoint.host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
        error = "cannot resolve " + endpoint.host;
        return std::nullopt;
    }
    std::memcpy(&endpoint.address, found->ai_addr, sizeof(sockaddr_in));
    freeaddrinfo(found);
    endpoint.address.sin_port = htons(endpoint.port);
    return endpoint;
}

void WorkerStats::note_error(std::string text) {
    if (errors.size() < kMaxErrors &&
        std::find(errors.begin(), errors.end(), text) == errors.end()) {
        errors.push_back(std::move(text));
    }
}

// ---------------------------------------------------------------------------------------
// Conn

Conn::Conn(Worker& worker, ConnPlan plan) : worker_(worker), plan_(std::move(plan)) {}

Conn::~Conn() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool Conn::start() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        worker_.stats_.note_error(std::string("socket: ") + std::strerror(errno));
        close("", false);
        return false;
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (plan_.source_ip != 0) {
        // Defer the port choice to connect() so each source address gets its own port range.
        ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in source{};
        source.sin_family = AF_INET;
        source.sin_addr.s_addr = htonl(plan_.source_ip);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
            worker_.stats_.note_error(std::string("bind: ") + std::strerror(errno));
            close("", false);
            return false;
        }
    }
    const sockaddr_in& target = plan_.endpoint->address;
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 &&
        errno != EINPROGRESS) {
        worker_.stats_.note_error(std::string("connect: ") + std::strerror(errno));
        close("", false);
        return false;
    }
    state_ = State::Connecting;
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.ptr = this;
    ::epoll_ctl(worker_.epoll_fd(), EPOLL_CTL_ADD, fd_, &event);
    return true;
}

void Conn::update_interest() {
    epoll_event event{};
    event.events = EPOLLIN | (want_write_ ? EPOLLOUT : 0u);
    event.data.ptr = this;
    ::epoll_ctl(worker_.epoll_fd(), EPOLL_CTL_MOD, fd_, &event);
}

void Conn::on_event(std::uint32_t events) {
    if (state_ == State::Closed) {
        return;
    }
    if (state_ == State::Connecting) {
        on_connected_socket();
        return;
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        on_readable();
    }
    if ((events & EPOLLOUT) != 0 && state_ != State::Closed) {
        flush();
    }
}

void Conn::on_connected_socket() {
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
        worker_.stats_.note_error(std::string("connect: ") + std::strerror(error));
        close("", false);
        return;
    }
    want_write_ = false;
    update_interest();
    if (plan_.endpoint->websocket) {
        state_ = State::Upgrading;
        ws_key_ = make_websocket_key();
        out_ += make_upgrade_request(plan_.endpoint->host, plan_.endpoint->port,
                                     plan_.endpoint->path, ws_key_, worker_.run().subprotocol);
        worker_.mark_dirty(*this);
    } else {
        state_ = State::StompConnecting;
        send_stomp(connect_frame(worker_.run().vhost, worker_.run().login, worker_.run().passcode));
    }
}

void Conn::on_readable() {
    char* buffer = worker_.read_buffer();
    const ssize_t got = ::read(fd_, buffer, Worker::kReadBufferBytes);
    if (got > 0) {
        worker_.receive_time_ = now_ns();
        on_bytes(std::string_view(buffer, static_cast<std::size_t>(got)));
        return;
    }
    if (got == 0) {
        close("connection closed by the broker", true);
    } else if (errno != EAGAIN && errno != EINTR) {
        close(std::string("read: ") + std::strerror(errno), true);
    }
}

void Conn::on_bytes(std::string_view bytes) {
    if (state_ == State::Upgrading) {
        http_head_.append(bytes);
        const auto end = http_head_.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (http_head_.size() > kMaxHttpHead) {
                close("HTTP response head too large", true);
            }
            return;
        }
        const std::string problem =
            check_upgrade_response(std::string_view(http_head_).substr(0, end + 4), ws_key_);
        if (!problem.empty()) {
            close(problem, true);
            return;
        }
        const std::string rest = http_head_.substr(end + 4);
        http_head_.clear();
        http_head_.shrink_to_fit();
        state_ = State::StompConnecting;
        send_stomp(connect_frame(worker_.run().vhost, worker_.run().login, worker_.run().passcode));
        if (!rest.empty()) {
            on_bytes(rest);
        }
        return;
    }
    if (plan_.endpoint->websocket) {
        if (!ws_.feed(bytes, *this)) {
            close("WebSocket: " + ws_.error(), true);
        }
    } else if (!stomp_.feed(bytes, *this)) {
        close("STOMP: " + stomp_.error(), true);
    }
}

void Conn::on_ws_data(std::string_view piece) {
    if (state_ != State::Closed && !stomp_.feed(piece, *this)) {
        close("STOMP: " + stomp_.error(), true);
    }
}

void Conn::on_ws_control(WsOpcode opcode, std::string_view payload) {
    if (opcode == WsOpcode::Ping) {
        append_client_frame(out_, WsOpcode::Pong, payload, worker_.next_mask());
        worker_.mark_dirty(*this);
    } else if (opcode == WsOpcode::Close) {
        std::string why = "WebSocket close";
        if (payload.size() >= 2) {
            const int code = (static_cast<unsigned char>(payload[0]) << 8) |
                             static_cast<unsigned char>(payload[1]);
            why.append(" ").append(std::to_string(code));
            if (payload.size() > 2) {
                why.append(" ").append(payload.substr(2));
            }
        }
        append_client_frame(out_, WsOpcode::Close, payload.substr(0, 2), worker_.next_mask());
        flush();
        close(why, true);
    }
}

void Conn::send_stomp(std::string_view frame) {
    if (plan_.endpoint->websocket) {
        append_client_frame(out_, WsOpcode::Text, frame, worker_.next_mask());
    } else {
        out_.append(frame);
    }
    worker_.mark_dirty(*this);
}

void Conn::on_stomp_frame(const StompFrame& frame) {
    if (state_ == State::Closed) {
        return;
    }
    if (frame.command == "MESSAGE") {
        on_message(frame);
        return;
    }
    if (frame.command == "CONNECTED") {
        const Run& run = worker_.run();
        switch (plan_.role) {
            case Role::Publisher:
                became_ready();
                return;
            case Role::Subscriber:
                state_ = State::Subscribing;
                send_stomp(
                    subscribe_frame(plan_.group->destination, "sub-0", "auto", "subscribed", 0));
                return;
            case Role::Consumer: {
                state_ = State::Subscribing;
                const auto prefetch = static_cast<std::uint32_t>(std::max<std::size_t>(
                    1, run.window.load() / std::max<std::size_t>(1, plan_.group->receivers)));
                send_stomp(subscribe_frame(plan_.group->destination, "sub-0", "client-individual",
                                           "subscribed", prefetch));
                return;
            }
            case Role::Idle:
                if (plan_.destination.empty()) {
                    became_ready();
                } else {
                    state_ = State::Subscribing;
                    send_stomp(
                        subscribe_frame(plan_.destination, "sub-0", "auto", "subscribed", 0));
                }
                return;
        }
        return;
    }
    if (frame.command == "RECEIPT") {
        if (state_ == State::Subscribing) {
            became_ready();
        }
        return;
    }
    if (frame.command == "ERROR") {
        const auto message = frame.header("message");
        std::string text = "ERROR frame: " + std::string(message.value_or("(no message header)"));
        close(text, true);
        return;
    }
}

void Conn::became_ready() {
    state_ = State::Ready;
    --worker_.connecting_;
    worker_.run().ready.fetch_add(1, std::memory_order_relaxed);
    if (plan_.role == Role::Publisher) {
        body_ = make_padding_body(worker_.run().payload);
        send_head_.clear();
        append_send_head(send_head_, plan_.group->destination, body_.size());
    }
}

void Conn::on_message(const StompFrame& frame) {
    WorkerStats& stats = worker_.stats_;
    const auto stamp = read_stamp(frame.body);
    if (!stamp) {
        ++stats.bad_bodies;
        return;
    }
    ++stats.delivered;
    const std::uint64_t received_at = worker_.receive_time_;
    if (stamp->sent_ns >= worker_.window_start_ && stamp->sent_ns < worker_.window_end_) {
        ++stats.delivered_window;
        stats.latency.record(received_at > stamp->sent_ns ? received_at - stamp->sent_ns : 0);
    }
    Group* group = plan_.group;
    if (group == nullptr) {
        return;  // an idle connection got a message: counted as delivered only
    }
    if (plan_.role == Role::Consumer) {
        const std::uint64_t sequence = stamp->sequence;
        if (sequence / 64 < group->seen_words) {
            const std::uint64_t bit = std::uint64_t{1} << (sequence % 64);
            const std::uint64_t before =
                group->seen[sequence / 64].fetch_or(bit, std::memory_order_relaxed);
            if ((before & bit) != 0) {
                ++stats.duplicated;
            }
        }
        const auto ack = frame.header("ack");
        const auto id = ack ? ack : frame.header("message-id");
        if (id) {
            const std::string ack_text = ack_frame(*id);
            send_stomp(ack_text);
        }
        group->acked.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::uint64_t sequence = stamp->sequence;
    if (sequence == next_sequence_) {
        ++next_sequence_;
    } else if (sequence > next_sequence_) {
        stats.lost_gaps += sequence - next_sequence_;
        next_sequence_ = sequence + 1;
    } else {
        ++stats.duplicated;  // topics keep per-publisher order: an old number is a repeat
        return;
    }
    ++received_;
    group->received[plan_.member].store(next_sequence_, std::memory_order_relaxed);
}

bool Conn::publish(std::uint64_t now, std::size_t count) {
    if (state_ != State::Ready || out_.size() - out_offset_ > kMaxOutBytes) {
        return false;
    }
    const bool websocket = plan_.endpoint->websocket;
    const std::size_t frame_size = send_head_.size() + body_.size() + 1;
    const bool in_window = now >= worker_.window_start_ && now < worker_.window_end_;
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t mask = 0;
        std::size_t payload_start = 0;
        if (websocket) {
            mask = worker_.next_mask();
            payload_start = begin_client_frame(out_, WsOpcode::Text, frame_size, mask);
        }
        out_.append(send_head_);
        const std::size_t body_at = out_.size();
        out_.append(body_);
        write_stamp(out_.data() + body_at, Stamp{now, plan_.group->publisher_id, sent_});
        out_.push_back('\0');
        if (websocket) {
            finish_client_frame(out_, payload_start, mask);
        }
        ++sent_;
    }
    if (in_window) {
        worker_.stats_.published_window += count;
    }
    plan_.group->published.store(sent_, std::memory_order_release);
    worker_.mark_dirty(*this);
    return true;
}

void Conn::flush() {
    while (out_offset_ < out_.size()) {
        const ssize_t wrote =
            ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
        if (wrote > 0) {
            out_offset_ += static_cast<std::size_t>(wrote);
            continue;
        }
        if (wrote < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!want_write_) {
                want_write_ = true;
                update_interest();
            }
            return;
        }
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        close(std::string("write: ") + std::strerror(errno), true);
        return;
    }
    out_.clear();
    out_offset_ = 0;
    if (want_write_) {
        want_write_ = false;
        update_interest();
    }
}

void Conn::close(std::string_view why, bool counted) {
    if (state_ == State::Closed) {
        return;
    }
    const bool was_ready = state_ == State::Ready;
    const bool started = state_ != State::Idle;
    state_ = State::Closed;
    if (fd_ >= 0) {
        ::epoll_ctl(worker_.epoll_fd(), EPOLL_CTL_DEL, fd_, nullptr);
        ::close(fd_);
        fd_ = -1;
    }
    // Once the run is over, sockets going away are the end of the test, not a failure.
    if (counted && !why.empty() &&
        worker_.run().phase.load(std::memory_order_relaxed) != Phase::Done) {
        worker_.stats_.note_error(std::string(why));
    }
    if (started) {
        worker_.connection_ended(*this, was_ready);
    } else {
        worker_.run().failed.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace stampede::bench
