// Writer and Message costs on the fan-out path: building a Message once per publish, then one
// MESSAGE delivery per subscriber appended to a shard's scratch buffer (flushed every 64 KiB).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/message.hpp"
#include "protocol/writer.hpp"

namespace {

using stampede::protocol::Command;
using stampede::protocol::Header;
using stampede::protocol::Message;
using stampede::protocol::MessagePtr;
using stampede::protocol::Version;

constexpr std::size_t kBatchBytes = 64 * 1024;

std::vector<Header> send_headers() {
    return {{"destination", "/topic/room.42"},
            {"content-type", "application/json"},
            {"receipt", "r-17"},
            {"x-app-id", "chat-web-7"},
            {"x-user-agent", "stomp.js/7.0.0"},
            {"priority", "4"},
            {"correlation-id", "8a3f1c2e-5b7d-4e9a-b1c0-3d2e1f0a9b8c"},
            {"content-length", "128"}};
}

void BM_MessageMake(benchmark::State& state) {
    const std::string body(static_cast<std::size_t>(state.range(0)), 'm');
    const std::vector<Header> headers = send_headers();
    for (auto _ : state) {
        MessagePtr message =
            Message::make("/topic/room.42", "node-1:123456", "node-1", "user-7", headers, body);
        benchmark::DoNotOptimize(message.get());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MessageMake)->Arg(16)->Arg(1024)->Arg(65536);

void BM_AppendMessage(benchmark::State& state) {
    const std::string body(static_cast<std::size_t>(state.range(0)), 'm');
    const MessagePtr message =
        Message::make("/topic/room.42", "node-1:123456", "node-1", "user-7", send_headers(), body);
    const bool with_ack = state.range(1) != 0;
    std::string batch;
    batch.reserve(kBatchBytes + body.size() + 1024);
    std::size_t bytes = 0;
    for (auto _ : state) {
        if (batch.size() >= kBatchBytes) {
            benchmark::DoNotOptimize(batch.data());
            batch.clear();  // the shard writes the batch and reuses the buffer
        }
        const std::size_t before = batch.size();
        append_message(batch, *message, "sub-12", with_ack ? "ack-99" : "", Version::V1_2);
        bytes += batch.size() - before;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendMessage)->ArgNames({"body", "ack"})->ArgsProduct({{16, 1024, 16384}, {0, 1}});

void BM_MessageFrameSize(benchmark::State& state) {
    const MessagePtr message = Message::make("/topic/room.42", "node-1:123456", "node-1", "user-7",
                                             send_headers(), std::string(128, 'm'));
    for (auto _ : state) {
        benchmark::DoNotOptimize(message_frame_size(*message, "sub-12", "ack-99", Version::V1_2));
    }
}
BENCHMARK(BM_MessageFrameSize);

void BM_AppendErrorFrame(benchmark::State& state) {
    std::string out;
    out.reserve(1024);
    for (auto _ : state) {
        out.clear();
        append_frame(out, Command::Error,
                     {{"message", "max_frame_bytes exceeded"}, {"receipt-id", "r-17"}},
                     "frame exceeds max_frame_bytes (1048576)", Version::V1_2);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_AppendErrorFrame);

}  // namespace

BENCHMARK_MAIN();
