// FrameParser throughput: SEND frames with 8 headers, bodies of several sizes, with and without
// content-length, fed in 16 KiB chunks as a socket would deliver them. Reports bytes/s and
// frames/s. One parser is reused across iterations, as on a long-lived connection.
#include <benchmark/benchmark.h>

#include <span>
#include <string>

#include "protocol/parser.hpp"

namespace {

using stampede::protocol::FeedResult;
using stampede::protocol::Frame;
using stampede::protocol::FrameParser;
using stampede::protocol::FrameSink;
using stampede::protocol::ParserLimits;
using stampede::protocol::ProtocolError;

constexpr std::size_t kChunkBytes = 16 * 1024;
constexpr std::size_t kStreamBytes = 8 * 1024 * 1024;  // per iteration, at least one frame

class CountingSink : public FrameSink {
   public:
    std::size_t frames = 0;
    bool on_frame(const Frame& frame) override {
        ++frames;
        benchmark::DoNotOptimize(frame.body.data());
        return true;
    }
    void on_heartbeat() override {}
};

// Eight headers; with content-length it is the eighth, else a custom header takes its place.
std::string make_frame(std::size_t body_bytes, bool with_content_length, std::size_t index) {
    std::string frame = "SEND\ndestination:/topic/room." + std::to_string(index % 100) +
                        "\ncontent-type:text/plain;charset=utf-8\nreceipt:r-" +
                        std::to_string(index) +
                        "\nx-app-id:chat-web-7\nx-user-agent:stomp.js/7.0.0\npriority:4\n"
                        "correlation-id:8a3f1c2e-5b7d-4e9a-b1c0-3d2e1f0a9b8c\n";
    frame += with_content_length ? "content-length:" + std::to_string(body_bytes) + "\n"
                                 : std::string("x-trace:00-4bf92f3577b34da6-01\n");
    frame += "\n";
    frame.append(body_bytes, 'b');
    frame.push_back('\0');
    frame.push_back('\n');  // frames are often followed by an EOL; it is a heart-beat
    return frame;
}

std::string make_stream(std::size_t body_bytes, bool with_content_length, std::size_t& frames) {
    std::string stream;
    frames = 0;
    while (stream.size() < kStreamBytes || frames == 0) {
        stream += make_frame(body_bytes, with_content_length, frames);
        ++frames;
    }
    return stream;
}

void BM_Parse(benchmark::State& state) {
    const auto body_bytes = static_cast<std::size_t>(state.range(0));
    const bool with_content_length = state.range(1) != 0;
    std::size_t frames_per_stream = 0;
    const std::string stream = make_stream(body_bytes, with_content_length, frames_per_stream);
    ParserLimits limits;
    limits.max_frame_bytes = 2 * body_bytes + 4096;
    FrameParser parser(limits);
    CountingSink sink;
    const std::span<const char> bytes(stream);
    for (auto _ : state) {
        for (std::size_t at = 0; at < bytes.size(); at += kChunkBytes) {
            const FeedResult result =
                parser.feed(bytes.subspan(at, std::min(kChunkBytes, bytes.size() - at)), sink);
            if (result.error != ProtocolError::None) {
                state.SkipWithError("parse error");
                return;
            }
        }
    }
    if (sink.frames != frames_per_stream * state.iterations()) {
        state.SkipWithError("lost frames");
        return;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(stream.size() * state.iterations()));
    state.counters["frames/s"] =
        benchmark::Counter(static_cast<double>(sink.frames), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Parse)
    ->ArgNames({"body", "content_length"})
    ->ArgsProduct({{0, 64, 1024, 16384, 262144, 1048576}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
