// Helpers for the file history log tests: a temporary folder per test, done-callback counting
// with a deadline, and recover-everything.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/history_log.hpp"

namespace stampede::storage::testing {

/// mkdtemp folder, removed with everything in it at the end of the test.
class TempDir {
   public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "stampede-log-XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp failed";
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

   private:
    std::string path_;
};

inline HistoryLogOptions log_options(const std::string& dir,
                                     FsyncPolicy fsync = FsyncPolicy::Interval) {
    HistoryLogOptions options;
    options.dir = dir;
    options.fsync = fsync;
    options.fsync_interval_ms = 20;
    return options;
}

inline std::unique_ptr<HistoryLog> open_log(const HistoryLogOptions& options) {
    std::string error;
    auto log = open_file_history_log(options, error);
    EXPECT_TRUE(log) << error;
    return log;
}

inline HistoryRecord make_record(const std::string& room, std::uint64_t seq,
                                 std::string payload = "") {
    if (payload.empty()) {
        payload = room + "#" + std::to_string(seq);
    }
    return HistoryRecord{room, seq, static_cast<std::int64_t>(1700000000000 + seq),
                         std::move(payload)};
}

inline HistoryRecord make_marker(const std::string& room, std::uint64_t seq) {
    return HistoryRecord{room, seq, 1700000000000, ""};
}

inline bool same(const HistoryRecord& a, const HistoryRecord& b) {
    return a.room == b.room && a.seq == b.seq && a.time_ms == b.time_ms && a.payload == b.payload;
}

/// Counts done callbacks; wait_for() has a deadline instead of a sleep.
class DoneCounter {
   public:
    AppendDone callback() {
        return [this](bool ok) {
            std::lock_guard lock(mutex_);
            ++(ok ? ok_ : failed_);
            changed_.notify_all();
        };
    }
    bool wait_for(int total, std::chrono::seconds deadline = std::chrono::seconds(20)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, deadline, [&] { return ok_ + failed_ >= total; });
    }
    int ok() {
        std::lock_guard lock(mutex_);
        return ok_;
    }
    int failed() {
        std::lock_guard lock(mutex_);
        return failed_;
    }

   private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int ok_ = 0;
    int failed_ = 0;
};

struct Recovered {
    std::vector<HistoryRecord> records;
    std::vector<std::string> warnings;
};

inline Recovered recover_all(HistoryLog& log) {
    Recovered out;
    log.recover([&](HistoryRecord&& record) { out.records.push_back(std::move(record)); },
                out.warnings);
    return out;
}

/// Opens `options.dir`, recovers it and closes it again.
inline Recovered reopen_and_recover(const HistoryLogOptions& options) {
    auto log = open_log(options);
    return log ? recover_all(*log) : Recovered{};
}

/// Appends every record, waits for all done callbacks and stops the log.
inline void write_records(const HistoryLogOptions& options,
                          const std::vector<HistoryRecord>& records) {
    auto log = open_log(options);
    ASSERT_TRUE(log);
    recover_all(*log);
    log->start();
    DoneCounter done;
    for (const HistoryRecord& record : records) {
        ASSERT_TRUE(log->append(record, done.callback()));
    }
    ASSERT_TRUE(done.wait_for(static_cast<int>(records.size())));
    EXPECT_EQ(done.failed(), 0);
    log->stop();
}

inline std::uintmax_t file_size(const std::string& path) {
    return std::filesystem::file_size(path);
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

inline void expect_records(const std::vector<HistoryRecord>& got,
                           const std::vector<HistoryRecord>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(same(got[i], want[i]))
            << "record " << i << ": got " << got[i].room << "/" << got[i].seq << ", want "
            << want[i].room << "/" << want[i].seq;
    }
}

}  // namespace stampede::storage::testing
