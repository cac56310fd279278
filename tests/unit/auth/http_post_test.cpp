// http_post against a real socket on 127.0.0.1: the request it writes (method, path, Host,
// Content-Length, the caller's headers, the body), the status it reads back, an answer framed
// by Content-Length or 204 taken as complete while the server keeps the connection open, and
// a refused connection reported as no answer (status 0).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "auth/http_fetch.hpp"

namespace stampede::auth {
namespace {

// One connection: reads the request up to its body's end, writes `answer`, then holds the
// socket open until the client closes it (a server that ignores Connection: close).
class OneShotServer {
   public:
    explicit OneShotServer(std::string answer) : answer_(std::move(answer)) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(listen(listener_, 1), 0);
        socklen_t len = sizeof addr;
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~OneShotServer() {
        thread_.join();
        close(listener_);
    }
    int port() const { return port_; }
    const std::string& request() const { return request_; }

   private:
    void serve() {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) {
            return;
        }
        char buffer[4096];
        while (true) {
            const auto head_end = request_.find("\r\n\r\n");
            const auto length = request_.find("Content-Length: ");
            if (head_end != std::string::npos && length != std::string::npos &&
                request_.size() >= head_end + 4 + std::stoul(request_.substr(length + 16))) {
                break;
            }
            const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                break;
            }
            request_.append(buffer, static_cast<std::size_t>(n));
        }
        send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        while (recv(fd, buffer, sizeof buffer, 0) > 0) {
        }
        close(fd);
    }

    std::string answer_;
    int listener_ = -1;
    int port_ = 0;
    std::string request_;
    std::thread thread_;
};

using Clock = std::chrono::steady_clock;

TEST(HttpPost, WritesTheRequestAndReadsTheStatus) {
    const Clock::time_point start = Clock::now();
    PostResult result;
    std::string request;
    {
        OneShotServer server("HTTP/1.1 204 No Content\r\n\r\n");
        result = http_post("http://127.0.0.1:" + std::to_string(server.port()) + "/hooks/x?a=1",
                           R"({"seq":1})",
                           {{"Content-Type", "application/json"}, {"X-Stampede-Signature", "s"}},
                           std::chrono::milliseconds(5000));
        request = server.request();
    }
    EXPECT_EQ(result.status, 204) << result.error;
    // The server held the connection open: the answer's own framing ended the read.
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
    EXPECT_TRUE(request.starts_with("POST /hooks/x?a=1 HTTP/1.1\r\n")) << request;
    EXPECT_NE(request.find("\r\nHost: 127.0.0.1\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nContent-Length: 9\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nX-Stampede-Signature: s\r\n"), std::string::npos) << request;
    EXPECT_TRUE(request.ends_with("\r\n\r\n{\"seq\":1}")) << request;
}

TEST(HttpPost, AnErrorStatusIsReportedWithItsLine) {
    OneShotServer server("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy");
    const PostResult result = http_post("http://127.0.0.1:" + std::to_string(server.port()) + "/",
                                        "x", {}, std::chrono::milliseconds(5000));
    EXPECT_EQ(result.status, 503);
    EXPECT_EQ(result.error, "HTTP/1.1 503 Busy");
}

TEST(HttpPost, NoServerIsNoAnswer) {
    int port = 0;
    {
        OneShotServer closed("");  // bound, then gone: nothing listens on the port after
        port = closed.port();
        const int fd = socket(AF_INET, SOCK_STREAM, 0);  // let its accept() return
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        close(fd);
    }
    const PostResult result = http_post("http://127.0.0.1:" + std::to_string(port) + "/", "x", {},
                                        std::chrono::milliseconds(2000));
    EXPECT_EQ(result.status, 0);
    EXPECT_FALSE(result.error.empty());
    EXPECT_EQ(http_post("ftp://127.0.0.1/", "x", {}, std::chrono::milliseconds(100)).status, 0);
}

}  // namespace
}  // namespace stampede::auth
