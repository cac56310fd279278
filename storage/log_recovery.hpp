// Recovery of the file history log: reads every segment of a folder in order, hands each whole
// record to the caller and cuts a torn tail. Runs once, before the writer thread starts.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "storage/history_log.hpp"
#include "storage/segment_set.hpp"

namespace stampede::storage {

/// Reads the segments of `dir` oldest first and calls `each` for every valid record whose seq
/// is above the last one seen for its room (markers included). At the first bad record of the
/// last segment the file is truncated there (a crash tore it, or it is garbage nobody can
/// read past); in an earlier segment the rest of that segment is skipped and left as it is.
/// Either way a warning names the file, the offset and why.
struct RecoveredSegments {
    std::vector<SegmentSet::Segment> segments;  // as they now are, oldest first
    bool append_to_last = true;  // false: the last one could not be read or cut; start anew
};

RecoveredSegments recover_segments(const std::string& dir,
                                   const std::function<void(HistoryRecord&&)>& each,
                                   std::vector<std::string>& warnings);

}  // namespace stampede::storage
