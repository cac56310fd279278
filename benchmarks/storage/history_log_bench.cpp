// history_log_bench: appends/s through the file history log, end to end (from the first
// append until every done callback has run and stop() has synced). A plain timing program,
// not Google Benchmark: the figure that matters includes the writer draining the queue.
//
//   history_log_bench [--records N] [--threads T] [--payload BYTES] [--rooms R]
//                     [--fsync always|interval|never] [--interval-ms MS] [--dir PATH]
//                     [--inflight K]   (each thread waits while K of its appends are not done,
//                                       like senders waiting for receipts; 0 = never waits)
#include <fmt/format.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/history_log.hpp"

namespace {

using stampede::storage::FsyncPolicy;
using stampede::storage::HistoryRecord;

struct Args {
    std::uint64_t records = 1'000'000;
    int threads = 2;
    std::size_t payload = 200;
    int rooms = 100;
    FsyncPolicy fsync = FsyncPolicy::Interval;
    std::uint32_t interval_ms = 100;
    std::uint64_t inflight = 0;
    std::string dir;  // empty: a fresh mkdtemp folder under /tmp, removed afterwards
};

bool parse(int argc, char** argv, Args& args) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const std::string value = argv[i + 1];
        if (key == "--records") {
            args.records = std::stoull(value);
        } else if (key == "--threads") {
            args.threads = std::stoi(value);
        } else if (key == "--payload") {
            args.payload = std::stoul(value);
        } else if (key == "--rooms") {
            args.rooms = std::stoi(value);
        } else if (key == "--interval-ms") {
            args.interval_ms = static_cast<std::uint32_t>(std::stoul(value));
        } else if (key == "--inflight") {
            args.inflight = std::stoull(value);
        } else if (key == "--dir") {
            args.dir = value;
        } else if (key == "--fsync") {
            args.fsync = value == "always"  ? FsyncPolicy::Always
                         : value == "never" ? FsyncPolicy::Never
                                            : FsyncPolicy::Interval;
        } else {
            return false;
        }
    }
    return argc % 2 == 1;
}

const char* policy_name(FsyncPolicy policy) {
    switch (policy) {
        case FsyncPolicy::Always:
            return "always";
        case FsyncPolicy::Interval:
            return "interval";
        case FsyncPolicy::Never:
            return "never";
    }
    return "?";
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse(argc, argv, args)) {
        fmt::print(
            stderr,
            "usage: {} [--records N] [--threads T] [--payload BYTES] [--rooms R] "
            "[--fsync always|interval|never] [--interval-ms MS] [--dir PATH] [--inflight K]\n",
            argv[0]);
        return 2;
    }
    const bool temporary = args.dir.empty();
    if (temporary) {
        std::string pattern = "/tmp/stampede-log-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            fmt::print(stderr, "mkdtemp: {}\n", std::strerror(errno));
            return 1;
        }
        args.dir = pattern;
    }
    stampede::storage::HistoryLogOptions options;
    options.dir = args.dir;
    options.fsync = args.fsync;
    options.fsync_interval_ms = args.interval_ms;
    std::string error;
    auto log = stampede::storage::open_file_history_log(options, error);
    if (!log) {
        fmt::print(stderr, "{}\n", error);
        return 1;
    }
    std::vector<std::string> warnings;
    log->recover([](HistoryRecord&&) {}, warnings);
    log->start();

    std::atomic<std::uint64_t> completed{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> queue_full{0};
    const std::uint64_t per_thread = args.records / static_cast<std::uint64_t>(args.threads);
    const std::string payload(args.payload, 'p');
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < args.threads; ++t) {
        threads.emplace_back([&, t] {
            std::vector<std::uint64_t> seqs(static_cast<std::size_t>(args.rooms), 0);
            std::atomic<std::uint64_t> outstanding{0};
            for (std::uint64_t i = 0; i < per_thread; ++i) {
                const std::size_t room = i % seqs.size();
                HistoryRecord record{fmt::format("/topic/t{}.room.{}", t, room), ++seqs[room],
                                     1700000000000, payload};
                auto done = [&](bool ok) {
                    --outstanding;
                    ++completed;
                    failed += ok ? 0 : 1;
                };
                while (args.inflight > 0 && outstanding.load() >= args.inflight) {
                    std::this_thread::yield();
                }
                ++outstanding;
                while (!log->append(record, done)) {
                    ++queue_full;  // the writer is behind (a shard would report an error instead)
                    std::this_thread::yield();
                }
            }
            while (outstanding.load() > 0) {  // the callbacks point at this thread's counter
                std::this_thread::yield();
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    log->stop();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::uint64_t total = per_thread * static_cast<std::uint64_t>(args.threads);
    fmt::print(
        "fsync={} interval_ms={} threads={} inflight={} records={} payload={}B: {:.3f} s, {:.0f} "
        "appends/s, "
        "{:.1f} MB/s stored, {} failed, {} queue-full retries, {} done callbacks\n",
        policy_name(args.fsync), args.interval_ms, args.threads, args.inflight, total, args.payload,
        seconds, static_cast<double>(total) / seconds,
        static_cast<double>(log->stored_bytes()) / seconds / 1e6, failed.load(), queue_full.load(),
        completed.load());
    log.reset();
    if (temporary) {
        std::filesystem::remove_all(args.dir);
    }
    return failed.load() == 0 && completed.load() == total ? 0 : 1;
}
