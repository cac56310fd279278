// See offline_webhook.hpp. The webhook thread only, except the counters and stop().
#include "core/offline_webhook.hpp"

#include <signal.h>

#include <algorithm>
#include <random>

#include "auth/hmac.hpp"
#include "auth/http_fetch.hpp"
#include "rooms/hook_batch.hpp"

namespace stampede::broker {

namespace {

// Without news the thread still looks every so often: a cheap guard against a lost wake-up.
constexpr std::int64_t kLongestWaitMs = 1000;

// Statuses that say "not now" rather than "never": retried.
bool worth_retrying(int status) {
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

}  // namespace

OfflineWebhook::OfflineWebhook(rooms::OfflineTracker& tracker, const Logger& log,
                               WebhookSettings settings)
    : tracker_(tracker),
      log_(log),
      settings_(std::move(settings)),
      random_(std::random_device{}()) {}

OfflineWebhook::~OfflineWebhook() { stop(); }

void OfflineWebhook::start() {
    tracker_.on_ready([this] {
        const std::lock_guard guard(mutex_);
        poked_ = true;
        wake_.notify_one();
    });
    thread_ = std::thread([this] { run(); });
}

void OfflineWebhook::stop() {
    {
        const std::lock_guard guard(mutex_);
        stop_ = true;
        wake_.notify_one();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    tracker_.on_ready(nullptr);
}

void OfflineWebhook::wait_until(std::int64_t when_ms) {
    std::unique_lock lock(mutex_);
    const auto now = rooms::steady_now_ms();
    const auto delay = std::clamp<std::int64_t>(when_ms - now, 0, kLongestWaitMs);
    wake_.wait_for(lock, std::chrono::milliseconds(delay), [this] { return poked_ || stop_; });
    poked_ = false;
}

void OfflineWebhook::report_drops(std::int64_t now_ms) {
    const std::uint64_t dropped = tracker_.dropped();
    if (dropped == drops_logged_) {
        return;
    }
    if (auto line = log_limiter_.admit("offline hook: queue full, records dropped", now_ms)) {
        log_.warn("{} ({} in all; stampede_offline_hook_dropped_total)", *line, dropped);
        drops_logged_ = dropped;
    }
}

bool OfflineWebhook::attempt(InFlight& batch, std::int64_t now_ms) {
    ++batch.attempts;
    posts_.fetch_add(1, std::memory_order_relaxed);
    const auth::PostResult answer = auth::http_post(
        settings_.url, batch.body,
        {{"Content-Type", "application/json"}, {"X-Stampede-Signature", batch.signature}},
        settings_.timeout);
    if (answer.status >= 200 && answer.status < 300) {
        delivered_.fetch_add(batch.records, std::memory_order_relaxed);
        if (batch.attempts > 1) {
            log_.info("offline hook: {} record(s) delivered after {} attempts", batch.records,
                      batch.attempts);
        }
        return true;
    }
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (!worth_retrying(answer.status)) {
        rejected_.fetch_add(batch.records, std::memory_order_relaxed);
        log_.error("offline hook: {} refused {} record(s): {}; not retried", settings_.url,
                   batch.records, answer.error);
        return true;
    }
    // Jitter keeps a fleet of brokers from retrying in step against a receiver coming back.
    const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    const std::int64_t delay = rooms::retry_delay_ms(batch.attempts, settings_.retry_base_ms,
                                                     settings_.retry_cap_ms, jitter);
    batch.retry_at_ms = now_ms + delay;
    if (auto line = log_limiter_.admit("offline hook: POST failed", now_ms)) {
        log_.warn("{} ({} to {}: {}); retry {} in {} ms", *line, batch.records, settings_.url,
                  answer.error, batch.attempts, delay);
    }
    return false;
}

void OfflineWebhook::run() {
    // Signals belong to the main thread's sigwaitinfo loop.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    rooms::HookBatcher batcher(settings_.max_batch, settings_.batch_window_ms);
    std::optional<InFlight> in_flight;
    while (true) {
        {
            const std::lock_guard guard(mutex_);
            if (stop_) {
                return;
            }
        }
        std::int64_t now = rooms::steady_now_ms();
        // Only as many as one batch: the rest waits in the tracker's bounded queue.
        // (Called even with no room left: it also ends the debounce windows that are due.)
        const std::size_t room =
            settings_.max_batch > batcher.size() ? settings_.max_batch - batcher.size() : 0;
        batcher.add(tracker_.take_ready(now, room), now);
        report_drops(now);
        if (!in_flight && batcher.due(now)) {
            std::vector<rooms::HookRecord> records = batcher.take();
            in_flight.emplace();
            in_flight->records = records.size();
            in_flight->body = rooms::hook_body(records);
            in_flight->signature =
                "sha256=" + auth::hmac_sha256_hex(settings_.secret, in_flight->body);
            in_flight->retry_at_ms = now;
        }
        if (in_flight && now >= in_flight->retry_at_ms) {
            if (attempt(*in_flight, now)) {
                in_flight.reset();
            }
            continue;  // the POST took time: look again before sleeping
        }
        std::int64_t next = now + kLongestWaitMs;
        if (in_flight) {
            next = std::min(next, in_flight->retry_at_ms);
        } else if (const auto due = batcher.deadline()) {
            next = std::min(next, *due);
        }
        if (const auto window = tracker_.next_window_end()) {
            next = std::min(next, *window);
        }
        wait_until(next);
    }
}

}  // namespace stampede::broker
