// See room_registry.hpp.
#include "rooms/room_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "protocol/envelope.hpp"

namespace stampede::rooms {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string make_epoch() {
    std::random_device entropy;
    const std::uint64_t value = (std::uint64_t{entropy()} << 32) | entropy();
    return fmt::format("{:016x}", value);
}

bool is_recovered(std::string_view asked_epoch, std::string_view epoch, std::uint64_t since,
                  std::uint64_t first_kept, std::uint64_t latest) {
    return asked_epoch == epoch && since + 1 >= first_kept && since <= latest;
}

RoomRegistry::RoomRegistry(std::vector<RoomRule> rules, std::unique_ptr<storage::HistoryLog> log,
                           RoomStorage storage)
    : rules_(std::move(rules)), log_(std::move(log)), storage_(storage) {
    epoch_ = log_ ? log_->epoch() : make_epoch();
}

RoomRegistry::~RoomRegistry() { stop(); }

const RoomRule* RoomRegistry::rule_for(std::string_view destination) const {
    for (const RoomRule& rule : rules_) {
        if (rule.pattern.matches(destination)) {
            return &rule;
        }
    }
    return nullptr;
}

RoomRegistry::Room* RoomRegistry::find(std::string_view room) const {
    std::shared_lock lock(rooms_lock_);
    const auto it = rooms_.find(std::string(room));
    return it == rooms_.end() ? nullptr : it->second.get();
}

RoomRegistry::Room& RoomRegistry::find_or_add(std::string_view room) {
    if (Room* found = find(room)) {
        return *found;
    }
    std::unique_lock lock(rooms_lock_);
    auto& slot = rooms_[std::string(room)];
    if (!slot) {
        slot = std::make_unique<Room>();
    }
    return *slot;
}

void RoomRegistry::trim(Room& room, const RoomRule& rule, std::int64_t now) {
    while (room.kept.size() > rule.max_messages) {
        room.kept.pop_front();
    }
    while (!room.kept.empty() && now - room.kept.front().time_ms > rule.max_age_ms) {
        room.kept.pop_front();
    }
}

void RoomRegistry::recover(std::vector<std::string>& warnings) {
    if (!log_) {
        return;
    }
    const std::int64_t now = now_ms();
    log_->recover(
        [this](storage::HistoryRecord&& record) {
            const RoomRule* rule = rule_for(record.room);
            if (rule == nullptr) {
                return;  // no longer a room
            }
            Room& room = find_or_add(record.room);
            room.last_seq = std::max(room.last_seq, record.seq);
            if (record.payload.empty()) {
                return;  // a marker: the number only
            }
            protocol::MessagePtr message = protocol::decode_envelope(record.payload);
            if (!message || message->seq != record.seq) {
                return;  // cannot happen with a whole record; never kept half-read
            }
            room.kept.push_back({std::move(message), record.time_ms});
            if (room.kept.size() > rule->max_messages) {
                room.kept.pop_front();
            }
        },
        warnings);
    for (auto& [name, room] : rooms_) {
        if (const RoomRule* rule = rule_for(name)) {
            trim(*room, *rule, now);
        }
    }
}

void RoomRegistry::start() {
    if (log_) {
        log_->set_compaction_source([this] { return snapshot(); });
        log_->start();
    }
}

void RoomRegistry::stop() {
    if (log_ && !stopped_) {
        stopped_ = true;
        log_->stop();
    }
}

protocol::MessagePtr RoomRegistry::append(
    std::string_view name, const RoomRule& rule,
    const std::function<protocol::MessagePtr(const protocol::RoomStamp&)>& make,
    const std::function<void(const protocol::MessagePtr&)>& in_order, storage::AppendDone stored,
    AppendResult& result) {
    Room& room = find_or_add(name);
    std::lock_guard lock(room.lock);
    protocol::RoomStamp stamp;
    stamp.seq = room.last_seq + 1;
    stamp.epoch = epoch_;
    protocol::MessagePtr message = make(stamp);
    const std::int64_t now = now_ms();
    if (log_) {
        storage::HistoryRecord record{std::string(name), stamp.seq, now,
                                      protocol::encode_envelope(*message)};
        auto written = [this, stored = std::move(stored)](bool ok) {
            if (!ok) {
                count_storage_error("the history log could not write a room message");
            }
            if (stored) {
                stored(ok);
            }
        };
        if (!log_->append(std::move(record), std::move(written))) {
            count_storage_error("the history log refused a room message (its queue is full)");
            result = AppendResult::Refused;
            return nullptr;
        }
        result = AppendResult::Storing;
    } else {
        result = AppendResult::Delivered;
    }
    room.last_seq = stamp.seq;
    numbered_.fetch_add(1, std::memory_order_relaxed);
    room.kept.push_back({message, now});
    trim(room, rule, now);
    in_order(message);
    return message;
}

Replay RoomRegistry::last(std::string_view name, const RoomRule& rule, std::size_t count) {
    Replay replay;
    Room* room = find(name);
    if (room == nullptr) {
        return replay;
    }
    std::lock_guard lock(room->lock);
    trim(*room, rule, now_ms());
    replay.latest = room->last_seq;
    const std::size_t from = room->kept.size() - std::min(count, room->kept.size());
    for (std::size_t i = from; i < room->kept.size(); ++i) {
        replay.messages.push_back(room->kept[i].message);
    }
    return replay;
}

Replay RoomRegistry::since(std::string_view name, const RoomRule& rule, std::uint64_t seq,
                           std::string_view epoch) {
    Replay replay;
    const bool same_history = epoch == epoch_;
    Room* room = find(name);
    if (room == nullptr) {
        replay.recovered = same_history && seq == 0;  // nothing was ever published here
        return replay;
    }
    std::lock_guard lock(room->lock);
    trim(*room, rule, now_ms());
    replay.latest = room->last_seq;
    const std::uint64_t first =
        room->kept.empty() ? room->last_seq + 1 : room->kept.front().message->seq;
    replay.recovered = is_recovered(epoch, epoch_, seq, first, room->last_seq);
    if (!same_history) {
        return replay;  // the numbers S refers to are not these: nothing is replayed
    }
    for (const Kept& kept : room->kept) {
        if (kept.message->seq > seq) {
            replay.messages.push_back(kept.message);
        }
    }
    return replay;
}

std::uint64_t RoomRegistry::latest(std::string_view name) const {
    Room* room = find(name);
    if (room == nullptr) {
        return 0;
    }
    std::lock_guard lock(room->lock);
    return room->last_seq;
}

void RoomRegistry::count_storage_error(std::string_view what) {
    storage_errors_.fetch_add(1, std::memory_order_relaxed);
    if (reporter_) {
        reporter_(what);
    }
}

std::size_t RoomRegistry::kept_messages() const {
    std::shared_lock lock(rooms_lock_);
    std::size_t total = 0;
    for (const auto& [name, room] : rooms_) {
        std::lock_guard room_lock(room->lock);
        total += room->kept.size();
    }
    return total;
}

std::vector<storage::HistoryRecord> RoomRegistry::snapshot() const {
    std::vector<storage::HistoryRecord> records;
    std::shared_lock lock(rooms_lock_);
    for (const auto& [name, room] : rooms_) {
        std::lock_guard room_lock(room->lock);
        if (room->kept.empty()) {
            if (room->last_seq > 0) {
                records.push_back({name, room->last_seq, now_ms(), {}});
            }
            continue;
        }
        for (const Kept& kept : room->kept) {
            records.push_back(
                {name, kept.message->seq, kept.time_ms, protocol::encode_envelope(*kept.message)});
        }
    }
    return records;
}

}  // namespace stampede::rooms
