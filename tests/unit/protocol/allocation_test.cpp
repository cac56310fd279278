// Steady-state parsing and MESSAGE writing must not allocate: they run per frame and per
// subscriber. Global operator new is replaced in this test binary to count allocations while
// a test opts in; the counter is off (and costs one branch) everywhere else.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "parser_harness.hpp"
#include "protocol/writer.hpp"

// The replacements below pair malloc with free on purpose; with inlining GCC 12 sees the
// operator new/free pair at call sites in this file and warns anyway.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) {
        allocations.fetch_add(1, std::memory_order_relaxed);
    }
    if (void* memory = std::malloc(size == 0 ? 1 : size)) {
        return memory;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }

namespace stampede::protocol::testing {
namespace {

class CountingSink : public FrameSink {
   public:
    std::size_t frames = 0;
    std::size_t header_bytes = 0;
    std::size_t heartbeats = 0;
    bool on_frame(const Frame& frame) override {
        ++frames;
        for (const Header& header : frame.headers) {
            header_bytes += header.name.size() + header.value.size();
        }
        return true;
    }
    void on_heartbeat() override { ++heartbeats; }
};

class AllocationCount {
   public:
    AllocationCount() {
        allocations = 0;
        counting = true;
    }
    ~AllocationCount() { counting = false; }
    std::size_t value() const { return allocations.load(); }
};

TEST(Allocation, SteadyStateParsingAllocatesNothing) {
    std::string stream;
    for (int i = 0; i < 50; ++i) {
        stream += "SEND\ndestination:/topic/room." + std::to_string(i) +
                  "\ncontent-type:text/plain\nx-escaped:a\\cb\\nc\nreceipt:r-" + std::to_string(i) +
                  "\n\nhello " + std::string(i * 10, 'x') + '\0' + "\n";
        stream += wire("SEND\ndestination:/q\ncontent-length:5\n\nab^@de^@");
    }
    FrameParser parser;
    CountingSink sink;
    // Warm up: the buffer and the header vectors reach their working sizes.
    for (int round = 0; round < 3; ++round) {
        for (std::size_t at = 0; at < stream.size(); at += 1000) {
            parser.feed(std::span<const char>(stream).subspan(
                            at, std::min<std::size_t>(1000, stream.size() - at)),
                        sink);
        }
    }
    const std::size_t warm_frames = sink.frames;
    AllocationCount count;
    for (int round = 0; round < 20; ++round) {
        for (std::size_t at = 0; at < stream.size(); at += 1000) {
            const FeedResult result =
                parser.feed(std::span<const char>(stream).subspan(
                                at, std::min<std::size_t>(1000, stream.size() - at)),
                            sink);
            ASSERT_EQ(result.error, ProtocolError::None);
        }
    }
    EXPECT_EQ(count.value(), 0U);
    EXPECT_EQ(sink.frames - warm_frames, 20U * 100U);
    EXPECT_EQ(sink.heartbeats, 23U * 50U);
}

TEST(Allocation, WritingDeliveriesIntoAReservedBufferAllocatesNothing) {
    const auto message =
        Message::make("/topic/room.1", "node-1:1", "node-1", "alice",
                      Pairs{{"content-type", "text/plain"}}, std::string(300, 'm'));
    const std::string head = message_head("sub-7", Version::V1_2);  // once per subscription
    std::string batch;
    batch.reserve(64 * 1024);
    AllocationCount count;
    std::size_t expected = 0;
    for (int i = 0; i < 100; ++i) {
        const std::string_view ack = i % 4 == 0 ? "" : "ack-1";
        if (i % 2 == 0) {
            expected += message_frame_size(*message, "sub-7", ack, Version::V1_2);
            append_message(batch, *message, "sub-7", ack, Version::V1_2);
        } else {
            expected += message_frame_size(head, *message, ack, Version::V1_2);
            append_message(batch, head, *message, ack, Version::V1_2);
        }
    }
    EXPECT_EQ(count.value(), 0U);
    EXPECT_EQ(batch.size(), expected);
}

}  // namespace
}  // namespace stampede::protocol::testing
