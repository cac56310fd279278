// Sessions with read cursors: an exact room subscription makes a member, /stampede/unread's
// snapshot comes before its RECEIPT, updates wait for the session's timer and leave at most
// once per 100 ms, a read on one session moves the cursor another session reports, a
// member's own message is read, leave reports the room as null, anonymous sessions are
// refused.
#include <gtest/gtest.h>

#include <thread>

#include "fake_host.hpp"

namespace stampede::broker {
namespace {

using fakes::FakeHost;
using fakes::FakeTransport;
using fakes::frame;

struct Named {
    Named(FakeHost& host, std::uint64_t id, const std::string& name)
        : session(id, host, transport, false) {
        session.on_bytes(frame("CONNECT\naccept-version:1.2\nlogin:" + name + "\npasscode:x\n\n"));
        AuthOutcome accepted;
        accepted.status = AuthOutcome::Status::Accepted;
        accepted.principal.name = name;
        session.on_authenticated(accepted);
        take();
    }
    std::string take() {
        std::string out;
        while (session.has_output()) {
            session.drain_into(out, 1 << 20);
        }
        return out;
    }
    FakeTransport transport;
    Session session;
};

class SessionCursorsTest : public ::testing::Test {
   protected:
    SessionCursorsTest() {
        host.add_room("/topic/room.*", 10);
        std::vector<auth::ServiceAccount> accounts;
        for (const char* name : {"alice", "bob"}) {
            accounts.emplace_back(name, std::vector<std::string>{}, std::nullopt, "secret");
        }
        host.security_.accounts =
            std::make_shared<const auth::ServiceAccounts>(std::move(accounts));
    }
    FakeHost host;
};

TEST_F(SessionCursorsTest, SnapshotThenCoalescedUpdatesOfASharedCursor) {
    Named tab1(host, 1, "alice");
    Named tab2(host, 2, "alice");
    Named bob(host, 3, "bob");
    tab1.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    tab1.take();
    tab2.session.on_bytes(frame("SUBSCRIBE\nid:u\ndestination:/stampede/unread\nreceipt:r\n\n"));
    std::string out = tab2.take();
    const auto snapshot = out.find(R"({"/topic/room.1":{"unread":0,"read_seq":0,"last_seq":0}})");
    ASSERT_NE(snapshot, std::string::npos) << out;
    EXPECT_LT(snapshot, out.find("RECEIPT\nreceipt-id:r\n"));

    bob.session.on_bytes(frame("SEND\ndestination:/topic/room.1\n\none"));
    bob.session.on_bytes(frame("SEND\ndestination:/topic/room.1\n\ntwo"));
    EXPECT_EQ(tab2.take(), "");  // updates leave from the timer, never from the fan-out
    tab2.session.on_timer();
    out = tab2.take();
    EXPECT_NE(out.find(R"({"/topic/room.1":{"unread":2,"read_seq":0,"last_seq":2}})"),
              std::string::npos)
        << out;

    tab1.session.on_bytes(
        frame("SEND\ndestination:/stampede/read/topic/room.1\nx-seq:1\nreceipt:m\n\n"));
    EXPECT_NE(tab1.take().find("receipt-id:m"), std::string::npos);
    tab2.session.on_timer();
    EXPECT_EQ(tab2.take(), "");  // within 100 ms of the last update: not yet
    EXPECT_GT(tab2.transport.timer_ms, 0U);
    EXPECT_LE(tab2.transport.timer_ms, 100U);
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    tab2.session.on_timer();
    out = tab2.take();
    EXPECT_NE(out.find(R"({"/topic/room.1":{"unread":1,"read_seq":1,"last_seq":2}})"),
              std::string::npos)
        << out;

    // a lower number changes nothing, so nothing is sent
    tab1.session.on_bytes(frame("SEND\ndestination:/stampede/read/topic/room.1\nx-seq:0\n\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    tab2.session.on_timer();
    EXPECT_EQ(tab2.take(), "");

    // its own message is read
    tab1.session.on_bytes(frame("SEND\ndestination:/topic/room.1\n\nmine"));
    tab2.session.on_timer();
    out = tab2.take();
    EXPECT_NE(out.find(R"({"/topic/room.1":{"unread":0,"read_seq":3,"last_seq":3}})"),
              std::string::npos)
        << out;

    tab1.session.on_bytes(frame("SEND\ndestination:/stampede/leave/topic/room.1\n\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    tab2.session.on_timer();
    out = tab2.take();
    EXPECT_NE(out.find(R"({"/topic/room.1":null})"), std::string::npos) << out;
    EXPECT_EQ(host.rooms().members().memberships(), 0U);
}

TEST_F(SessionCursorsTest, RefusalsAreClear) {
    fakes::Client anonymous(host, 1);
    anonymous.connect();
    anonymous.session.on_bytes(frame("SUBSCRIBE\nid:u\ndestination:/stampede/unread\n\n"));
    EXPECT_NE(anonymous.take().find("message:access denied"), std::string::npos);

    Named alice(host, 2, "alice");
    alice.session.on_bytes(frame("SEND\ndestination:/stampede/read/topic/room.1\nx-seq:1\n\n"));
    const std::string out = alice.take();
    EXPECT_NE(out.find("message:bad destination"), std::string::npos) << out;
    EXPECT_NE(out.find("not a member"), std::string::npos) << out;

    Named bad(host, 3, "alice");
    bad.session.on_bytes(frame("SUBSCRIBE\nid:s\ndestination:/topic/room.1\n\n"));
    bad.session.on_bytes(frame("SEND\ndestination:/stampede/read/topic/room.1\nx-seq:x\n\n"));
    EXPECT_NE(bad.take().find("message:bad history header"), std::string::npos);
}

}  // namespace
}  // namespace stampede::broker
