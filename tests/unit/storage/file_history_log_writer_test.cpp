// The file history log's writer: the bounded queue, done callbacks under each fsync policy,
// segment rollover, compaction (and a crash in the middle of one), stop(), and kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "history_log_test_support.hpp"
#include "storage/file_history_log.hpp"
#include "storage/record_codec.hpp"

namespace stampede::storage {
namespace {

using namespace testing;

std::vector<std::string> segment_files(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".seg") {
            names.push_back(entry.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::uintmax_t total_segment_bytes(const std::string& dir) {
    std::uintmax_t total = 0;
    for (const std::string& name : segment_files(dir)) {
        total += file_size(dir + "/" + name);
    }
    return total;
}

TEST(FileHistoryLogWriterTest, QueueFullReturnsFalseAndStopCompletesThePending) {
    TempDir dir;
    HistoryLogOptions options = log_options(dir.path());
    const HistoryRecord record = make_record("/topic/a", 1, std::string(100, 'x'));
    options.max_queued_bytes = 5 * encoded_size(record);
    auto log = open_log(options);
    ASSERT_TRUE(log);
    recover_all(*log);
    // Not started: nothing drains the queue, so it fills deterministically.
    DoneCounter done;
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        HistoryRecord next = record;
        next.seq = seq;
        EXPECT_TRUE(log->append(next, done.callback())) << seq;
    }
    EXPECT_FALSE(log->append(record, done.callback()));
    log->stop();
    EXPECT_EQ(done.ok(), 5);
    EXPECT_EQ(done.failed(), 0);
    EXPECT_FALSE(log->append(record, done.callback()));  // stopped
    log.reset();
    EXPECT_EQ(reopen_and_recover(options).records.size(), 5u);
}

class FsyncPolicyTest : public ::testing::TestWithParam<FsyncPolicy> {};

TEST_P(FsyncPolicyTest, DoneCalledExactlyOncePerAcceptedRecord) {
    TempDir dir;
    const HistoryLogOptions options = log_options(dir.path(), GetParam());
    constexpr int kPerThread = 3000;
    std::vector<std::atomic<int>> calls(2 * kPerThread);
    std::atomic<int> failures{0};
    {
        auto log = open_log(options);
        ASSERT_TRUE(log);
        recover_all(*log);
        log->start();
        auto producer = [&](int thread) {
            const std::string room = "/topic/t" + std::to_string(thread);
            for (int i = 0; i < kPerThread; ++i) {
                const int index = thread * kPerThread + i;
                HistoryRecord record = make_record(room, static_cast<std::uint64_t>(i + 1));
                while (!log->append(record, [&calls, &failures, index](bool ok) {
                    calls[static_cast<std::size_t>(index)].fetch_add(1);
                    failures += ok ? 0 : 1;
                })) {
                    std::this_thread::yield();  // queue full: the writer is behind
                }
            }
        };
        std::thread a(producer, 0);
        std::thread b(producer, 1);
        a.join();
        b.join();
        log->stop();  // every pending done runs before stop() returns
    }
    for (std::size_t i = 0; i < calls.size(); ++i) {
        ASSERT_EQ(calls[i].load(), 1) << "record " << i;
    }
    EXPECT_EQ(failures.load(), 0);
    const Recovered recovered = reopen_and_recover(options);
    EXPECT_TRUE(recovered.warnings.empty());
    EXPECT_EQ(recovered.records.size(), calls.size());
}

INSTANTIATE_TEST_SUITE_P(Policies, FsyncPolicyTest,
                         ::testing::Values(FsyncPolicy::Always, FsyncPolicy::Interval,
                                           FsyncPolicy::Never));

TEST(FileHistoryLogWriterTest, SegmentsRollOverPastSegmentBytes) {
    TempDir dir;
    HistoryLogOptions options = log_options(dir.path());
    options.segment_bytes = 1024;
    std::vector<HistoryRecord> records;
    for (std::uint64_t seq = 1; seq <= 60; ++seq) {
        records.push_back(make_record("/topic/a", seq, std::string(100, 'p')));
    }
    {
        auto log = open_log(options);
        ASSERT_TRUE(log);
        recover_all(*log);
        log->start();
        for (const HistoryRecord& record : records) {  // one at a time: one batch each
            DoneCounter done;
            ASSERT_TRUE(log->append(record, done.callback()));
            ASSERT_TRUE(done.wait_for(1));
        }
        EXPECT_EQ(log->stored_bytes(), total_segment_bytes(dir.path()));
    }
    const std::vector<std::string> names = segment_files(dir.path());
    EXPECT_GE(names.size(), 6u);
    EXPECT_EQ(names.front(), "00000001.seg");
    for (const std::string& name : names) {
        // A segment closes at the first batch that takes it past segment_bytes.
        EXPECT_LT(file_size(dir.file(name)), 1024 + encoded_size(records[0])) << name;
    }
    const Recovered recovered = reopen_and_recover(options);
    EXPECT_TRUE(recovered.warnings.empty());
    expect_records(recovered.records, records);
}

// The rooms' side of compaction: the last kKeep messages of each room, and a marker for a
// room whose messages all aged out. The test thread appends; the writer thread snapshots.
class RoomsModel {
   public:
    static constexpr std::size_t kKeep = 4;

    HistoryRecord publish(const std::string& room) {
        std::lock_guard lock(mutex_);
        auto& kept = rooms_[room];
        const std::uint64_t seq = ++last_seq_[room];
        kept.push_back(make_record(room, seq, std::string(80, 'm')));
        if (kept.size() > kKeep) {
            kept.erase(kept.begin());
        }
        published_.push_back(kept.back());
        return kept.back();
    }

    void age_out(const std::string& room) {
        std::lock_guard lock(mutex_);
        rooms_[room].clear();
    }

    std::vector<HistoryRecord> snapshot() {
        std::lock_guard lock(mutex_);
        std::vector<HistoryRecord> records;
        for (const auto& [room, kept] : rooms_) {
            if (kept.empty()) {
                records.push_back(make_marker(room, last_seq_[room]));
            }
            records.insert(records.end(), kept.begin(), kept.end());
        }
        last_snapshot_ = records;
        published_at_snapshot_ = published_.size();
        ++snapshots_;
        return records;
    }

    /// What recovery must return: the last snapshot, then what was published after it.
    std::map<std::pair<std::string, std::uint64_t>, HistoryRecord> expected() {
        std::lock_guard lock(mutex_);
        std::map<std::pair<std::string, std::uint64_t>, HistoryRecord> want;
        for (const HistoryRecord& record : last_snapshot_) {
            want[{record.room, record.seq}] = record;
        }
        for (std::size_t i = published_at_snapshot_; i < published_.size(); ++i) {
            want[{published_[i].room, published_[i].seq}] = published_[i];
        }
        return want;
    }

    int snapshots() {
        std::lock_guard lock(mutex_);
        return snapshots_;
    }

   private:
    std::mutex mutex_;
    std::map<std::string, std::vector<HistoryRecord>> rooms_;
    std::map<std::string, std::uint64_t> last_seq_;
    std::vector<HistoryRecord> published_;
    std::vector<HistoryRecord> last_snapshot_;
    std::size_t published_at_snapshot_ = 0;
    int snapshots_ = 0;
};

TEST(FileHistoryLogWriterTest, CompactionKeepsTheSnapshotAndLaterAppendsOnly) {
    TempDir dir;
    HistoryLogOptions options = log_options(dir.path());
    options.segment_bytes = 2048;
    RoomsModel rooms;
    {
        auto log = open_log(options);
        ASSERT_TRUE(log);
        recover_all(*log);
        log->set_compaction_source([&rooms] { return rooms.snapshot(); });
        log->start();
        DoneCounter done;
        int appended = 0;
        for (int i = 0; i < 400; ++i) {
            if (i == 10) {
                rooms.age_out("/topic/quiet");  // from now on only its marker is kept
            }
            const std::string room = i < 3 ? "/topic/quiet" : "/topic/r" + std::to_string(i % 3);
            ASSERT_TRUE(log->append(rooms.publish(room), done.callback()));
            ++appended;
            if (i % 4 == 0) {
                ASSERT_TRUE(done.wait_for(appended));  // many small batches, many compactions
            }
        }
        ASSERT_TRUE(done.wait_for(appended));
        EXPECT_EQ(done.failed(), 0);
        log->stop();
    }
    EXPECT_GE(rooms.snapshots(), 2);
    EXPECT_FALSE(std::filesystem::exists(dir.file("00000001.seg")));
    EXPECT_LE(segment_files(dir.path()).size(), 2u);

    const Recovered recovered = reopen_and_recover(options);
    EXPECT_TRUE(recovered.warnings.empty());
    std::map<std::pair<std::string, std::uint64_t>, HistoryRecord> got;
    for (const HistoryRecord& record : recovered.records) {
        EXPECT_TRUE(got.emplace(std::pair{record.room, record.seq}, record).second)
            << "recovered twice: " << record.room << "/" << record.seq;
    }
    const auto want = rooms.expected();
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [key, record] : want) {
        ASSERT_TRUE(got.count(key)) << key.first << "/" << key.second;
        EXPECT_TRUE(same(got.at(key), record)) << key.first << "/" << key.second;
    }
    EXPECT_TRUE(got.count({"/topic/quiet", 3}));  // the marker
    EXPECT_TRUE(got.at({"/topic/quiet", 3}).payload.empty());
}

// A crash between writing the snapshot segment and deleting the old ones, in its two shapes.
class CrashMidCompactionTest : public ::testing::Test {
   protected:
    void SetUp() override {
        // Old history: room a 1..6 and room b 1..4, three records per segment.
        for (std::uint64_t seq = 1; seq <= 6; ++seq) {
            old_.push_back(make_record("/topic/a", seq));
            if (seq <= 4) {
                old_.push_back(make_record("/topic/b", seq));
            }
        }
        options_ = log_options(dir_.path());
        options_.segment_bytes = 3 * encoded_size(old_[0]);
        auto log = open_log(options_);
        ASSERT_TRUE(log);
        recover_all(*log);
        log->start();
        for (const HistoryRecord& record : old_) {
            DoneCounter done;
            ASSERT_TRUE(log->append(record, done.callback()));
            ASSERT_TRUE(done.wait_for(1));
        }
        log->stop();
        numbers_ = segment_files(dir_.path());
        ASSERT_GE(numbers_.size(), 3u);
        // The snapshot keeps a 3..6, b's 4 and a later append c 1; it goes after the old ones.
        for (std::uint64_t seq = 3; seq <= 6; ++seq) {
            snapshot_.push_back(make_record("/topic/a", seq));
        }
        snapshot_.push_back(make_record("/topic/b", 4));
        snapshot_.push_back(make_record("/topic/c", 1));
        for (const HistoryRecord& record : snapshot_) {
            encode_record(record, snapshot_bytes_);
        }
        snapshot_path_ = dir_.file(fmt_segment(numbers_.size() + 1));
    }

    static std::string fmt_segment(std::size_t number) {
        char name[32];
        std::snprintf(name, sizeof name, "%08zu.seg", number);
        return name;
    }

    TempDir dir_;
    HistoryLogOptions options_;
    std::vector<HistoryRecord> old_;
    std::vector<std::string> numbers_;
    std::vector<HistoryRecord> snapshot_;
    std::string snapshot_bytes_;
    std::string snapshot_path_;
};

TEST_F(CrashMidCompactionTest, TornSnapshotAfterAllOldSegments) {
    const std::size_t torn_at = snapshot_bytes_.size() - 7;  // inside c 1, the last record
    write_file(snapshot_path_, snapshot_bytes_.substr(0, torn_at));

    const Recovered recovered = reopen_and_recover(options_);
    expect_records(recovered.records, old_);  // the snapshot's part only repeats them
    ASSERT_EQ(recovered.warnings.size(), 1u);
    EXPECT_EQ(file_size(snapshot_path_), torn_at - (encoded_size(snapshot_.back()) - 7));
    for (const std::string& name : numbers_) {
        EXPECT_TRUE(std::filesystem::exists(dir_.file(name))) << name;
    }
}

TEST_F(CrashMidCompactionTest, WholeSnapshotAfterAPrefixOfTheOldSegments) {
    write_file(snapshot_path_, snapshot_bytes_);
    // Deletion runs newest first: every old segment but the first is gone.
    for (std::size_t i = 1; i < numbers_.size(); ++i) {
        std::filesystem::remove(dir_.file(numbers_[i]));
    }
    const Recovered recovered = reopen_and_recover(options_);
    EXPECT_TRUE(recovered.warnings.empty());
    // The first old segment held a 1, b 1, a 2; then the snapshot extends each room.
    expect_records(recovered.records, {old_[0], old_[1], old_[2], snapshot_[0], snapshot_[1],
                                       snapshot_[2], snapshot_[3], snapshot_[4], snapshot_[5]});
}

TEST(FileHistoryLogWriterTest, StopWithPendingAppendsWritesThemAll) {
    TempDir dir;
    const HistoryLogOptions options = log_options(dir.path(), FsyncPolicy::Always);
    DoneCounter done;
    constexpr int kCount = 20000;
    {
        auto log = open_log(options);
        ASSERT_TRUE(log);
        recover_all(*log);
        log->start();
        for (int i = 1; i <= kCount; ++i) {
            ASSERT_TRUE(log->append(make_record("/topic/s", static_cast<std::uint64_t>(i)),
                                    done.callback()));
        }
        log->stop();
        EXPECT_EQ(done.ok(), kCount);  // before stop() returned
    }
    EXPECT_EQ(reopen_and_recover(options).records.size(), static_cast<std::size_t>(kCount));
}

// RLIMIT_FSIZE makes the writer's write() fail part-way (EFBIG) in a child process: that
// record's done gets false, the partial bytes are cut, and later appends that fit succeed.
int failed_write_child(const HistoryLogOptions& options) {
    std::string error;
    auto log = open_file_history_log(options, error);
    if (!log) {
        return 10;
    }
    std::vector<std::string> warnings;
    log->recover([](HistoryRecord&&) {}, warnings);
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    limit.rlim_cur = 4096;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
        return 11;
    }
    log->start();
    const std::vector<std::pair<HistoryRecord, bool>> steps = {
        {make_record("/topic/f", 1, std::string(1000, 'a')), true},
        {make_record("/topic/f", 2, std::string(8000, 'b')), false},  // past the limit
        {make_record("/topic/f", 3, std::string(1000, 'c')), true},
    };
    for (const auto& [record, want_ok] : steps) {
        DoneCounter done;
        if (!log->append(record, done.callback()) || !done.wait_for(1)) {
            return 12;
        }
        if ((done.ok() == 1) != want_ok) {
            return 13;
        }
    }
    log->stop();
    return 0;
}

TEST(FileHistoryLogWriterTest, AFailedWriteReportsFalseAndLaterAppendsContinue) {
    TempDir dir;
    const HistoryLogOptions options = log_options(dir.path());
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::_exit(failed_write_child(options));
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);

    const Recovered recovered = reopen_and_recover(options);
    EXPECT_TRUE(recovered.warnings.empty());
    ASSERT_EQ(recovered.records.size(), 2u);
    EXPECT_EQ(recovered.records[0].seq, 1u);
    EXPECT_EQ(recovered.records[1].seq, 3u);
}

// The child appends, waits for every done, says so on a pipe and is killed with SIGKILL:
// nothing acknowledged may be missing when the parent reopens the folder.
void kill_nine_child(const HistoryLogOptions& options, int count, int ready_fd) {
    std::string error;
    auto log = open_file_history_log(options, error);
    if (!log) {
        ::_exit(2);
    }
    std::vector<std::string> warnings;
    log->recover([](HistoryRecord&&) {}, warnings);
    log->start();
    DoneCounter done;
    for (int i = 1; i <= count; ++i) {
        if (!log->append(make_record("/topic/k", static_cast<std::uint64_t>(i)), done.callback())) {
            ::_exit(3);
        }
    }
    if (!done.wait_for(count) || done.failed() != 0) {
        ::_exit(4);
    }
    if (::write(ready_fd, "done", 4) != 4) {
        ::_exit(5);
    }
    for (;;) {
        ::pause();  // killed here, with the log open and its writer running
    }
}

class KillNineTest : public ::testing::TestWithParam<FsyncPolicy> {};

TEST_P(KillNineTest, EveryAcknowledgedRecordSurvives) {
    TempDir dir;
    const HistoryLogOptions options = log_options(dir.path(), GetParam());
    constexpr int kCount = 5000;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        kill_nine_child(options, kCount, fds[1]);
    }
    ::close(fds[1]);
    char buffer[4] = {};
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    ::close(fds[0]);
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(n, 4) << "child exited early, status " << status;
    ASSERT_TRUE(WIFSIGNALED(status));

    const Recovered recovered = reopen_and_recover(options);  // the lock died with the child
    ASSERT_EQ(recovered.records.size(), static_cast<std::size_t>(kCount));
    for (int i = 0; i < kCount; ++i) {
        EXPECT_EQ(recovered.records[static_cast<std::size_t>(i)].seq,
                  static_cast<std::uint64_t>(i + 1));
    }
}

INSTANTIATE_TEST_SUITE_P(Policies, KillNineTest,
                         ::testing::Values(FsyncPolicy::Always, FsyncPolicy::Interval,
                                           FsyncPolicy::Never));

}  // namespace
}  // namespace stampede::storage
