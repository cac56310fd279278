// OfflineWebhook: the offline hook's own thread (DESIGN.md "Rooms", "Offline hook"). It takes
// the records the OfflineTracker has ready (rooms/offline_tracker.hpp), batches them
// (rooms/hook_batch.hpp: a batch leaves when it holds max_batch records or batch_window_ms
// after its first), and POSTs each batch as JSON with X-Stampede-Signature: sha256=<hex
// HMAC-SHA256 of the body with the secret>. A POST that fails (no answer, 5xx, 408, 429) is
// retried, the same bytes, after a capped exponential backoff; meanwhile new records wait in
// the tracker's bounded queue, which drops (and counts) what does not fit. A 4xx other than
// 408/429 will not get better by retrying: that batch is dropped, counted and logged.
// Never on a shard: its own thread, blocking I/O. Counters any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "core/log.hpp"
#include "core/log_limiter.hpp"
#include "rooms/offline_tracker.hpp"

namespace stampede::broker {

struct WebhookSettings {
    std::string url;
    std::string secret;
    std::size_t max_batch = 100;              // records per POST
    std::int64_t batch_window_ms = 1000;      // a batch leaves at most this long after its first
    std::chrono::milliseconds timeout{5000};  // one POST, connect to answer
    std::int64_t retry_base_ms = 250;         // the first retry's delay; doubles per retry
    std::int64_t retry_cap_ms = 30000;        // the longest delay between retries
};

class OfflineWebhook {
   public:
    OfflineWebhook(rooms::OfflineTracker& tracker, const Logger& log, WebhookSettings settings);
    ~OfflineWebhook();  // stop()
    OfflineWebhook(const OfflineWebhook&) = delete;
    OfflineWebhook& operator=(const OfflineWebhook&) = delete;

    void start();
    /// Stops after the POST in progress, if any; what is still queued is not sent.
    void stop();

    std::uint64_t posts() const { return posts_.load(std::memory_order_relaxed); }
    std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
    std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
    /// Records given up on (refused by the receiver with a 4xx).
    std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

   private:
    struct InFlight {
        std::size_t records = 0;
        std::string body;
        std::string signature;
        unsigned attempts = 0;
        std::int64_t retry_at_ms = 0;
    };
    void run();
    // One POST of `batch`; true when it is done with (delivered or given up).
    bool attempt(InFlight& batch, std::int64_t now_ms);
    void report_drops(std::int64_t now_ms);
    void wait_until(std::int64_t when_ms);

    rooms::OfflineTracker& tracker_;
    const Logger& log_;
    WebhookSettings settings_;
    LogLimiter log_limiter_;
    std::uint64_t drops_logged_ = 0;  // the tracker's drop count last logged
    std::minstd_rand random_;         // retry jitter

    std::mutex mutex_;
    std::condition_variable wake_;
    bool poked_ = false;  // records became ready (guarded by mutex_)
    bool stop_ = false;
    std::thread thread_;

    std::atomic<std::uint64_t> posts_{0};
    std::atomic<std::uint64_t> failures_{0};
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace stampede::broker
