// SockJS URL routes under a prefix, with the protocol's valid and invalid session paths.
#include "sockjs/route.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::sockjs {
namespace {

constexpr std::string_view kPrefix = "/ws-sockjs";

Target target_of(const std::string& path) { return route(path, kPrefix).target; }

TEST(SockjsRoute, StaticTargets) {
    EXPECT_EQ(target_of("/ws-sockjs"), Target::Greeting);
    EXPECT_EQ(target_of("/ws-sockjs/"), Target::Greeting);
    EXPECT_EQ(target_of("/ws-sockjs/info"), Target::Info);
    EXPECT_EQ(target_of("/ws-sockjs/websocket"), Target::RawWebsocket);
}

TEST(SockjsRoute, SessionTransports) {
    const Route r = route("/ws-sockjs/000/abc-1_2/xhr_streaming", kPrefix);
    EXPECT_EQ(r.target, Target::XhrStreaming);
    EXPECT_EQ(r.session, "abc-1_2");
    EXPECT_EQ(target_of("/ws-sockjs/1/s/xhr"), Target::Xhr);
    EXPECT_EQ(target_of("/ws-sockjs/1/s/xhr_send"), Target::XhrSend);
    EXPECT_EQ(target_of("/ws-sockjs/1/s/websocket"), Target::Websocket);
    EXPECT_EQ(target_of("/ws-sockjs/1/s/eventsource"), Target::EventSource);
}

TEST(SockjsRoute, NotFound) {
    for (const char* path :
         {"/ws-sockjsx", "/ws-sockjs/a", "/ws-sockjs/a.html", "/ws-sockjs//", "/ws-sockjs///",
          "/ws-sockjs/a/a", "/ws-sockjs/a/a/", "/ws-sockjs//a/xhr", "/ws-sockjs/a./a/xhr",
          "/ws-sockjs/a/a./xhr", "/ws-sockjs/./././xhr", "/ws-sockjs/a/a/xhr/x",
          "/ws-sockjs/a/a/htmlfile", "/ws-sockjs/iframe.html", "/other/a/a/xhr", "/"}) {
        EXPECT_EQ(target_of(path), Target::NotFound) << path;
    }
}

TEST(SockjsRoute, LongSessionIdIsRefused) {
    const std::string id(kMaxSessionIdBytes + 1, 'x');
    EXPECT_EQ(target_of("/ws-sockjs/0/" + id + "/xhr"), Target::NotFound);
    EXPECT_EQ(target_of("/ws-sockjs/0/" + id.substr(1) + "/xhr"), Target::Xhr);
}

}  // namespace
}  // namespace stampede::sockjs
