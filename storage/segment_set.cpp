// Segment files of the history log: append, roll over, compact. Writer thread only.
#include "storage/segment_set.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <utility>

namespace stampede::storage {

SegmentSet::SegmentSet(std::string dir, std::uint64_t segment_bytes, bool sync_names)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes), sync_names_(sync_names) {}

void SegmentSet::adopt(std::vector<Segment> segments, bool reuse_last) {
    segments_ = std::move(segments);
    current_.reset();
    if (reuse_last && !segments_.empty()) {
        const std::string path = segment_path(dir_, segments_.back().number);
        // Failing here is not fatal: the first append then starts a new segment.
        current_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    }
    update_stored_bytes();
}

bool SegmentSet::open_new(std::string& error) {
    const std::uint64_t number = segments_.empty() ? 1 : segments_.back().number + 1;
    const std::string path = segment_path(dir_, number);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
    if (!fd) {
        error = errno_text("cannot create " + path);
        return false;
    }
    if (sync_names_ && !sync_directory(dir_)) {
        error = errno_text("cannot sync folder " + dir_);
        ::unlink(path.c_str());
        return false;
    }
    segments_.push_back({number, 0});
    current_ = std::move(fd);
    return true;
}

bool SegmentSet::append(std::string_view bytes, std::string& error) {
    if (!current_ && !open_new(error)) {
        return false;
    }
    Segment& segment = segments_.back();
    if (write_all(current_.get(), bytes)) {
        segment.bytes += bytes.size();
        update_stored_bytes();
        return true;
    }
    error = errno_text(std::string("cannot write ").append(segment_path(dir_, segment.number)));
    // A partial write would leave a torn record in the middle of the segment, and recovery
    // stops reading a segment at its first bad record, hiding every later append.
    if (::ftruncate(current_.get(), static_cast<off_t>(segment.bytes)) != 0) {
        current_.reset();
    }
    return false;
}

bool SegmentSet::sync(std::string& error) {
    if (current_ && ::fdatasync(current_.get()) != 0) {
        error = errno_text(
            std::string("cannot sync ").append(segment_path(dir_, segments_.back().number)));
        return false;
    }
    return true;
}

bool SegmentSet::current_full() const {
    return current_ && segments_.back().bytes >= segment_bytes_;
}

void SegmentSet::close_current() { current_.reset(); }

bool SegmentSet::compact(std::string_view snapshot, std::string& error) {
    const std::vector<Segment> old = segments_;
    UniqueFd previous = std::move(current_);
    if (!open_new(error)) {
        current_ = std::move(previous);
        return false;
    }
    const std::string path = segment_path(dir_, segments_.back().number);
    if (!write_all(current_.get(), snapshot) || ::fsync(current_.get()) != 0 ||
        !sync_directory(dir_)) {
        error = errno_text("cannot write snapshot " + path);
        ::unlink(path.c_str());
        segments_.pop_back();
        current_ = std::move(previous);
        return false;
    }
    segments_.back().bytes = snapshot.size();
    previous.reset();
    // Newest first: whatever survives a crash here is the oldest part of the old history,
    // whose records the snapshot then extends (recovery skips each room's repeats by seq).
    // Deleting oldest first could leave newer old records that make the snapshot's older
    // ones look like repeats, and lose them.
    std::vector<Segment> kept;
    // Each deletion is made durable before the next, so a power loss cannot bring back a
    // newer old segment without the older ones.
    for (auto it = old.rbegin(); it != old.rend(); ++it) {
        const bool gone = ::unlink(segment_path(dir_, it->number).c_str()) == 0 || errno == ENOENT;
        if (!gone || (sync_names_ && !sync_directory(dir_))) {
            kept.assign(old.begin(), gone ? std::prev(it.base()) : it.base());
            break;  // what is left stays a prefix; the next compaction deletes it
        }
    }
    kept.push_back(segments_.back());
    segments_ = std::move(kept);
    update_stored_bytes();
    return true;
}

void SegmentSet::update_stored_bytes() {
    std::uint64_t total = 0;
    for (const Segment& segment : segments_) {
        total += segment.bytes;
    }
    stored_bytes_.store(total, std::memory_order_relaxed);
}

}  // namespace stampede::storage
