// See listeners.hpp.
#include "net/listeners.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/log.hpp"
#include "net/connection_gate.hpp"
#include "protocol/close_reason.hpp"

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

void set_socket_options(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleS, sizeof kKeepaliveIdleS);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalS, sizeof kKeepaliveIntervalS);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof kKeepaliveProbes);
}

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

}  // namespace

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

namespace {

void note_refused(ShardListener& listener, Logger& log) {
    constexpr std::int64_t kIntervalS = 10;
    ++listener.refused;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    if (listener.refused_logged_at != 0 && now - listener.refused_logged_at < kIntervalS) {
        return;
    }
    log.warn(
        "{}: {} connection(s) refused before any STOMP (TLS handshake or lws "
        "adoption failed){}",
        listener.config.name, listener.refused,
        listener.refused_logged_at == 0 ? "" : " since the last report");
    listener.refused = 0;
    listener.refused_logged_at = now;
}

std::string address_text(const sockaddr_storage& peer) {
    char text[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(peer);
        // An IPv4 client on a dual-stack socket counts under its IPv4 address.
        if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
            ::inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text, sizeof text);
        } else {
            ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        }
    } else if (peer.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, text,
                    sizeof text);
    }
    return text;
}

// Over limits.max_connections or max_connections_per_ip: the client learns why, in its own
// protocol when the listener speaks it in the clear (a TLS listener cannot answer before a
// handshake, so the socket is just closed), and nothing of the node is spent on it.
void refuse_connection(int fd, ShardListener& listener, GateRefusal refusal, Logger& log) {
    const std::string detail = refusal == GateRefusal::NodeFull
                                   ? "this node holds limits.max_connections connections"
                                   : "this address holds limits.max_connections_per_ip "
                                     "connections";
    std::string answer;
    if (!listener.config.tls) {
        if (listener.config.protocol == config::ListenerProtocol::Ws) {
            answer = fmt::format(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                "Content-Length: {}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{}",
                detail.size(), detail);
        } else {
            answer =
                fmt::format("ERROR\nmessage:{}\ncontent-type:text/plain\ncontent-length:{}\n\n{}",
                            protocol::close_reason_text(protocol::CloseReason::TooManyConnections),
                            detail.size(), detail);
            answer.push_back('\0');
        }
        // Best effort on a fresh socket: its send buffer is empty, so this does not block.
        [[maybe_unused]] const auto sent = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
    listener.refused_limit += 1;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    if (listener.refused_limit_logged_at == 0 || now - listener.refused_limit_logged_at >= 10) {
        log.warn("{}: {} connection(s) refused: {}", listener.config.name, listener.refused_limit,
                 detail);
        listener.refused_limit = 0;
        listener.refused_limit_logged_at = now;
    }
}

}  // namespace

void accept_connections(ShardListener& listener, ConnectionSlots& slots, Logger& log) {
    while (true) {
        sockaddr_storage peer{};
        socklen_t peer_length = sizeof peer;
        const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                log.warn("accept on {}: {}", listener.config.name, std::strerror(errno));
            }
            return;
        }
        const std::string ip = address_text(peer);
        bool counted = false;
        if (const GateRefusal refusal = slots.admit_connection(ip, counted);
            refusal != GateRefusal::None) {
            refuse_connection(fd, listener, refusal, log);
            continue;
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
            slots.release_connection(ip, counted);
            note_refused(listener, log);
        } else {
            slots.track_connection(wsi, ip, counted);
        }
    }
}

}  // namespace stampede::broker
