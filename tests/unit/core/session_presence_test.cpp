// Sessions in a presence room: the enter after the SUBSCRIBE's RECEIPT, one member however
// many subscriptions, x-user-count on room messages, the leave when the last one goes (and
// when the session closes), notices not numbered, and a /stampede/presence/ watcher's
// snapshot, RECEIPT and live events.
#include <gtest/gtest.h>

#include "fake_host.hpp"

namespace stampede::broker {
namespace {

using fakes::Client;
using fakes::FakeHost;
using fakes::frame;

class SessionPresenceTest : public ::testing::Test {
   protected:
    SessionPresenceTest() {
        rooms::PresenceRule presence;
        presence.enabled = true;
        host.add_room("/topic/room.*", 3, presence);
        a.connect();
        b.connect();
        watcher.connect();
    }
    FakeHost host;
    Client a{host, 1};
    Client b{host, 2};
    Client watcher{host, 3};
};

TEST_F(SessionPresenceTest, EnterAfterTheReceiptThenOneMemberPerPrincipal) {
    a.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\nreceipt:r\n\n"));
    std::string out = a.take();
    const auto receipt = out.find("RECEIPT\nreceipt-id:r\n");
    const auto enter =
        out.find("x-presence:enter\nx-user:anonymous\\c0-1\nx-user-count:1\ncontent-length:");
    ASSERT_NE(receipt, std::string::npos) << out;
    ASSERT_NE(enter, std::string::npos) << out;
    EXPECT_LT(receipt, enter);
    EXPECT_NE(out.find(R"({"event":"enter","user":"anonymous:0-1","count":1})"), std::string::npos);
    EXPECT_EQ(out.find("x-seq", enter), std::string::npos);  // notices are not numbered

    b.session.on_bytes(frame("SUBSCRIBE\nid:s1\ndestination:/topic/room.1\n\n"));
    b.session.on_bytes(frame("SUBSCRIBE\nid:s2\ndestination:/topic/room.1\n\n"));
    out = a.take();
    EXPECT_NE(out.find("x-user:anonymous\\c0-2\nx-user-count:2\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("x-presence:enter", out.find("x-presence:enter") + 1), std::string::npos);
    b.take();

    b.session.on_bytes(
        frame("SEND\ndestination:/topic/room.1\nx-user-count:99\nx-presence:leave\n\nhi"));
    out = a.take();
    EXPECT_NE(out.find("x-seq:1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("x-user-count:2\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("x-user-count:99"), std::string::npos);  // (the epoch may hold "99")
    EXPECT_EQ(out.find("x-presence"), std::string::npos);
    b.take();

    b.session.on_bytes(frame("UNSUBSCRIBE\nid:s1\n\n"));
    EXPECT_EQ(a.take(), "");  // still one subscription: no leave
    b.session.on_bytes(frame("UNSUBSCRIBE\nid:s2\n\n"));
    out = a.take();
    EXPECT_NE(out.find("x-presence:leave\nx-user:anonymous\\c0-2\nx-user-count:1\n"),
              std::string::npos)
        << out;
    EXPECT_EQ(host.rooms().presence().count("/topic/room.1"), 1U);
}

TEST_F(SessionPresenceTest, WatcherGetsTheSnapshotThenTheReceiptThenChanges) {
    a.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    a.take();
    watcher.session.on_bytes(
        frame("SUBSCRIBE\nid:p\ndestination:/stampede/presence/topic/room.1\nreceipt:r\n\n"));
    std::string out = watcher.take();
    const auto snapshot =
        out.find("content-type:application/json\nx-presence:snapshot\nx-user-count:1\n");
    const auto receipt = out.find("RECEIPT\nreceipt-id:r\n");
    ASSERT_NE(snapshot, std::string::npos) << out;
    ASSERT_NE(receipt, std::string::npos) << out;
    EXPECT_LT(snapshot, receipt);
    EXPECT_NE(out.find(R"({"users":["anonymous:0-1"],"count":1})"), std::string::npos) << out;

    b.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    out = watcher.take();
    EXPECT_NE(out.find("destination:/stampede/presence/topic/room.1\n"), std::string::npos);
    EXPECT_NE(out.find("x-presence:enter\nx-user:anonymous\\c0-2\nx-user-count:2\n"),
              std::string::npos)
        << out;
    b.session.on_bytes(frame("DISCONNECT\nreceipt:bye\n\n"));
    b.take();  // the subscriptions go once DISCONNECT's RECEIPT is written
    out = watcher.take();
    EXPECT_NE(out.find("x-presence:leave\nx-user:anonymous\\c0-2\nx-user-count:1\n"),
              std::string::npos)
        << out;
}

TEST_F(SessionPresenceTest, ASessionDestroyedWhileConnectedLeavesWithoutDeliveringToItself) {
    auto c = std::make_unique<Client>(host, 4);
    c->connect();
    c->session.on_bytes(frame("SUBSCRIBE\nid:w\ndestination:/topic/room.*\n\n"));
    c->session.on_bytes(frame("SUBSCRIBE\nid:p\ndestination:/stampede/presence/topic/room.1\n\n"));
    c->session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    a.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    a.take();
    c->take();
    c.reset();  // a dropped connection: no DISCONNECT, the session is simply destroyed
    EXPECT_NE(a.take().find("x-presence:leave\nx-user:anonymous\\c0-4\nx-user-count:1\n"),
              std::string::npos);
}

TEST_F(SessionPresenceTest, OtherBrokerDestinationsAndRoomsWithoutPresenceAreRefused) {
    watcher.session.on_bytes(frame("SUBSCRIBE\nid:p\ndestination:/stampede/other\n\n"));
    EXPECT_NE(watcher.take().find("message:unknown destination prefix"), std::string::npos);
    a.session.on_bytes(frame("SUBSCRIBE\nid:p\ndestination:/stampede/presence/topic/news\n\n"));
    EXPECT_NE(a.take().find("is not a room with presence enabled"), std::string::npos);
}

}  // namespace
}  // namespace stampede::broker
