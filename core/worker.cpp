// Worker thread. Any thread may submit.
#include "core/worker.hpp"

#include <signal.h>

namespace stampede::broker {

Worker::Worker(std::size_t max_queued) : max_queued_(max_queued), thread_([this] { run(); }) {}

Worker::~Worker() { stop(); }

void Worker::stop() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        tasks_.clear();  // their shards are stopping: nobody is left to take the answers
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool Worker::submit(std::function<void()> task) {
    {
        const std::lock_guard lock(mutex_);
        if (stopping_ || tasks_.size() >= max_queued_) {
            return false;
        }
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
}

void Worker::set_max_queued(std::size_t max_queued) {
    const std::lock_guard lock(mutex_);
    max_queued_ = max_queued;
}

void Worker::run() {
    // Signals belong to the main thread's sigwaitinfo loop; this thread may start before the
    // main thread blocks them.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    while (true) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (stopping_ || tasks_.empty()) {
                return;
            }
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        try {
            task();
        } catch (...) {
            // A task reports its own failures; nothing may kill the worker.
        }
    }
}

}  // namespace stampede::broker
