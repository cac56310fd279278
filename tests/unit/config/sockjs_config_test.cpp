// listeners[].sockjs: defaults, every key, and the refusals (tcp listener, bad prefix, the
// listener's own path, out-of-range values).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::errors_of;
using ::testing::HasSubstr;
using testing::load_good;

TEST(SockjsConfigTest, OffByDefault) {
    const auto c = load_good("listeners: [{name: web}]\n");
    ASSERT_TRUE(c);
    const SockjsConfig& s = c->listeners[0].sockjs;
    EXPECT_EQ(s.prefix, "");
    EXPECT_EQ(s.heartbeat_ms, 25000u);
    EXPECT_EQ(s.disconnect_delay_ms, 5000u);
    EXPECT_EQ(s.streaming_limit_bytes, 131072u);
}

TEST(SockjsConfigTest, EveryKey) {
    const auto c = load_good(R"(
listeners:
  - name: web
    sockjs: { prefix: /ws-sockjs, heartbeat_ms: 1000, disconnect_delay_ms: 2000,
              streaming_limit_bytes: 8192 }
)");
    ASSERT_TRUE(c);
    const SockjsConfig& s = c->listeners[0].sockjs;
    EXPECT_EQ(s.prefix, "/ws-sockjs");
    EXPECT_EQ(s.heartbeat_ms, 1000u);
    EXPECT_EQ(s.disconnect_delay_ms, 2000u);
    EXPECT_EQ(s.streaming_limit_bytes, 8192u);
}

TEST(SockjsConfigTest, Refusals) {
    EXPECT_THAT(
        errors_of(R"(
listeners:
  - { name: b, protocol: tcp, sockjs: { prefix: /s } }
)")[0],
        HasSubstr("t.yaml:2: listeners[0].sockjs.prefix: SockJS is served on ws listeners only"));
    for (const char* prefix : {"s", "/s/", "/"}) {
        const auto errors =
            errors_of(std::string("listeners: [{name: w, sockjs: {prefix: '") + prefix + "'}}]\n");
        ASSERT_FALSE(errors.empty()) << prefix;
        EXPECT_THAT(errors[0], HasSubstr("must start with '/' and not end with one")) << prefix;
    }
    EXPECT_THAT(errors_of("listeners: [{name: w, path: /ws, sockjs: {prefix: /ws}}]\n")[0],
                HasSubstr("is the listener's WebSocket path"));
    EXPECT_FALSE(errors_of("listeners: [{name: w, sockjs: {heartbeat_ms: 5}}]\n").empty());
    EXPECT_FALSE(errors_of("listeners: [{name: w, sockjs: {nope: 1}}]\n").empty());
}

}  // namespace
}  // namespace stampede::config
