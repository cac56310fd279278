// Worker: one generator thread's epoll loop over its own Conns (client.cpp), pacing the
// publishers and starting connections a few at a time.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "client.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"

namespace stampede::bench {
namespace {

constexpr std::size_t kPublishBurst = 256;  // frames per publisher per loop turn

}  // namespace

Worker::Worker(Run& run, unsigned index, std::size_t max_connecting)
    : run_(run),
      index_(index),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      max_connecting_(max_connecting),
      read_buffer_(new char[kReadBufferBytes]),
      mask_state_(0x9E3779B97F4A7C15ull ^ (std::uint64_t{index} << 32) ^ now_ns()) {}

Worker::~Worker() {
    conns_.clear();
    if (epoll_fd_ >= 0) {
        ::close(epoll_fd_);
    }
}

std::uint32_t Worker::next_mask() {
    // xorshift64*: masks only have to be unpredictable to intermediaries, not secret.
    mask_state_ ^= mask_state_ >> 12;
    mask_state_ ^= mask_state_ << 25;
    mask_state_ ^= mask_state_ >> 27;
    return static_cast<std::uint32_t>((mask_state_ * 0x2545F4914F6CDD1Dull) >> 32);
}

void Worker::add(ConnPlan plan) {
    conns_.push_back(std::make_unique<Conn>(*this, std::move(plan)));
    Conn* conn = conns_.back().get();
    if (conn->plan().role != Role::Publisher) {
        return;
    }
    if (conn->plan().group->rate > 0) {
        paced_.push_back({0, conn});  // all due at once: a valid heap
    } else {
        publishers_.push_back(conn);
    }
}

void Worker::mark_dirty(Conn& conn) {
    if (!conn.dirty) {
        conn.dirty = true;
        dirty_.push_back(&conn);
    }
}

void Worker::connection_ended(Conn& conn, bool was_ready) {
    (void)conn;
    if (was_ready) {
        if (run_.phase.load(std::memory_order_relaxed) != Phase::Done) {
            run_.closed.fetch_add(1, std::memory_order_relaxed);
        }
    } else {
        --connecting_;
        run_.failed.fetch_add(1, std::memory_order_relaxed);
    }
}

void Worker::start_connections() {
    while (connecting_ < max_connecting_ && next_to_start_ < conns_.size()) {
        Conn& conn = *conns_[next_to_start_++];
        if (conn.start()) {
            ++connecting_;
        }
    }
}

std::size_t Worker::pump_one(Conn& publisher, std::uint64_t now, double elapsed_s,
                             std::size_t window, bool& burst_full) {
    burst_full = false;
    if (!publisher.ready()) {
        return 0;
    }
    Group& group = *publisher.plan().group;
    const std::uint64_t sent = publisher.sent();
    std::size_t allowed = kPublishBurst;
    if (group.rate > 0) {
        const auto due =
            static_cast<std::uint64_t>(std::floor(group.rate * elapsed_s + group.phase));
        if (due <= sent) {
            return 0;
        }
        allowed = static_cast<std::size_t>(std::min<std::uint64_t>(allowed, due - sent));
    }
    // Flow control: never more than `window` messages ahead of the slowest receiver.
    const auto lowest = [&group, sent]() {
        if (group.queue) {
            return group.acked.load(std::memory_order_relaxed);
        }
        std::uint64_t low = UINT64_MAX;
        for (std::size_t i = 0; i < group.receivers; ++i) {
            low = std::min(low, group.received[i].load(std::memory_order_relaxed));
        }
        return group.receivers == 0 ? sent : low;
    };
    if (sent - publisher.cached_min >= window) {
        publisher.cached_min = lowest();
    }
    const std::uint64_t in_flight = sent - std::min(sent, publisher.cached_min);
    if (in_flight >= window) {
        return 0;
    }
    allowed = std::min<std::size_t>(allowed, window - in_flight);
    if (!publisher.publish(now, allowed)) {
        return 0;
    }
    burst_full = allowed == kPublishBurst;
    return allowed;
}

bool Worker::pump_publishers(std::uint64_t now) {
    bool more = false;
    const std::size_t window = run_.window.load(std::memory_order_relaxed);
    const std::uint64_t start = run_.publish_start_ns.load(std::memory_order_relaxed);
    const double elapsed_s = now > start ? static_cast<double>(now - start) / 1e9 : 0.0;
    bool burst_full = false;
    for (Conn* publisher : publishers_) {
        pump_one(*publisher, now, elapsed_s, window, burst_full);
        more = more || burst_full;
    }
    constexpr std::uint64_t kRetryNs = 100'000;  // not ready, window full, or buffer full
    while (!paced_.empty() && paced_.front().due_ns <= now) {
        std::pop_heap(paced_.begin(), paced_.end(), std::greater<>{});
        DuePublisher& entry = paced_.back();
        Conn& publisher = *entry.conn;
        const std::size_t published = pump_one(publisher, now, elapsed_s, window, burst_full);
        const Group& group = *publisher.plan().group;
        // The next message falls due when rate * elapsed + phase reaches sent + 1.
        const double next_s =
            (static_cast<double>(publisher.sent() + 1) - group.phase) / group.rate;
        std::uint64_t due =
            start + static_cast<std::uint64_t>(std::ceil(std::max(0.0, next_s) * 1e9));
        if (published == 0 && due <= now) {
            due = now + kRetryNs;  // it was due but could not send: look again shortly
        }
        if (burst_full) {
            more = true;
        }
        entry.due_ns = std::max(due, now + 1);  // never twice in one pass
        std::push_heap(paced_.begin(), paced_.end(), std::greater<>{});
    }
    return more;
}

void Worker::loop() {
    epoll_event events[1024];
    bool more = false;
    while (true) {
        const Phase phase = run_.phase.load(std::memory_order_acquire);
        if (phase == Phase::Done) {
            break;
        }
        start_connections();
        const int timeout = more ? 0 : (phase == Phase::Running ? 1 : 5);
        const int count = ::epoll_wait(epoll_fd_, events, 1024, timeout);
        const std::uint64_t window_start = run_.measure_start_ns.load(std::memory_order_relaxed);
        const std::uint64_t window_end = run_.measure_end_ns.load(std::memory_order_relaxed);
        if (window_start != window_start_) {
            cpu_at_window_start_ = thread_cpu_us();
        }
        if (window_end != window_end_) {
            stats_.cpu_window_us = thread_cpu_us() - cpu_at_window_start_;
        }
        window_start_ = window_start;
        window_end_ = window_end;
        for (int i = 0; i < count; ++i) {
            static_cast<Conn*>(events[i].data.ptr)->on_event(events[i].events);
        }
        more = false;
        if (phase == Phase::Running && (!publishers_.empty() || !paced_.empty())) {
            more = pump_publishers(now_ns());
        }
        for (std::size_t i = 0; i < dirty_.size(); ++i) {
            Conn* conn = dirty_[i];
            conn->dirty = false;
            if (!conn->closed()) {
                conn->flush();
            }
        }
        dirty_.clear();
    }
}

}  // namespace stampede::bench
