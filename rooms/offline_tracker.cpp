// See offline_tracker.hpp.
#include "rooms/offline_tracker.hpp"

#include <algorithm>
#include <map>

namespace stampede::rooms {

void OfflineTracker::enable(std::int64_t debounce_ms, std::size_t max_ready,
                            std::size_t max_pending) {
    const std::lock_guard guard(lock_);
    debounce_ms_ = debounce_ms;
    max_ready_ = max_ready;
    max_pending_ = max_pending;
    enabled_.store(true, std::memory_order_release);
}

void OfflineTracker::on_ready(std::function<void()> listener) {
    const std::lock_guard guard(lock_);
    listener_ = std::move(listener);
}

void OfflineTracker::session_opened(std::string_view principal, std::int64_t now_ms) {
    if (!enabled()) {
        return;
    }
    const std::lock_guard guard(lock_);
    // A window that ended before this came back counts, even if the webhook thread has not
    // looked yet: its messages are reported.
    bool was_empty = false;
    expire_windows(now_ms, was_empty);
    if (was_empty && listener_) {
        listener_();
    }
    User& user = users_[std::string(principal)];
    ++user.sessions;
    // Back within the window: what waited for it is not reported (it will see it itself).
    returned_.fetch_add(user.pending.size(), std::memory_order_relaxed);
    user.pending.clear();
    user.window_end = 0;
}

void OfflineTracker::session_closed(std::string_view principal, std::int64_t now_ms) {
    if (!enabled()) {
        return;
    }
    const std::lock_guard guard(lock_);
    const auto found = users_.find(std::string(principal));
    if (found == users_.end() || found->second.sessions == 0) {
        return;
    }
    User& user = found->second;
    if (--user.sessions > 0) {
        return;
    }
    if (debounce_ms_ == 0) {
        users_.erase(found);  // offline at once: an unknown principal is an offline one
        return;
    }
    user.window_end = now_ms + debounce_ms_;
    windows_.emplace_back(user.window_end, found->first);
}

void OfflineTracker::push_ready(HookRecord record, bool& was_empty) {
    if (ready_.size() >= max_ready_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    was_empty = was_empty || ready_.empty();
    reported_.fetch_add(1, std::memory_order_relaxed);
    ready_.push_back(std::move(record));
}

void OfflineTracker::message(std::string_view room, std::uint64_t seq, std::string_view sender,
                             std::string_view preview, const Members& members,
                             std::int64_t now_ms) {
    if (!enabled()) {
        return;
    }
    std::vector<std::string> away;
    std::shared_ptr<const Pending> waiting;  // made once, shared by every member in a window
    const std::lock_guard guard(lock_);
    // Lock order: the tracker's, then Members' (which never calls back here).
    members.for_each_member(room, [&](const std::string& member) {
        if (member == sender) {
            return;  // a sender is never offline for its own message
        }
        const auto found = users_.find(member);
        if (found == users_.end()) {
            away.push_back(member);
            return;
        }
        User& user = found->second;
        if (user.sessions > 0) {
            return;
        }
        if (now_ms < user.window_end) {
            if (user.pending.size() >= max_pending_) {
                dropped_.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            if (!waiting) {
                waiting = std::make_shared<const Pending>(
                    Pending{std::string(room), seq, std::string(preview)});
            }
            user.pending.push_back(waiting);
            return;
        }
        away.push_back(member);
    });
    if (away.empty()) {
        return;
    }
    bool was_empty = false;
    push_ready(HookRecord{std::string(room), seq, std::move(away), std::string(preview)},
               was_empty);  // sorted already: Members keeps a room's members sorted
    if (was_empty && listener_) {
        listener_();
    }
}

void OfflineTracker::expire_windows(std::int64_t now_ms, bool& was_empty) {
    // The messages of every member whose window ended, one record per message with all of
    // those members (a std::map keeps the records in room and number order).
    std::map<std::pair<std::string, std::uint64_t>, HookRecord> records;
    while (!windows_.empty() && windows_.front().first <= now_ms) {
        const auto [end, principal] = std::move(windows_.front());
        windows_.pop_front();
        const auto found = users_.find(principal);
        if (found == users_.end() || found->second.sessions > 0 ||
            found->second.window_end != end) {
            continue;  // came back (and maybe left again: a later window stands for it)
        }
        for (const auto& pending : found->second.pending) {
            HookRecord& record = records[{pending->room, pending->seq}];
            if (record.users.empty()) {
                record.room = pending->room;
                record.seq = pending->seq;
                record.preview = pending->preview;
            }
            record.users.push_back(principal);
        }
        users_.erase(found);
    }
    for (auto& [key, record] : records) {
        std::sort(record.users.begin(), record.users.end());
        push_ready(std::move(record), was_empty);
    }
}

std::vector<HookRecord> OfflineTracker::take_ready(std::int64_t now_ms, std::size_t max) {
    const std::lock_guard guard(lock_);
    bool was_empty = false;
    expire_windows(now_ms, was_empty);
    std::vector<HookRecord> out;
    const std::size_t count = std::min(max, ready_.size());
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(std::move(ready_.front()));
        ready_.pop_front();
    }
    return out;
}

std::size_t OfflineTracker::ready() const {
    const std::lock_guard guard(lock_);
    return ready_.size();
}

std::optional<std::int64_t> OfflineTracker::next_window_end() const {
    const std::lock_guard guard(lock_);
    if (windows_.empty()) {
        return std::nullopt;
    }
    return windows_.front().first;
}

}  // namespace stampede::rooms
