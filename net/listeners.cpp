// See listeners.hpp.
#include "net/listeners.hpp"

#include <arpa/inet.h>
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

}  // namespace

void accept_connections(ShardListener& listener, Logger& log) {
    while (true) {
        const int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                log.warn("accept on {}: {}", listener.config.name, std::strerror(errno));
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
            note_refused(listener, log);
        }
    }
}

}  // namespace stampede::broker
