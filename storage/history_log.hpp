// HistoryLog: the durable copy of every room's history, for the `file` storage backend. Reads
// never come from here: the rooms keep their history in memory (rooms/room_history), and this
// log only appends, recovers at start and compacts. Records of all rooms share one sequence of
// append-only segment files, each record with its own CRC. Thread-safe where stated.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace stampede::storage {

/// One stored room message, or (empty payload) a marker that the room's sequence reached
/// `seq`: compaction keeps one for a room whose messages all aged out, so numbers are never
/// reused after a restart.
struct HistoryRecord {
    std::string room;  // the room's destination, e.g. "/topic/room.42"
    std::uint64_t seq = 0;
    std::int64_t time_ms = 0;  // when it was published (ms since the epoch)
    std::string payload;       // the message, encoded by the caller; empty = marker
};

enum class FsyncPolicy {
    Always,    // fsync before an append completes: nothing completed is lost, even on power loss
    Interval,  // fsync every `fsync_interval_ms`: a power loss loses at most that much
    Never,     // the kernel decides: a power loss loses what it had not written back
};

struct HistoryLogOptions {
    std::string dir;  // created if missing
    FsyncPolicy fsync = FsyncPolicy::Interval;
    std::uint32_t fsync_interval_ms = 100;
    std::uint64_t segment_bytes = 64ull << 20;     // a new segment file past this size
    std::uint64_t max_queued_bytes = 64ull << 20;  // appends waiting for the writer
};

/// Called on the writer thread when an append is written (and synced, with Always): `ok`
/// false when the write failed (disk full, I/O error); the record is then not stored.
using AppendDone = std::function<void(bool ok)>;

class HistoryLog {
   public:
    virtual ~HistoryLog() = default;

    /// The history's identity: made once when the directory is first used and kept in it,
    /// so it changes exactly when the stored history is lost (a new or emptied directory).
    virtual const std::string& epoch() const = 0;

    /// Before start(): hands every whole record to `each`, oldest first. A torn or corrupt
    /// tail (kill -9, a bad sector) is cut at the last whole record and reported in
    /// `warnings`; it never throws or aborts. A record whose seq is not above the last one
    /// seen for its room (written again around a compaction) is skipped.
    virtual void recover(const std::function<void(HistoryRecord&&)>& each,
                         std::vector<std::string>& warnings) = 0;

    /// Starts the writer thread.
    virtual void start() = 0;

    /// Thread-safe. Queues `record`; `done` runs on the writer thread once it is written.
    /// False (and `done` is not called) when max_queued_bytes are already waiting or the log
    /// is stopped: the caller reports a storage error to the sender.
    virtual bool append(HistoryRecord record, AppendDone done) = 0;

    /// Thread-safe. Asks the writer to rewrite the log from `snapshot` (called on the writer
    /// thread; it returns every record the rooms still keep, plus markers), once the segments
    /// hold more than twice what the last snapshot held (and at least one whole segment).
    /// Records appended meanwhile are written after the snapshot; recovery skips the repeats.
    virtual void set_compaction_source(std::function<std::vector<HistoryRecord>()> snapshot) = 0;

    /// Writes and syncs what is queued, completes every pending append, joins the writer.
    virtual void stop() = 0;

    /// Bytes in the segment files now (metrics, tests).
    virtual std::uint64_t stored_bytes() const = 0;
};

/// Opens (creating if needed) the log in options.dir; null with `error` set when the folder
/// cannot be created, read or locked (another process already has it open).
std::unique_ptr<HistoryLog> open_file_history_log(const HistoryLogOptions& options,
                                                  std::string& error);

}  // namespace stampede::storage
