// Blocking HTTP(S) GET and POST over a plain socket or an OpenSSL connection, one request per
// connection. Any thread but a shard.
#include "auth/http_fetch.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>

namespace stampede::auth {
namespace {

using Clock = std::chrono::steady_clock;

struct Url {
    bool tls = false;
    std::string host;
    std::string port;
    std::string path = "/";
};

std::optional<Url> parse_url(std::string_view text) {
    Url url;
    if (text.starts_with("https://")) {
        url.tls = true;
        text.remove_prefix(8);
    } else if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    const auto slash = text.find('/');
    if (slash != std::string_view::npos) {
        url.path = std::string(text.substr(slash));
        text = text.substr(0, slash);
    }
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(']') == std::string_view::npos) {
        url.port = std::string(text.substr(colon + 1));
        text = text.substr(0, colon);
    }
    url.host = std::string(text);
    if (url.port.empty()) {
        url.port = url.tls ? "443" : "80";
    }
    return url.host.empty() ? std::nullopt : std::optional(url);
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Non-blocking connect bounded by the deadline; the socket is left blocking with timeouts.
int connect_socket(const Url& url, Clock::time_point deadline, std::string& error) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found); rc != 0) {
        error = gai_strerror(rc);
        return -1;
    }
    int fd = -1;
    for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            error = std::strerror(errno);
            close(fd);
            fd = -1;
            continue;
        }
        pollfd p{fd, POLLOUT, 0};
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (poll(&p, 1, remaining_ms(deadline)) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
            error = so_error != 0 ? std::strerror(so_error) : "connect timed out";
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd >= 0) {
        // Blocking from here on, every read and write bounded by what is left of the deadline.
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        const int left = remaining_ms(deadline);
        timeval tv{left / 1000, (left % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    return fd;
}

struct Stream {
    int fd = -1;
    SSL_CTX* ctx = nullptr;
    SSL* ssl = nullptr;
    ~Stream() {
        if (ssl != nullptr) {
            SSL_shutdown(ssl);
            SSL_free(ssl);
        }
        if (ctx != nullptr) {
            SSL_CTX_free(ctx);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    bool write_all(std::string_view data) {
        while (!data.empty()) {
            const long n = ssl != nullptr
                               ? SSL_write(ssl, data.data(), static_cast<int>(data.size()))
                               : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    long read_some(char* buffer, std::size_t size) {
        return ssl != nullptr ? SSL_read(ssl, buffer, static_cast<int>(size))
                              : ::recv(fd, buffer, size, 0);
    }
};

bool start_tls(Stream& stream, const Url& url, const std::string& ca_file, std::string& error) {
    stream.ctx = SSL_CTX_new(TLS_client_method());
    if (stream.ctx == nullptr) {
        error = "SSL_CTX_new failed";
        return false;
    }
    SSL_CTX_set_min_proto_version(stream.ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(stream.ctx, SSL_VERIFY_PEER, nullptr);
    const int loaded = ca_file.empty()
                           ? SSL_CTX_set_default_verify_paths(stream.ctx)
                           : SSL_CTX_load_verify_locations(stream.ctx, ca_file.c_str(), nullptr);
    if (loaded != 1) {
        error = "cannot load CA certificates";
        return false;
    }
    stream.ssl = SSL_new(stream.ctx);
    SSL_set_fd(stream.ssl, stream.fd);
    SSL_set_tlsext_host_name(stream.ssl, url.host.c_str());
    SSL_set1_host(stream.ssl, url.host.c_str());
    if (SSL_connect(stream.ssl) != 1) {
        char text[256];
        ERR_error_string_n(ERR_get_error(), text, sizeof text);
        error = std::string("TLS handshake failed: ") + text;
        return false;
    }
    return true;
}

// Decodes a chunked body; nullopt when malformed.
std::optional<std::string> dechunk(std::string_view data) {
    std::string out;
    while (true) {
        const auto eol = data.find("\r\n");
        if (eol == std::string_view::npos) {
            return std::nullopt;
        }
        std::size_t size = 0;
        const auto line = data.substr(0, data.find_first_of(";\r"));
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
        if (ec != std::errc{} || end == line.data()) {
            return std::nullopt;
        }
        data.remove_prefix(eol + 2);
        if (size == 0) {
            return out;
        }
        if (data.size() < size + 2) {
            return std::nullopt;
        }
        out.append(data.substr(0, size));
        data.remove_prefix(size + 2);
    }
}

// Whether `response` holds a whole answer by its own framing: a status without a body (1xx,
// 204, 304), all of a Content-Length body, or a chunked body's last chunk. Otherwise the
// answer ends when the server closes the connection.
bool answer_complete(std::string_view response) {
    const auto head_end = response.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        return false;
    }
    std::string head(response.substr(0, head_end + 2));
    for (char& c : head) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string_view body = response.substr(head_end + 4);
    if (head.starts_with("http/1.1 1") || head.starts_with("http/1.1 204") ||
        head.starts_with("http/1.1 304")) {
        return true;
    }
    if (head.find("\r\ntransfer-encoding: chunked\r\n") != std::string::npos) {
        return body.starts_with("0\r\n\r\n") || body.ends_with("\r\n0\r\n\r\n");
    }
    const auto length = head.find("\r\ncontent-length:");
    if (length == std::string::npos) {
        return false;
    }
    std::string_view value = std::string_view(head).substr(length + 17);
    value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
    std::size_t size = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
    return ec == std::errc{} && end != value.data() && body.size() >= size;
}

// One request on a fresh connection (Connection: close) and its whole answer: the status
// code and line, the body (Content-Length or chunked), or why there is none.
struct Exchange {
    int status = 0;
    std::string status_line;
    std::optional<std::string> body;
    std::string error;
};

Exchange exchange(const Url& url, const std::string& request, std::chrono::milliseconds timeout,
                  std::size_t max_bytes, const std::string& ca_file) {
    Exchange result;
    const auto deadline = Clock::now() + timeout;
    Stream stream;
    stream.fd = connect_socket(url, deadline, result.error);
    if (stream.fd < 0) {
        return result;
    }
    if (url.tls && !start_tls(stream, url, ca_file, result.error)) {
        return result;
    }
    if (!stream.write_all(request)) {
        result.error = "cannot send the request";
        return result;
    }
    std::string response;
    char buffer[16384];
    while (response.size() <= max_bytes + 16384) {
        const long n = stream.read_some(buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
        if (answer_complete(response)) {
            break;  // a server that keeps the connection open despite Connection: close
        }
        if (Clock::now() > deadline) {
            result.error = "timed out";
            return result;
        }
    }
    const auto head_end = response.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        result.error = response.empty() ? "no answer" : "truncated answer";
        return result;
    }
    const std::string_view head(response.data(), head_end);
    result.status_line = std::string(head.substr(0, head.find("\r\n")));
    // "HTTP/1.1 200 OK": the code is the second word.
    const auto space = result.status_line.find(' ');
    if (!head.starts_with("HTTP/1.") || space == std::string::npos ||
        std::from_chars(result.status_line.data() + space + 1,
                        result.status_line.data() + result.status_line.size(), result.status)
                .ec != std::errc{}) {
        result.status = 0;
        result.error = "not an HTTP answer";
        return result;
    }
    std::string_view body(response.data() + head_end + 4, response.size() - head_end - 4);
    std::string lower(head);
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        auto decoded = dechunk(body);
        if (!decoded) {
            result.error = "bad chunked body";
            return result;
        }
        result.body = std::move(*decoded);
    } else {
        result.body = std::string(body);
    }
    if (result.body->size() > max_bytes) {
        result.body.reset();
        result.error = "answer too large";
    }
    return result;
}

}  // namespace

FetchResult http_get(const std::string& url_text, std::chrono::milliseconds timeout,
                     std::size_t max_bytes, const std::string& ca_file) {
    FetchResult result;
    const auto url = parse_url(url_text);
    if (!url) {
        result.error = "not an http:// or https:// URL";
        return result;
    }
    const std::string request = "GET " + url->path + " HTTP/1.1\r\nHost: " + url->host +
                                "\r\nAccept: application/json\r\nConnection: close\r\n"
                                "User-Agent: stampede\r\n\r\n";
    Exchange answer = exchange(*url, request, timeout, max_bytes, ca_file);
    if (answer.status == 0) {
        result.error = std::move(answer.error);
    } else if (answer.status != 200) {
        result.error = std::move(answer.status_line);
    } else if (!answer.body) {
        result.error = std::move(answer.error);
    } else {
        result.body = std::move(answer.body);
    }
    return result;
}

PostResult http_post(const std::string& url_text, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout, const std::string& ca_file) {
    PostResult result;
    const auto url = parse_url(url_text);
    if (!url) {
        result.error = "not an http:// or https:// URL";
        return result;
    }
    std::string request = "POST " + url->path + " HTTP/1.1\r\nHost: " + url->host +
                          "\r\nConnection: close\r\nUser-Agent: stampede\r\n"
                          "Content-Length: " +
                          std::to_string(body.size()) + "\r\n";
    for (const auto& [name, value] : headers) {
        request += name + ": " + value + "\r\n";
    }
    request += "\r\n";
    request += body;
    // The answer's body is not wanted: a small bound keeps a chatty receiver cheap.
    Exchange answer = exchange(*url, request, timeout, 64 * 1024, ca_file);
    result.status = answer.status;
    result.error = answer.status == 0 ? std::move(answer.error) : std::move(answer.status_line);
    return result;
}

}  // namespace stampede::auth
