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
    Worker();
    ~Worker();  // finishes queued tasks, then joins
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// False when the queue is full (the caller refuses the work).
    bool submit(std::function<void()> task);

   private:
    void run();
    static constexpr std::size_t kMaxQueued = 10000;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace stampede::broker
