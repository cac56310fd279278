// Worker: a thread for slow work that must never run on a shard (PBKDF2 checks, JWKS
// fetches). Tasks post their results back to a shard's inbox themselves. Any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace stampede::broker {

class Worker {
   public:
    /// `max_queued`: tasks waiting beyond the one running (limits.max_worker_queue).
    explicit Worker(std::size_t max_queued);
    ~Worker();  // stop()
    /// Drops the queued tasks, waits for the one running, joins; submit() refuses from then
    /// on. Called by the server once its shards have stopped, before they are destroyed: a
    /// task posts its answer to a shard, which must still exist (its inbox refuses the post).
    void stop();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// False when the queue is full (the caller refuses the work).
    bool submit(std::function<void()> task);
    /// SIGHUP: applies to the next submit; tasks already queued stay.
    void set_max_queued(std::size_t max_queued);

   private:
    void run();
    std::size_t max_queued_;  // guarded by mutex_
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace stampede::broker
