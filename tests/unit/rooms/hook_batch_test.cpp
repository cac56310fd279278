// The offline hook's pure parts: the POST body (one object, or an array of several; JSON
// escaping), the preview cut at a UTF-8 boundary, the batcher's window and size, and the
// retry backoff's doubling, cap and jitter.
#include "rooms/hook_batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::rooms {
namespace {

TEST(HookBody, OneRecordIsAnObjectSeveralAreAnArray) {
    const HookRecord a{"/topic/room.42", 7, {"bob", "member:7"}, "hello"};
    EXPECT_EQ(hook_body({a}),
              R"({"room":"/topic/room.42","seq":7,"users":["bob","member:7"],"preview":"hello"})");
    const HookRecord b{"/topic/room.1", 1, {"carol"}, ""};
    EXPECT_EQ(hook_body({a, b}),
              R"([{"room":"/topic/room.42","seq":7,"users":["bob","member:7"],"preview":"hello"},)"
              R"({"room":"/topic/room.1","seq":1,"users":["carol"],"preview":""}])");
}

TEST(HookBody, StringsAreEscaped) {
    const HookRecord r{"/topic/r\"q", 3, {"a\\b"}, "line\nnext \x01 \xc3\xa9"};
    EXPECT_EQ(hook_body({r}),
              "{\"room\":\"/topic/r\\\"q\",\"seq\":3,\"users\":[\"a\\\\b\"],"
              "\"preview\":\"line\\nnext \\u0001 \xc3\xa9\"}");
}

TEST(HookPreview, CutAtACharacterBoundary) {
    EXPECT_EQ(make_preview("short", true), "short");
    EXPECT_EQ(make_preview("abcdef", true, 4), "abcd");
    // "é" is two bytes: a cut inside it backs off to before it.
    EXPECT_EQ(make_preview("abc\xc3\xa9z", true, 4), "abc");
    EXPECT_EQ(make_preview("abc\xc3\xa9z", true, 5), "abc\xc3\xa9");
    // A four-byte character (U+1F600) cut in its middle.
    EXPECT_EQ(make_preview("a\xf0\x9f\x98\x80", true, 3), "a");
    EXPECT_EQ(make_preview(std::string(500, 'x'), true).size(), kMaxPreviewBytes);
    // Binary bodies show nothing.
    EXPECT_EQ(make_preview("\xff\xfe", false), "");
}

std::vector<HookRecord> records(std::uint64_t from, std::uint64_t count) {
    std::vector<HookRecord> out;
    for (std::uint64_t seq = from; seq < from + count; ++seq) {
        out.push_back(HookRecord{"/topic/r", seq, {"u"}, ""});
    }
    return out;
}

TEST(HookBatcher, ABatchLeavesAWindowAfterItsFirstRecord) {
    HookBatcher batcher(100, 1000);
    EXPECT_FALSE(batcher.due(0));
    EXPECT_EQ(batcher.deadline(), std::nullopt);
    batcher.add(records(1, 1), 5000);
    batcher.add(records(2, 2), 5600);  // joins the batch: the window counts from the first
    EXPECT_FALSE(batcher.due(5999));
    EXPECT_EQ(batcher.deadline(), 6000);
    EXPECT_TRUE(batcher.due(6000));
    const auto batch = batcher.take();
    ASSERT_EQ(batch.size(), 3U);
    EXPECT_EQ(batch[0].seq, 1U);
    EXPECT_EQ(batch[2].seq, 3U);
    EXPECT_TRUE(batcher.empty());
}

TEST(HookBatcher, AFullBatchLeavesAtOnceAndTheRestKeepTheirTimes) {
    HookBatcher batcher(3, 1000);
    batcher.add(records(1, 2), 100);
    EXPECT_FALSE(batcher.due(100));
    batcher.add(records(3, 2), 700);  // four waiting: one batch is full
    EXPECT_TRUE(batcher.due(700));
    EXPECT_EQ(batcher.take().size(), 3U);
    // The fourth came at 700: its own window.
    ASSERT_EQ(batcher.size(), 1U);
    EXPECT_FALSE(batcher.due(1699));
    EXPECT_TRUE(batcher.due(1700));
    EXPECT_EQ(batcher.take().front().seq, 4U);
}

TEST(HookRetry, DoublesUpToTheCapWithJitterTakingOffAtMostAFifth) {
    EXPECT_EQ(retry_delay_ms(1, 250, 30000, 0.0), 250);
    EXPECT_EQ(retry_delay_ms(2, 250, 30000, 0.0), 500);
    EXPECT_EQ(retry_delay_ms(3, 250, 30000, 0.0), 1000);
    EXPECT_EQ(retry_delay_ms(8, 250, 30000, 0.0), 30000);  // 32000 capped
    EXPECT_EQ(retry_delay_ms(1000, 250, 30000, 0.0), 30000);
    EXPECT_EQ(retry_delay_ms(1, 1000, 30000, 0.5), 900);
    EXPECT_GT(retry_delay_ms(1, 1000, 30000, 0.999), 800);
}

}  // namespace
}  // namespace stampede::rooms
