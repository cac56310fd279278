// RoomRegistry with the memory backend: numbering, what rooms keep, replays and recovery
// answers, and the order guarantee under concurrent publishers.
#include "rooms/room_registry.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

namespace stampede::rooms {
namespace {

RoomRule rule(const std::string& pattern, std::size_t max_messages = 100,
              std::int64_t max_age_ms = 3600000) {
    std::string error;
    auto compiled = protocol::RoomPattern::compile(pattern, 7, error);
    EXPECT_TRUE(compiled) << error;
    return {std::move(*compiled), max_messages, max_age_ms, {}};
}

protocol::MessagePtr make(const std::string& room, const protocol::RoomStamp& stamp,
                          const std::string& body) {
    return protocol::Message::make(room, "id-" + std::to_string(stamp.seq), "node", "",
                                   std::vector<std::pair<std::string, std::string>>{}, body,
                                   &stamp);
}

protocol::MessagePtr publish(RoomRegistry& rooms, const std::string& room,
                             const std::string& body) {
    const RoomRule* r = rooms.rule_for(room);
    EXPECT_NE(r, nullptr);
    AppendResult result{};
    auto message = rooms.append(
        room, *r, [&](const protocol::RoomStamp& stamp) { return make(room, stamp, body); },
        [](const protocol::MessagePtr&) {}, nullptr, result);
    EXPECT_EQ(result, AppendResult::Delivered);
    return message;
}

std::vector<std::uint64_t> seqs(const Replay& replay) {
    std::vector<std::uint64_t> out;
    for (const auto& m : replay.messages) {
        out.push_back(m->seq);
    }
    return out;
}

TEST(RoomRegistryTest, FirstMatchingRuleDecidesAndOthersAreNotRooms) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*", 5));
    rules.push_back(rule("/topic/room.#", 7));
    RoomRegistry rooms(std::move(rules), nullptr);
    ASSERT_NE(rooms.rule_for("/topic/room.1"), nullptr);
    EXPECT_EQ(rooms.rule_for("/topic/room.1")->max_messages, 5u);
    EXPECT_EQ(rooms.rule_for("/topic/room.1.2")->max_messages, 7u);
    EXPECT_EQ(rooms.rule_for("/topic/other"), nullptr);
    EXPECT_EQ(rooms.epoch().size(), 16u);
    EXPECT_FALSE(rooms.durable());
}

TEST(RoomRegistryTest, NumbersPerRoomFromOneAndStampsTheMessage) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*"));
    RoomRegistry rooms(std::move(rules), nullptr);
    EXPECT_EQ(publish(rooms, "/topic/room.a", "1")->seq, 1u);
    EXPECT_EQ(publish(rooms, "/topic/room.a", "2")->seq, 2u);
    auto b = publish(rooms, "/topic/room.b", "x");
    EXPECT_EQ(b->seq, 1u);
    EXPECT_NE(b->encoded_headers[2].find("x-seq:1\nx-epoch:" + rooms.epoch() + "\n"),
              std::string::npos);
    EXPECT_EQ(rooms.latest("/topic/room.a"), 2u);
    EXPECT_EQ(rooms.latest("/topic/room.none"), 0u);
}

TEST(RoomRegistryTest, KeepsTheLastMaxMessagesAndReplaysTheLastN) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*", 3));
    RoomRegistry rooms(std::move(rules), nullptr);
    for (int i = 0; i < 5; ++i) {
        publish(rooms, "/topic/room.a", std::to_string(i));
    }
    const RoomRule& r = *rooms.rule_for("/topic/room.a");
    EXPECT_EQ(seqs(rooms.last("/topic/room.a", r, 10)), (std::vector<std::uint64_t>{3, 4, 5}));
    EXPECT_EQ(seqs(rooms.last("/topic/room.a", r, 2)), (std::vector<std::uint64_t>{4, 5}));
    EXPECT_EQ(rooms.last("/topic/room.a", r, 2).latest, 5u);
    EXPECT_TRUE(rooms.last("/topic/room.new", r, 2).messages.empty());
    EXPECT_EQ(rooms.kept_messages(), 3u);
}

TEST(RoomRegistryTest, MessagesOlderThanMaxAgeAreNotReplayed) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*", 100, 30));
    RoomRegistry rooms(std::move(rules), nullptr);
    publish(rooms, "/topic/room.a", "old");
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    publish(rooms, "/topic/room.a", "new");
    const RoomRule& r = *rooms.rule_for("/topic/room.a");
    EXPECT_EQ(seqs(rooms.last("/topic/room.a", r, 10)), (std::vector<std::uint64_t>{2}));
    // S = 0 now lies before the first kept message (2): not recovered, the rest replayed.
    const Replay replay = rooms.since("/topic/room.a", r, 0, rooms.epoch());
    EXPECT_FALSE(replay.recovered);
    EXPECT_EQ(seqs(replay), (std::vector<std::uint64_t>{2}));
}

TEST(RoomRegistryTest, SinceSaysRecoveredExactlyWhenNothingWasLost) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*", 3));
    RoomRegistry rooms(std::move(rules), nullptr);
    for (int i = 0; i < 5; ++i) {
        publish(rooms, "/topic/room.a", std::to_string(i));  // keeps 3, 4, 5
    }
    const RoomRule& r = *rooms.rule_for("/topic/room.a");
    const std::string epoch = rooms.epoch();
    Replay replay = rooms.since("/topic/room.a", r, 2, epoch);  // first kept - 1
    EXPECT_TRUE(replay.recovered);
    EXPECT_EQ(seqs(replay), (std::vector<std::uint64_t>{3, 4, 5}));
    replay = rooms.since("/topic/room.a", r, 5, epoch);  // up to date
    EXPECT_TRUE(replay.recovered);
    EXPECT_TRUE(replay.messages.empty());
    EXPECT_EQ(replay.latest, 5u);
    replay = rooms.since("/topic/room.a", r, 1, epoch);  // 2 is gone
    EXPECT_FALSE(replay.recovered);
    EXPECT_EQ(seqs(replay), (std::vector<std::uint64_t>{3, 4, 5}));
    replay = rooms.since("/topic/room.a", r, 6, epoch);  // from the future
    EXPECT_FALSE(replay.recovered);
    EXPECT_TRUE(replay.messages.empty());
    replay = rooms.since("/topic/room.a", r, 4, "another-epoch");
    EXPECT_FALSE(replay.recovered);
    EXPECT_TRUE(replay.messages.empty());
    replay = rooms.since("/topic/room.a", r, 4, "");  // a missing epoch never matches
    EXPECT_FALSE(replay.recovered);
    replay = rooms.since("/topic/room.never", r, 0, epoch);
    EXPECT_TRUE(replay.recovered);
    replay = rooms.since("/topic/room.never", r, 3, epoch);
    EXPECT_FALSE(replay.recovered);
}

TEST(RoomRegistryTest, ConcurrentPublishersAreHandedOnInNumberOrder) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*", 1000));
    RoomRegistry rooms(std::move(rules), nullptr);
    const RoomRule& r = *rooms.rule_for("/topic/room.a");
    std::mutex order_lock;
    std::vector<std::uint64_t> order;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                AppendResult result{};
                rooms.append(
                    "/topic/room.a", r,
                    [&](const protocol::RoomStamp& stamp) {
                        return make("/topic/room.a", stamp, "x");
                    },
                    [&](const protocol::MessagePtr& message) {
                        std::lock_guard lock(order_lock);
                        order.push_back(message->seq);
                    },
                    nullptr, result);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    ASSERT_EQ(order.size(), 8000u);
    for (std::size_t i = 0; i < order.size(); ++i) {
        ASSERT_EQ(order[i], i + 1);  // no gap, no duplicate, in order
    }
    EXPECT_EQ(seqs(rooms.last("/topic/room.a", r, 1)), (std::vector<std::uint64_t>{8000}));
}

// A log that is full: nothing is numbered, kept or handed on, and the error is counted and
// reported.
class FullLog final : public storage::HistoryLog {
   public:
    const std::string& epoch() const override { return epoch_; }
    void recover(const std::function<void(storage::HistoryRecord&&)>&,
                 std::vector<std::string>&) override {}
    void start() override {}
    bool append(storage::HistoryRecord, storage::AppendDone) override { return false; }
    void set_compaction_source(std::function<std::vector<storage::HistoryRecord>()>) override {}
    void stop() override {}
    std::uint64_t stored_bytes() const override { return 0; }

   private:
    std::string epoch_ = "0123456789abcdef";
};

TEST(RoomRegistryTest, AFullLogRefusesAndNothingIsNumberedOrHandedOn) {
    std::vector<RoomRule> rules;
    rules.push_back(rule("/topic/room.*"));
    RoomRegistry rooms(std::move(rules), std::make_unique<FullLog>());
    std::vector<std::string> reported;
    rooms.on_storage_error([&](std::string_view what) { reported.emplace_back(what); });
    AppendResult result{};
    bool handed_on = false;
    auto message = rooms.append(
        "/topic/room.a", *rooms.rule_for("/topic/room.a"),
        [&](const protocol::RoomStamp& stamp) { return make("/topic/room.a", stamp, "x"); },
        [&](const protocol::MessagePtr&) { handed_on = true; }, [](bool) {}, result);
    EXPECT_EQ(result, AppendResult::Refused);
    EXPECT_EQ(message, nullptr);
    EXPECT_FALSE(handed_on);
    EXPECT_EQ(rooms.latest("/topic/room.a"), 0u);
    EXPECT_EQ(rooms.kept_messages(), 0u);
    EXPECT_EQ(rooms.numbered(), 0u);
    EXPECT_EQ(rooms.storage_errors(), 1u);
    EXPECT_EQ(reported.size(), 1u);
    EXPECT_EQ(rooms.epoch(), "0123456789abcdef");
}

// The file backend under the registry: what was numbered is there after a reopen, with the
// same numbers and epoch, trimmed to the rules; numbering goes on from the last number, also
// for a room whose messages all aged out (its marker survives a compaction).
class FileBackedRegistryTest : public ::testing::Test {
   protected:
    void SetUp() override {
        char dir_template[] = "/tmp/stampede-rooms-XXXXXX";
        ASSERT_NE(::mkdtemp(dir_template), nullptr);
        dir_ = dir_template;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::unique_ptr<RoomRegistry> open(std::size_t max_messages,
                                       std::uint64_t segment_bytes = 1 << 20) {
        storage::HistoryLogOptions options;
        options.dir = dir_;
        options.fsync = storage::FsyncPolicy::Never;
        options.segment_bytes = segment_bytes;
        std::string error;
        auto log = storage::open_file_history_log(options, error);
        EXPECT_TRUE(log) << error;
        std::vector<RoomRule> rules;
        rules.push_back(rule("/topic/room.*", max_messages));
        auto rooms = std::make_unique<RoomRegistry>(std::move(rules), std::move(log));
        std::vector<std::string> warnings;
        rooms->recover(warnings);
        EXPECT_TRUE(warnings.empty());
        rooms->start();
        return rooms;
    }
    // Appends and waits until the log has it.
    void store(RoomRegistry& rooms, const std::string& room, const std::string& body) {
        std::promise<bool> written;
        AppendResult result{};
        rooms.append(
            room, *rooms.rule_for(room),
            [&](const protocol::RoomStamp& stamp) { return make(room, stamp, body); },
            [](const protocol::MessagePtr&) {}, [&](bool ok) { written.set_value(ok); }, result);
        ASSERT_EQ(result, AppendResult::Storing);
        ASSERT_TRUE(written.get_future().get());
    }
    std::string dir_;
};

TEST_F(FileBackedRegistryTest, AReopenedRegistryHasTheSameMessagesNumbersAndEpoch) {
    std::string epoch;
    {
        auto rooms = open(3);
        EXPECT_TRUE(rooms->durable());
        epoch = rooms->epoch();
        for (int i = 1; i <= 5; ++i) {
            store(*rooms, "/topic/room.a", "a" + std::to_string(i));
        }
        store(*rooms, "/topic/room.b", "b1");
        rooms->stop();
    }
    auto rooms = open(3);
    EXPECT_EQ(rooms->epoch(), epoch);
    const RoomRule& r = *rooms->rule_for("/topic/room.a");
    const Replay a = rooms->last("/topic/room.a", r, 10);
    EXPECT_EQ(seqs(a), (std::vector<std::uint64_t>{3, 4, 5}));
    EXPECT_EQ(a.messages.back()->body, "a5");
    EXPECT_NE(a.messages.back()->encoded_headers[2].find("x-seq:5\nx-epoch:" + epoch),
              std::string::npos);
    EXPECT_TRUE(rooms->since("/topic/room.b", r, 0, epoch).recovered);
    store(*rooms, "/topic/room.a", "a6");
    EXPECT_EQ(rooms->latest("/topic/room.a"), 6u);
}

TEST_F(FileBackedRegistryTest, NumbersSurviveACompactionThatKeepsOnlyTheLastMessages) {
    {
        auto rooms = open(2, 4096);  // small segments: compactions happen
        for (int i = 1; i <= 400; ++i) {
            store(*rooms, "/topic/room.c", std::string(100, 'x'));
        }
        rooms->stop();
    }
    auto rooms = open(2, 4096);
    const RoomRule& r = *rooms->rule_for("/topic/room.c");
    EXPECT_EQ(seqs(rooms->last("/topic/room.c", r, 10)), (std::vector<std::uint64_t>{399, 400}));
    EXPECT_EQ(rooms->latest("/topic/room.c"), 400u);
}

}  // namespace
}  // namespace stampede::rooms
