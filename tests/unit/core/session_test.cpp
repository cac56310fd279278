// Session state machine with a FakeTransport: bytes in, frames out, compared as text.
#include "core/session.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/authenticator.hpp"
#include "core/publish.hpp"
#include "fake_host.hpp"
#include "queues/queue_manager.hpp"

namespace stampede::broker {
namespace {

using fakes::Client;
using fakes::FakeHost;
using fakes::FakeTransport;
using fakes::frame;

using namespace std::string_literals;

TEST(SessionTest, ConnectedCarriesVersionServerSessionHeartBeat) {
    FakeHost host;
    Client c(host, 7);
    c.session.on_bytes(frame("STOMP\naccept-version:1.1,1.2\nheart-beat:50,300\n\n"));
    const std::string out = c.take();
    EXPECT_EQ(out.substr(0, 10), "CONNECTED\n");
    EXPECT_NE(out.find("version:1.2\n"), std::string::npos);
    EXPECT_NE(out.find("session:0-7\n"), std::string::npos);
    EXPECT_NE(out.find("server:Stampede/"), std::string::npos);
    EXPECT_NE(out.find("heart-beat:100,100\n"), std::string::npos);
    EXPECT_EQ(c.session.state(), Session::State::Connected);
    // expect every max(50,100) x grace 2, send 300: the nearest deadline is ~200 ms away.
    EXPECT_NEAR(c.transport.timer_ms, 200u, 2u);
}

TEST(SessionTest, NoAcceptVersionMeansOneZero) {
    FakeHost host;
    Client c(host, 1);
    c.session.on_bytes(frame("CONNECT\n\n"));
    EXPECT_NE(c.take().find("version:1.0\n"), std::string::npos);
}

TEST(SessionTest, UnsupportedVersionIsRefused) {
    FakeHost host;
    Client c(host, 1);
    c.session.on_bytes(frame("CONNECT\naccept-version:2.0\n\n"));
    const std::string out = c.take();
    EXPECT_EQ(out.substr(0, 6), "ERROR\n");
    EXPECT_NE(out.find("message:unsupported version\n"), std::string::npos);
    EXPECT_EQ(c.session.state(), Session::State::Closing);
}

TEST(SessionTest, FrameBeforeConnectIsRefusedWithReceiptId) {
    FakeHost host;
    Client c(host, 1);
    c.session.on_bytes(frame("SEND\ndestination:/topic/a\nreceipt:r1\n\nhi"));
    const std::string out = c.take();
    EXPECT_NE(out.find("message:not connected\n"), std::string::npos);
    EXPECT_NE(out.find("receipt-id:r1\n"), std::string::npos);
    std::string rest;
    const auto batch = c.session.drain_into(rest, 10);  // nothing left: close now
    EXPECT_TRUE(batch.close_after);
}

TEST(SessionTest, EachConnectionClosedWithAnErrorIsCountedOnceByReason) {
    using protocol::CloseReason;
    FakeHost host;
    Client early(host, 1), old(host, 2), misdirected(host, 3);
    early.session.on_bytes(frame("SEND\ndestination:/topic/a\n\nhi"));
    early.session.on_bytes(frame("SEND\ndestination:/topic/a\n\nagain"));  // ignored: closing
    early.session.fail(CloseReason::ServerShuttingDown, "too late: one ERROR per connection");
    old.session.on_bytes(frame("CONNECT\naccept-version:2.0\n\n"));
    misdirected.connect();
    misdirected.session.on_bytes(frame("SEND\ndestination:/elsewhere/x\n\nhi"));
    EXPECT_NE(misdirected.take().find("message:unknown destination prefix\n"), std::string::npos);
    EXPECT_EQ(host.closed,
              (std::vector<CloseReason>{CloseReason::NotConnected, CloseReason::UnsupportedVersion,
                                        CloseReason::UnknownDestinationPrefix}));
}

TEST(SessionTest, SendReachesSubscriberWithHeadersAndReceipt) {
    FakeHost host;
    Client sub(host, 1), pub(host, 2);
    sub.connect();
    pub.connect();
    sub.session.on_bytes(frame("SUBSCRIBE\nid:s1\ndestination:/topic/room.*\nreceipt:r\n\n"));
    EXPECT_EQ(sub.take(), frame("RECEIPT\nreceipt-id:r\n\n"));
    pub.session.on_bytes(
        frame("SEND\ndestination:/topic/room.42\ncontent-type:text/plain\n"
              "x-custom:yes\nreceipt:p1\n\nhello"));
    EXPECT_EQ(pub.take(), frame("RECEIPT\nreceipt-id:p1\n\n"));
    const std::string got = sub.take();
    EXPECT_EQ(got.substr(0, 8), "MESSAGE\n");
    for (const char* header :
         {"subscription:s1\n", "destination:/topic/room.42\n", "message-id:m1\n",
          "content-type:text/plain\n", "x-custom:yes\n", "content-length:5\n"}) {
        EXPECT_NE(got.find(header), std::string::npos) << header;
    }
    EXPECT_EQ(got.find("receipt"), std::string::npos);
    EXPECT_EQ(got.substr(got.size() - 7), "\nhello"s + '\0');
}

TEST(SessionTest, TransactionsApplyAtCommitAndVanishOnAbort) {
    FakeHost host;
    Client sub(host, 1), pub(host, 2);
    sub.connect();
    pub.connect();
    sub.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/t\n\n"));
    pub.session.on_bytes(frame("BEGIN\ntransaction:tx\n\n"));
    pub.session.on_bytes(frame("SEND\ndestination:/topic/t\ntransaction:tx\n\none"));
    EXPECT_EQ(sub.take(), "");
    pub.session.on_bytes(frame("COMMIT\ntransaction:tx\nreceipt:c\n\n"));
    EXPECT_NE(sub.take().find("\none"), std::string::npos);
    EXPECT_EQ(pub.take(), frame("RECEIPT\nreceipt-id:c\n\n"));
    pub.session.on_bytes(frame("BEGIN\ntransaction:t2\n\n"));
    pub.session.on_bytes(frame("SEND\ndestination:/topic/t\ntransaction:t2\n\ntwo"));
    pub.session.on_bytes(frame("ABORT\ntransaction:t2\n\n"));
    EXPECT_EQ(sub.take(), "");
    pub.session.on_bytes(frame("COMMIT\ntransaction:t2\n\n"));
    EXPECT_NE(pub.take().find("message:unknown transaction\n"), std::string::npos);
}

TEST(SessionTest, TransactionBytesAreLimited) {
    FakeHost host;
    host.mutable_config()->limits.max_transaction_bytes = 40;
    Client pub(host, 2);
    pub.connect();
    pub.session.on_bytes(frame("BEGIN\ntransaction:tx\n\n"));
    pub.session.on_bytes(
        frame("SEND\ndestination:/topic/t\ntransaction:tx\n\n" + std::string(50, 'x')));
    EXPECT_NE(pub.take().find("message:max_transaction_bytes exceeded\n"), std::string::npos);
}

TEST(SessionTest, QueueClientAckRedeliversOnNackAndOnUnsubscribe) {
    FakeHost host;
    Client c(host, 1);
    c.connect();
    c.session.on_bytes(
        frame("SUBSCRIBE\nid:q\ndestination:/queue/jobs\nack:client-individual\n\n"));
    c.session.on_bytes(frame("SEND\ndestination:/queue/jobs\n\njob1"));
    ASSERT_EQ(host.queue_deliveries.size(), 1u);
    auto [consumer, message] = host.queue_deliveries.front();
    host.queue_deliveries.pop_front();
    ASSERT_TRUE(c.session.deliver_queue(message, consumer.subscription_id));
    const std::string got = c.take();
    const auto ack_at = got.find("\nack:");
    ASSERT_NE(ack_at, std::string::npos) << got;
    const std::string ack = got.substr(ack_at + 5, got.find('\n', ack_at + 1) - ack_at - 5);
    c.session.on_bytes(frame("NACK\nid:" + ack + "\n\n"));
    ASSERT_EQ(host.queue_deliveries.size(), 1u);  // back in the queue and dispatched again
    EXPECT_EQ(host.queue_deliveries.front().second->body, "job1");
    EXPECT_TRUE(host.queue_deliveries.front().second->redelivered);
    auto again = host.queue_deliveries.front();
    host.queue_deliveries.pop_front();
    ASSERT_TRUE(c.session.deliver_queue(again.second, again.first.subscription_id));
    c.take();
    c.session.on_bytes(frame("UNSUBSCRIBE\nid:q\n\n"));
    EXPECT_EQ(host.queues().depth("/queue/jobs"), 1u);  // unacked: held for the next consumer
}

TEST(SessionTest, SlowConsumerDisconnectAndDropOldest) {
    FakeHost host;
    host.mutable_config()->limits.max_pending_bytes_per_connection = 300;
    Client sub(host, 1), pub(host, 2);
    sub.connect();
    pub.connect();
    sub.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/t\n\n"));
    for (int i = 0; i < 5; ++i) {
        pub.session.on_bytes(frame("SEND\ndestination:/topic/t\n\n" + std::string(100, 'x')));
    }
    const std::string out = sub.take();
    EXPECT_EQ(out.substr(0, 6), "ERROR\n");
    EXPECT_NE(out.find("message:slow consumer\n"), std::string::npos);

    host.mutable_config()->limits.slow_consumer = config::SlowConsumerPolicy::DropOldest;
    Client sub2(host, 3);
    sub2.connect();
    sub2.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/t\n\n"));
    for (int i = 0; i < 5; ++i) {
        pub.session.on_bytes(
            frame("SEND\ndestination:/topic/t\n\n" + std::to_string(i) + std::string(100, 'x')));
    }
    const std::string kept = sub2.take();
    EXPECT_EQ(kept.find("ERROR"), std::string::npos);
    EXPECT_NE(kept.find("\n4xxx"), std::string::npos);  // newest kept
    EXPECT_EQ(kept.find("\n0xxx"), std::string::npos);  // oldest dropped
    EXPECT_GT(host.dropped, 0u);
}

TEST(SessionTest, DisconnectReceiptComesBeforeClose) {
    FakeHost host;
    Client c(host, 1);
    c.connect();
    c.session.on_bytes(frame("DISCONNECT\nreceipt:bye\n\n"));
    std::string out;
    const auto batch = c.session.drain_into(out, 1 << 20);
    EXPECT_EQ(out, frame("RECEIPT\nreceipt-id:bye\n\n"));
    EXPECT_TRUE(batch.close_after);
}

}  // namespace
}  // namespace stampede::broker

namespace stampede::broker {
namespace {

TEST(SessionConnectTimeoutTest, NoConnectInTimeGetsAnErrorAndCloses) {
    FakeHost host;
    host.mutable_config()->limits.connect_timeout_ms = 1;
    Client c(host, 1);
    EXPECT_EQ(c.transport.timer_ms, 1u);  // armed at once, before any byte
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::milliseconds(2)) {
        // let the deadline pass (1 ms)
    }
    c.session.on_timer();
    const std::string out = c.take();
    EXPECT_NE(out.find("message:connect timeout\n"), std::string::npos);
    EXPECT_EQ(c.session.state(), Session::State::Closing);
}

TEST(SessionAuthTest, NothingBehindACheckedConnectActsBeforeTheAnswer) {
    FakeHost host;
    std::vector<auth::ServiceAccount> accounts;
    accounts.emplace_back("alice", std::vector<std::string>{"publisher"}, std::nullopt, "secret");
    host.security_.accounts = std::make_shared<const auth::ServiceAccounts>(std::move(accounts));
    Client watcher(host, 1);
    watcher.connect();
    watcher.session.on_bytes(frame("SUBSCRIBE\nid:s1\ndestination:/topic/x\n\n"));
    watcher.take();

    for (const bool right_passcode : {false, true}) {
        SCOPED_TRACE(right_passcode ? "accepted" : "refused");
        FakeTransport transport;
        Session session(2, host, transport, false);
        // CONNECT and a SEND in one read, then more frames in later reads, as a pipelining
        // client sends them: all of it waits for the worker's answer.
        session.on_bytes(frame("CONNECT\naccept-version:1.2\nlogin:alice\npasscode:x\n\n") +
                         frame("SEND\ndestination:/topic/x\n\nfirst"));
        EXPECT_EQ(session.state(), Session::State::Authenticating);
        session.on_bytes(frame("SEND\ndestination:/topic/x\n\nsecond"));
        session.on_bytes(frame("SUBSCRIBE\nid:9\ndestination:/topic/y\nreceipt:r9\n\n"));
        EXPECT_EQ(watcher.take(), "") << "a frame acted on before authentication";

        if (!right_passcode) {
            AuthOutcome refused;
            refused.status = AuthOutcome::Status::Refused;
            refused.error = auth::AuthError::BadCredentials;
            session.on_authenticated(refused);
            EXPECT_EQ(watcher.take(), "");
            continue;
        }
        AuthOutcome accepted;
        accepted.status = AuthOutcome::Status::Accepted;
        accepted.principal.name = "alice";
        session.on_authenticated(accepted);
        EXPECT_EQ(session.state(), Session::State::Connected);
        const std::string seen = watcher.take();
        const auto first = seen.find("first");
        const auto second = seen.find("second");
        ASSERT_NE(first, std::string::npos) << seen;
        ASSERT_NE(second, std::string::npos) << seen;
        EXPECT_LT(first, second);  // in the order sent
        std::string out;
        while (session.has_output()) {
            session.drain_into(out, 1 << 20);
        }
        EXPECT_EQ(out.rfind("CONNECTED", 0), 0U) << out;
        EXPECT_NE(out.find("receipt-id:r9"), std::string::npos) << out;
    }
}

TEST(SessionAuthTest, TooMuchWhileAuthenticatingIsRefused) {
    FakeHost host;
    std::vector<auth::ServiceAccount> accounts;
    accounts.emplace_back("alice", std::vector<std::string>{}, std::nullopt, "secret");
    host.security_.accounts = std::make_shared<const auth::ServiceAccounts>(std::move(accounts));
    host.mutable_config()->limits.max_frame_bytes = 1000;
    FakeTransport transport;
    Session session(2, host, transport, false);
    session.on_bytes(frame("CONNECT\naccept-version:1.2\nlogin:alice\npasscode:x\n\n"));
    session.on_bytes(std::string(600, '\n'));
    EXPECT_EQ(session.state(), Session::State::Authenticating);
    session.on_bytes(std::string(600, '\n'));
    EXPECT_EQ(session.state(), Session::State::Closing);
}

TEST(SessionConnectTimeoutTest, ConnectInTimeDisarmsIt) {
    FakeHost host;
    host.mutable_config()->limits.connect_timeout_ms = 1;
    host.mutable_config()->heartbeat = {0, 0, 2.0};
    Client c(host, 1);
    c.connect();
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::milliseconds(2)) {
    }
    c.session.on_timer();
    EXPECT_EQ(c.take(), "");
    EXPECT_EQ(c.session.state(), Session::State::Connected);
}

}  // namespace
}  // namespace stampede::broker
