// See hook_batch.hpp.
#include "rooms/hook_batch.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/json_escape.hpp"

namespace stampede::rooms {

std::string make_preview(std::string_view body, bool utf8, std::size_t max_bytes) {
    if (!utf8) {
        return {};
    }
    if (body.size() <= max_bytes) {
        return std::string(body);
    }
    std::size_t cut = max_bytes;
    // Back off continuation bytes (10xxxxxx) so the cut never splits a character.
    while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return std::string(body.substr(0, cut));
}

namespace {

void append_record(std::string& out, const HookRecord& record) {
    out += R"({"room":")";
    out += protocol::json_escape(record.room);
    out += fmt::format(R"(","seq":{},"users":[)", record.seq);
    for (std::size_t i = 0; i < record.users.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        out += '"';
        out += protocol::json_escape(record.users[i]);
        out += '"';
    }
    out += R"(],"preview":")";
    out += protocol::json_escape(record.preview);
    out += "\"}";
}

}  // namespace

std::string hook_body(const std::vector<HookRecord>& records) {
    std::string out;
    if (records.size() == 1) {
        append_record(out, records.front());
        return out;
    }
    out += '[';
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        append_record(out, records[i]);
    }
    out += ']';
    return out;
}

void HookBatcher::add(std::vector<HookRecord> records, std::int64_t now_ms) {
    for (HookRecord& record : records) {
        waiting_.push_back({std::move(record), now_ms});
    }
}

bool HookBatcher::due(std::int64_t now_ms) const {
    return !waiting_.empty() &&
           (waiting_.size() >= max_records_ || now_ms >= waiting_.front().since_ms + window_ms_);
}

std::optional<std::int64_t> HookBatcher::deadline() const {
    if (waiting_.empty()) {
        return std::nullopt;
    }
    // A full batch is due at once: its first record's time is in the past.
    return waiting_.size() >= max_records_ ? waiting_.front().since_ms
                                           : waiting_.front().since_ms + window_ms_;
}

std::vector<HookRecord> HookBatcher::take() {
    std::vector<HookRecord> out;
    const std::size_t count = std::min(max_records_, waiting_.size());
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(std::move(waiting_.front().record));
        waiting_.pop_front();
    }
    return out;
}

std::int64_t retry_delay_ms(unsigned attempt, std::int64_t base_ms, std::int64_t cap_ms,
                            double jitter) {
    std::int64_t delay = base_ms;
    for (unsigned i = 1; i < attempt && delay < cap_ms; ++i) {
        delay *= 2;
    }
    delay = std::min(delay, cap_ms);
    return delay - static_cast<std::int64_t>(static_cast<double>(delay) * 0.2 * jitter);
}

}  // namespace stampede::rooms
