// The file backend's HistoryLog: a bounded queue of framed records in front of one writer
// thread that batches them into write()s, syncs by policy and compacts. See docs/storage.md.
#include "storage/file_history_log.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "storage/log_recovery.hpp"
#include "storage/record_codec.hpp"

namespace stampede::storage {

FileHistoryLog::FileHistoryLog(HistoryLogOptions options, UniqueFd lock, std::string epoch)
    : options_(std::move(options)),
      lock_(std::move(lock)),
      epoch_(std::move(epoch)),
      segments_(options_.dir, options_.segment_bytes, options_.fsync != FsyncPolicy::Never) {}

FileHistoryLog::~FileHistoryLog() { stop(); }

void FileHistoryLog::recover(const std::function<void(HistoryRecord&&)>& each,
                             std::vector<std::string>& warnings) {
    RecoveredSegments found = recover_segments(options_.dir, each, warnings);
    segments_.adopt(std::move(found.segments), found.append_to_last);
    recovered_ = true;
}

void FileHistoryLog::start() {
    std::lock_guard lifecycle(lifecycle_);
    if (!stopped_) {
        start_locked();
    }
}

void FileHistoryLog::start_locked() {
    if (started_) {
        return;
    }
    if (!recovered_) {
        // Nobody checked the last segment's tail, so appending to it could bury new records
        // behind a torn one: begin a fresh segment instead.
        std::string error;
        std::vector<SegmentSet::Segment> found;
        for (std::uint64_t number : list_segments(options_.dir, error)) {
            found.push_back({number, 0});
        }
        segments_.adopt(std::move(found), false);
    }
    started_ = true;
    writer_ = std::thread([this] { run(); });
}

bool FileHistoryLog::append(HistoryRecord record, AppendDone done) {
    if (encoded_size(record) - kRecordHeaderBytes > kMaxRecordBodyBytes) {
        return false;  // recovery would take it for garbage
    }
    // Framed (and CRC'd) on the caller's thread, so appending threads share that work and
    // the writer only copies bytes.
    std::string framed;
    encode_record(record, framed);
    bool was_empty = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || pending_.size() + framed.size() > options_.max_queued_bytes) {
            return false;
        }
        was_empty = pending_.empty();
        pending_.append(framed);
        pending_done_.push_back(std::move(done));
    }
    // The writer only sleeps with an empty queue, so only the first append needs to wake it.
    if (was_empty) {
        wake_.notify_one();
    }
    return true;
}

void FileHistoryLog::set_compaction_source(std::function<std::vector<HistoryRecord>()> snapshot) {
    std::lock_guard lock(mutex_);
    source_ = std::move(snapshot);
}

void FileHistoryLog::stop() {
    std::lock_guard lifecycle(lifecycle_);
    if (stopped_) {
        return;
    }
    // Appends queued before start() are still owed their callbacks: a writer drains them.
    start_locked();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
    stopped_ = true;
}

std::uint64_t FileHistoryLog::stored_bytes() const { return segments_.stored_bytes(); }

void FileHistoryLog::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        while (pending_.empty() && !stopping_) {
            if (options_.fsync == FsyncPolicy::Interval && unsynced_) {
                // Idle with unsynced data: sync when the interval runs out, not never.
                if (wake_.wait_until(lock, sync_due_) == std::cv_status::timeout) {
                    lock.unlock();
                    sync_now();
                    lock.lock();
                }
            } else {
                wake_.wait(lock);
            }
        }
        batch_.swap(pending_);
        batch_done_.swap(pending_done_);
        writer_source_ = source_;
        const bool last = stopping_;
        lock.unlock();

        write_batch();
        after_batch();

        lock.lock();
        if (last && pending_.empty()) {
            break;
        }
    }
    lock.unlock();
    if (options_.fsync != FsyncPolicy::Never && unsynced_) {
        sync_now();
    }
}

void FileHistoryLog::write_batch() {
    if (batch_.empty()) {
        return;
    }
    std::string error;
    bool ok = segments_.append(batch_, error);
    if (ok && options_.fsync == FsyncPolicy::Always) {
        // A failed sync may still leave the records on disk; reporting failure is the safe
        // side (the sender retries, recovery drops nothing).
        ok = segments_.sync(error);
    } else if (ok && options_.fsync == FsyncPolicy::Interval && !unsynced_) {
        unsynced_ = true;
        sync_due_ = Clock::now() + std::chrono::milliseconds(options_.fsync_interval_ms);
    }
    for (AppendDone& done : batch_done_) {
        if (done) {
            done(ok);
        }
    }
    batch_.clear();
    batch_done_.clear();
}

void FileHistoryLog::sync_now() {
    std::string error;
    // A failure is not retried: Linux reports a writeback error once and may drop the dirty
    // pages, so a second fdatasync could succeed over data that is gone.
    segments_.sync(error);
    unsynced_ = false;
}

void FileHistoryLog::after_batch() {
    if (unsynced_ && Clock::now() >= sync_due_) {
        sync_now();
    }
    if (segments_.current_full()) {
        // The interval sync only ever reaches the current segment: finish this one first.
        if (options_.fsync != FsyncPolicy::Never && unsynced_) {
            sync_now();
        }
        segments_.close_current();
    }
    maybe_compact();
}

void FileHistoryLog::maybe_compact() {
    if (!writer_source_) {
        return;
    }
    const std::uint64_t threshold = std::max(2 * last_snapshot_bytes_, options_.segment_bytes);
    const std::uint64_t stored = segments_.stored_bytes();
    if (stored <= threshold) {
        return;
    }
    std::string snapshot;
    for (const HistoryRecord& record : writer_source_()) {
        encode_record(record, snapshot);
    }
    std::string error;
    if (segments_.compact(snapshot, error)) {
        last_snapshot_bytes_ = snapshot.size();
        unsynced_ = false;  // the old segments are gone; the snapshot was fsynced
    } else {
        // Not retried on every batch: the next attempt waits for the log to double.
        last_snapshot_bytes_ = stored;
    }
}

}  // namespace stampede::storage

namespace stampede::storage {

std::unique_ptr<HistoryLog> open_file_history_log(const HistoryLogOptions& options,
                                                  std::string& error) {
    if (!make_directories(options.dir, error)) {
        return nullptr;
    }
    UniqueFd lock = lock_folder(options.dir, error);
    if (!lock) {
        return nullptr;
    }
    std::optional<std::string> epoch = load_or_make_epoch(options.dir, error);
    if (!epoch) {
        return nullptr;
    }
    return std::make_unique<FileHistoryLog>(options, std::move(lock), std::move(*epoch));
}

}  // namespace stampede::storage
