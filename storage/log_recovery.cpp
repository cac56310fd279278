// Startup recovery of the file history log's segments. Startup thread only.
#include "storage/log_recovery.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <string_view>
#include <unordered_map>

#include "storage/record_codec.hpp"

namespace stampede::storage {
namespace {

// Cuts a torn last segment at `offset` and makes the new length durable, so the writer's
// first append lands right after the last whole record.
bool truncate_at(const std::string& path, std::uint64_t offset, std::string& error) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0 || ::fsync(fd.get()) != 0) {
        error = errno_text("cannot truncate " + path);
        return false;
    }
    return true;
}

}  // namespace

RecoveredSegments recover_segments(const std::string& dir,
                                   const std::function<void(HistoryRecord&&)>& each,
                                   std::vector<std::string>& warnings) {
    std::string error;
    const std::vector<std::uint64_t> numbers = list_segments(dir, error);
    if (!error.empty()) {
        warnings.push_back(error);
    }
    std::unordered_map<std::string, std::uint64_t> last_seq;
    RecoveredSegments recovered;
    std::string bytes;
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        const bool is_last = i + 1 == numbers.size();
        const std::string path = segment_path(dir, numbers[i]);
        if (!read_whole_file(path, bytes, error)) {
            warnings.push_back(fmt::format("{}; its records are skipped", error));
            recovered.segments.push_back({numbers[i], 0});
            recovered.append_to_last = !is_last;
            continue;
        }
        const std::string_view view(bytes);
        std::size_t offset = 0;
        HistoryRecord record;
        for (;;) {
            const DecodeResult result = decode_record(view.substr(offset), record);
            if (result.status == DecodeStatus::End) {
                break;
            }
            if (result.status != DecodeStatus::Ok) {
                const std::size_t rest = view.size() - offset;
                if (!is_last) {
                    warnings.push_back(fmt::format(
                        "{}: offset {}: {}; skipped the rest of this segment ({} bytes)", path,
                        offset, result.why, rest));
                } else if (truncate_at(path, offset, error)) {
                    warnings.push_back(fmt::format("{}: offset {}: {}; cut {} bytes there", path,
                                                   offset, result.why, rest));
                    bytes.resize(offset);
                } else {
                    warnings.push_back(
                        fmt::format("{}: offset {}: {}; {}", path, offset, result.why, error));
                    recovered.append_to_last = false;
                }
                break;
            }
            offset += result.size;
            // Repeats come from compaction: records queued while the snapshot was taken are
            // written both in it and after it; an interrupted compaction leaves old segments
            // whose records the snapshot repeats.
            auto [it, fresh] = last_seq.try_emplace(record.room, record.seq);
            if (!fresh) {
                if (record.seq <= it->second) {
                    continue;
                }
                it->second = record.seq;
            }
            each(std::move(record));
            record = HistoryRecord{};
        }
        recovered.segments.push_back({numbers[i], bytes.size()});
    }
    return recovered;
}

}  // namespace stampede::storage
