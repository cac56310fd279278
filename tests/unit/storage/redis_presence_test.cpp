// The presence scripts against a real redis-server: one member held by two nodes enters once
// and leaves with the last; the sync script reports only the difference; a silent node's
// members leave once their room's node_ttl_s is up and not before; a node Redis forgot is
// told so; the load carries every member with its info and the last change's number; each
// change publishes one notice that parses back.
#include "storage/redis_presence.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "redis_server_fixture.hpp"

namespace stampede::storage {
namespace {

class RedisPresenceTest : public RedisServerTest {
   protected:
    void SetUp() override {
        RedisServerTest::SetUp();
        notices_ = redisConnect("127.0.0.1", port_);
        ASSERT_EQ(notices_->err, 0);
        Reply(static_cast<redisReply*>(redisCommand(notices_, "SUBSCRIBE p:presence")),
              freeReplyObject);
    }
    void TearDown() override {
        redisFree(notices_);
        RedisServerTest::TearDown();
    }
    static PresenceReport held(const std::string& room, const std::string& member,
                               std::uint32_t ttl = 15, const std::string& info = "") {
        return {room, member, PresenceHeld{room, member, info, ttl}};
    }
    static PresenceReport gone(const std::string& room, const std::string& member) {
        return {room, member, std::nullopt};
    }
    std::optional<bool> changes(const std::string& node, const std::vector<PresenceReport>& r) {
        Reply reply = run(presence_changes_command("p", node, r));
        EXPECT_TRUE(reply && reply->type != REDIS_REPLY_ERROR) << (reply ? reply->str : "");
        return parse_presence_known(reply.get());
    }
    std::optional<bool> reap(const std::string& node) {
        Reply reply = run(presence_reap_command("p", node));
        return parse_presence_known(reply.get());
    }
    PresenceLoad load() {
        Reply reply = run(presence_load_command("p"));
        auto parsed = parse_presence_load(reply.get());
        EXPECT_TRUE(parsed) << (reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        return parsed.value_or(PresenceLoad{});
    }
    /// "enter room member" / "leave room member" for each notice published since the last
    /// call, in order: read until the last change Redis numbered (<prefix>:pver).
    std::vector<std::string> notices() {
        std::vector<std::string> out;
        Reply counter = run({"GET", "p:pver"});
        const std::uint64_t last =
            counter && counter->type == REDIS_REPLY_STRING ? std::stoull(counter->str) : 0;
        while (last_version_ < last) {
            redisReply* raw = nullptr;
            if (redisGetReply(notices_, reinterpret_cast<void**>(&raw)) != REDIS_OK) {
                ADD_FAILURE() << "the notices' connection failed";
                return out;
            }
            Reply reply(raw, freeReplyObject);
            auto notice = parse_presence_notice(
                std::string_view(reply->element[2]->str, reply->element[2]->len));
            EXPECT_TRUE(notice);
            if (notice) {
                EXPECT_GT(notice->version, last_version_);
                last_version_ = notice->version;
                out.push_back((notice->enter ? "enter " : "leave ") + notice->room + " " +
                              notice->member);
            } else {
                return out;
            }
        }
        return out;
    }
    std::size_t members(const std::string& room) {
        const PresenceLoad all = load();
        const auto it = all.rooms.find(room);
        return it == all.rooms.end() ? 0 : it->second.size();
    }

    redisContext* notices_ = nullptr;
    std::uint64_t last_version_ = 0;
};

using Notices = std::vector<std::string>;

TEST_F(RedisPresenceTest, AMemberOnTwoNodesEntersOnceAndLeavesWithTheLast) {
    EXPECT_EQ(changes("a", {held("/topic/r", "alice")}), false);  // Redis did not know "a"
    EXPECT_EQ(changes("b", {held("/topic/r", "alice")}), false);
    EXPECT_EQ(notices(), (Notices{"enter /topic/r alice"}));
    EXPECT_EQ(members("/topic/r"), 1u);
    EXPECT_EQ(changes("a", {gone("/topic/r", "alice")}), true);
    EXPECT_EQ(notices(), Notices{});
    EXPECT_EQ(members("/topic/r"), 1u);
    EXPECT_EQ(changes("b", {gone("/topic/r", "alice"), held("/topic/r", "bob")}), true);
    EXPECT_EQ(notices(), (Notices{"leave /topic/r alice", "enter /topic/r bob"}));
    // Reporting what Redis already has changes nothing.
    EXPECT_EQ(changes("b", {held("/topic/r", "bob"), gone("/topic/r", "zed")}), true);
    EXPECT_EQ(notices(), Notices{});
    EXPECT_EQ(members("/topic/r"), 1u);
}

TEST_F(RedisPresenceTest, SyncReportsOnlyTheDifference) {
    changes("a", {held("/topic/r", "alice"), held("/topic/r", "bob")});
    EXPECT_EQ(notices().size(), 2u);
    const std::vector<PresenceHeld> now = {{"/topic/r", "bob", "", 15},
                                           {"/topic/s", "carol", "", 15}};
    Reply reply = run(presence_sync_command("p", "a", now));
    EXPECT_EQ(parse_presence_known(reply.get()), true);
    EXPECT_EQ(notices(), (Notices{"leave /topic/r alice", "enter /topic/s carol"}));
    const PresenceLoad all = load();
    EXPECT_EQ(all.rooms.size(), 2u);
    EXPECT_EQ(all.version, last_version_);
}

TEST_F(RedisPresenceTest, ASilentNodesMembersLeaveOnceTheirTtlIsUp) {
    changes("dead", {held("/topic/short", "alice", 1), held("/topic/long", "bob", 3)});
    changes("live", {held("/topic/long", "carol", 1)});
    notices();
    EXPECT_EQ(reap("live"), true);
    EXPECT_EQ(notices(), Notices{});  // "dead" spoke just now
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    EXPECT_EQ(reap("live"), true);
    EXPECT_EQ(notices(), (Notices{"leave /topic/short alice"}));  // past 1 s, not yet 3 s
    EXPECT_EQ(members("/topic/long"), 2u);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    EXPECT_EQ(reap("live"), true);
    EXPECT_EQ(notices(), (Notices{"leave /topic/long bob"}));
    // "dead" held nothing more: forgotten, so if it speaks again it learns it must sync.
    EXPECT_EQ(reap("dead"), false);
    EXPECT_EQ(members("/topic/long"), 1u);  // carol: "live" kept saying it is alive
}

TEST_F(RedisPresenceTest, TheLoadCarriesEveryMemberWithItsInfo) {
    changes("a", {held("/topic/r", "alice", 15, R"({"name":"Alice"})"), held("/topic/r", "bob")});
    const PresenceLoad all = load();
    ASSERT_EQ(all.rooms.count("/topic/r"), 1u);
    const auto& room = all.rooms.at("/topic/r");
    EXPECT_EQ(room.at("alice"), R"({"name":"Alice"})");
    EXPECT_EQ(room.at("bob"), "");
    EXPECT_EQ(all.version, 2u);
    changes("a", {gone("/topic/r", "alice"), gone("/topic/r", "bob")});
    EXPECT_TRUE(load().rooms.empty());
}

TEST_F(RedisPresenceTest, NamesWithSeparatorsStayApart) {
    // The node's entries are "<len(room)>:<room><member>": no room/member pair can pass for
    // another, whatever characters they hold.
    changes("a", {held("/topic/r:1", "x"), held("/topic/r", ":1x")});
    changes("a", {gone("/topic/r:1", "x")});
    EXPECT_EQ(members("/topic/r"), 1u);
    EXPECT_EQ(members("/topic/r:1"), 0u);
}

TEST(RedisPresenceNoticeTest, JunkIsRefused) {
    EXPECT_FALSE(parse_presence_notice("nope"));
    EXPECT_FALSE(parse_presence_notice(R"({"v":1,"e":"wave","r":"/topic/r","u":"a"})"));
    EXPECT_FALSE(parse_presence_notice(R"({"v":-1,"e":"enter","r":"/topic/r","u":"a"})"));
    EXPECT_FALSE(parse_presence_notice(R"({"v":1,"e":"enter","u":"a"})"));
    const auto ok = parse_presence_notice(R"({"v":3,"e":"leave","r":"/topic/r","u":"a","i":""})");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->version, 3u);
    EXPECT_FALSE(ok->enter);
    EXPECT_FALSE(parse_presence_load(nullptr));
    EXPECT_FALSE(parse_presence_known(nullptr));
}

}  // namespace
}  // namespace stampede::storage
