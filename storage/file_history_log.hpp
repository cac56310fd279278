// FileHistoryLog: the `file` backend's HistoryLog (history_log.hpp) over a folder of segment
// files. One writer thread owns the files after recovery; append() and set_compaction_source()
// may come from any thread and meet the writer only at the queue's mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/history_log.hpp"
#include "storage/log_folder.hpp"
#include "storage/segment_set.hpp"

namespace stampede::storage {

class FileHistoryLog final : public HistoryLog {
   public:
    FileHistoryLog(HistoryLogOptions options, UniqueFd lock, std::string epoch);
    ~FileHistoryLog() override;

    const std::string& epoch() const override { return epoch_; }
    void recover(const std::function<void(HistoryRecord&&)>& each,
                 std::vector<std::string>& warnings) override;
    void start() override;
    bool append(HistoryRecord record, AppendDone done) override;
    void set_compaction_source(std::function<std::vector<HistoryRecord>()> snapshot) override;
    void stop() override;
    std::uint64_t stored_bytes() const override;

   private:
    using Clock = std::chrono::steady_clock;

    void start_locked();
    void run();
    void write_batch();
    void sync_now();
    void after_batch();
    void maybe_compact();

    const HistoryLogOptions options_;
    const UniqueFd lock_;  // holds the folder's flock for the log's lifetime
    const std::string epoch_;

    // recover() (before start) and then the writer thread own the files through this.
    SegmentSet segments_;
    bool recovered_ = false;

    // Shared with appending threads, under mutex_.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string pending_;  // framed records waiting for the writer, in append order
    std::vector<AppendDone> pending_done_;
    bool stopping_ = false;
    std::function<std::vector<HistoryRecord>()> source_;

    // Writer thread only (or the thread calling stop() before start()).
    std::string batch_;
    std::vector<AppendDone> batch_done_;
    std::function<std::vector<HistoryRecord>()> writer_source_;
    bool unsynced_ = false;       // written since the last fdatasync (Interval)
    Clock::time_point sync_due_;  // when the unsynced data must be synced (Interval)
    std::uint64_t last_snapshot_bytes_ = 0;

    std::mutex lifecycle_;  // start() and stop() against each other
    std::thread writer_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace stampede::storage
