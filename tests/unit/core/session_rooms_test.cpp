// A Session subscribing to rooms: x-history and x-since-seq replays with x-replay:true, the
// RECEIPT with x-epoch/x-seq/x-recovered, the live messages that follow without a duplicate,
// and the room headers no client can forge.
#include <gtest/gtest.h>

#include "fake_host.hpp"

namespace stampede::broker {
namespace {

using fakes::Client;
using fakes::FakeHost;
using fakes::frame;

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

class SessionRoomsTest : public ::testing::Test {
   protected:
    SessionRoomsTest() {
        host.add_room("/topic/room.*", 3);
        pub.connect();
        sub.connect();
    }
    void send(const std::string& body, const std::string& extra = "") {
        pub.session.on_bytes(frame("SEND\ndestination:/topic/room.1\n" + extra + "\n" + body));
        pub.take();
    }
    FakeHost host;
    Client pub{host, 1};
    Client sub{host, 2};
};

TEST_F(SessionRoomsTest, HistoryReplaysTheLastNThenTheReceiptThenLive) {
    for (int i = 1; i <= 5; ++i) {
        send("m" + std::to_string(i));
    }
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\nx-history:2\nreceipt:r\n\n"));
    const std::string out = sub.take();
    const std::string epoch = host.rooms().epoch();
    EXPECT_EQ(count(out, "MESSAGE\n"), 2u);
    EXPECT_EQ(count(out, "x-replay:true\n"), 2u);
    const auto m4 = out.find("x-seq:4\n");
    const auto m5 = out.find("x-seq:5\n");
    const auto receipt = out.find("RECEIPT\nreceipt-id:r\nx-epoch:" + epoch + "\nx-seq:5\n\n");
    ASSERT_NE(m4, std::string::npos);
    ASSERT_NE(m5, std::string::npos);
    ASSERT_NE(receipt, std::string::npos) << out;
    EXPECT_LT(m4, m5);
    EXPECT_LT(m5, receipt);
    EXPECT_EQ(out.find("x-recovered"), std::string::npos);  // only for x-since-seq
    send("live");
    const std::string live = sub.take();
    EXPECT_NE(live.find("x-seq:6\n"), std::string::npos);
    EXPECT_EQ(live.find("x-replay"), std::string::npos);
}

TEST_F(SessionRoomsTest, AMessageAlreadyReplayedIsNotDeliveredAgainWhenItArrivesLive) {
    send("one");
    send("two");
    sub.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\nx-history:10\n\n"));
    EXPECT_EQ(count(sub.take(), "MESSAGE\n"), 2u);
    // Message 2 still on its way from another shard's inbox when the replay was taken.
    const auto& rule = *host.rooms().rule_for("/topic/room.1");
    const auto replay = host.rooms().last("/topic/room.1", rule, 1);
    host.publisher().deliver_from_shard(replay.messages.at(0), 7);
    EXPECT_EQ(sub.take(), "");
}

TEST_F(SessionRoomsTest, SinceSeqReplaysWhatFollowsAndSaysWhetherItRecovered) {
    for (int i = 1; i <= 5; ++i) {
        send("m" + std::to_string(i));  // the room keeps 3, 4, 5
    }
    const std::string epoch = host.rooms().epoch();
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:a\ndestination:/topic/room.1\nx-since-seq:3\nx-epoch:" + epoch +
              "\nreceipt:r\n\n"));
    std::string out = sub.take();
    EXPECT_EQ(count(out, "MESSAGE\n"), 2u);
    EXPECT_NE(out.find("x-seq:5\nx-recovered:true\n"), std::string::npos) << out;
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:b\ndestination:/topic/room.1\nx-since-seq:1\nx-epoch:" + epoch +
              "\nreceipt:r\n\n"));
    out = sub.take();
    EXPECT_EQ(count(out, "MESSAGE\n"), 3u);  // what is kept after 1, but 2 is lost
    EXPECT_NE(out.find("x-recovered:false\n"), std::string::npos) << out;
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:c\ndestination:/topic/room.1\nx-since-seq:4\nreceipt:r\n\n"));
    out = sub.take();
    EXPECT_EQ(count(out, "MESSAGE\n"), 0u);  // no epoch: nothing is replayed
    EXPECT_NE(out.find("x-recovered:false\n"), std::string::npos) << out;
}

TEST_F(SessionRoomsTest, WildcardSubscriptionsGetLiveMessagesOnly) {
    send("before");
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:w\ndestination:/topic/room.*\nx-history:5\nreceipt:r\n\n"));
    EXPECT_EQ(sub.take(), frame("RECEIPT\nreceipt-id:r\n\n"));
    send("after");
    const std::string out = sub.take();
    EXPECT_EQ(count(out, "MESSAGE\n"), 1u);
    EXPECT_NE(out.find("x-seq:2\n"), std::string::npos);
}

TEST_F(SessionRoomsTest, ABadHistoryHeaderIsAnError) {
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\nx-history:-1\nreceipt:r\n\n"));
    const std::string out = sub.take();
    EXPECT_NE(out.find("ERROR\nmessage:bad history header\nreceipt-id:r\n"), std::string::npos)
        << out;
    Client other(host, 3);
    other.connect();
    other.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\nx-since-seq:x\n\n"));
    EXPECT_NE(other.take().find("message:bad history header"), std::string::npos);
}

TEST_F(SessionRoomsTest, ClientsCannotForgeRoomHeadersAndEphemeralMessagesAreNotNumbered) {
    sub.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    sub.take();
    send("forged", "x-seq:99\nx-epoch:mine\nx-replay:true\n");
    std::string out = sub.take();
    EXPECT_NE(out.find("x-seq:1\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("x-seq:99"), std::string::npos);
    EXPECT_EQ(out.find("x-epoch:mine"), std::string::npos);
    EXPECT_EQ(out.find("x-replay"), std::string::npos);
    send("typing", "x-ephemeral:true\n");
    out = sub.take();
    EXPECT_EQ(count(out, "MESSAGE\n"), 1u);
    EXPECT_EQ(out.find("x-seq"), std::string::npos);
    EXPECT_EQ(host.rooms().latest("/topic/room.1"), 1u);
}

}  // namespace
}  // namespace stampede::broker
