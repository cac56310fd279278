// The numbered segment files of one history log folder, and the one being appended to.
// Writer thread only, after recovery has finished with the files; stored_bytes() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log_folder.hpp"

namespace stampede::storage {

class SegmentSet {
   public:
    struct Segment {
        std::uint64_t number = 0;
        std::uint64_t bytes = 0;
    };

    SegmentSet(std::string dir, std::uint64_t segment_bytes, bool sync_names);

    /// Takes the segments found in the folder, oldest first. `reuse_last`: append to the last
    /// one (recovery has checked its tail); otherwise the first append starts a new segment.
    void adopt(std::vector<Segment> segments, bool reuse_last);

    /// Appends `bytes` to the current segment in one write(). On failure the segment is cut
    /// back to its previous end (so no torn record is left for later appends to follow), or,
    /// if even that fails, abandoned for a new one; false with `error` set.
    bool append(std::string_view bytes, std::string& error);

    /// fdatasync of the current segment.
    bool sync(std::string& error);

    /// True when the current segment has passed segment_bytes; the next append starts a new
    /// one. The caller syncs first when its policy wants the old one durable.
    bool current_full() const;
    void close_current();

    /// Writes `snapshot` to a new segment numbered after every other, fsyncs it and its name,
    /// and only then deletes the older segments, newest first: a crash leaves a prefix of the
    /// old segments followed by the whole snapshot, which recovery reads correctly. Appends
    /// continue in the new segment. False (nothing changed but the new file removed) on error.
    bool compact(std::string_view snapshot, std::string& error);

    std::uint64_t stored_bytes() const { return stored_bytes_.load(std::memory_order_relaxed); }
    const std::vector<Segment>& segments() const { return segments_; }

   private:
    bool open_new(std::string& error);
    void update_stored_bytes();

    std::string dir_;
    std::uint64_t segment_bytes_;
    bool sync_names_;  // fsync the folder after creating or deleting a segment
    std::vector<Segment> segments_;
    UniqueFd current_;  // appends go to segments_.back() when open
    std::atomic<std::uint64_t> stored_bytes_{0};
};

}  // namespace stampede::storage
