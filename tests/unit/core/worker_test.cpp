// Worker: tasks run in order off the caller's thread, and limits.max_worker_queue crossed
// (a queue of 1 behind a task that holds the thread).
#include "core/worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace stampede::broker {
namespace {

using std::chrono::seconds;

// Occupies the worker's thread until release() (or destruction), so what is submitted
// meanwhile waits in the queue.
class Blocker {
   public:
    explicit Blocker(Worker& worker) {
        auto started = std::make_shared<std::promise<void>>();
        auto started_future = started->get_future();
        EXPECT_TRUE(worker.submit([started, release = release_future_] {
            started->set_value();
            release.wait();
        }));
        EXPECT_EQ(started_future.wait_for(seconds(10)), std::future_status::ready);
    }
    ~Blocker() { release(); }
    void release() {
        if (!released_) {
            released_ = true;
            release_.set_value();
        }
    }

   private:
    std::promise<void> release_;
    std::shared_future<void> release_future_ = release_.get_future().share();
    bool released_ = false;
};

TEST(WorkerTest, RunsTasksInOrder) {
    std::vector<int> order;
    std::promise<void> done;
    {
        Worker worker(10);
        for (int i = 0; i < 5; ++i) {
            ASSERT_TRUE(worker.submit([&order, i] { order.push_back(i); }));
        }
        ASSERT_TRUE(worker.submit([&done] { done.set_value(); }));
        ASSERT_EQ(done.get_future().wait_for(seconds(10)), std::future_status::ready);
    }
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(WorkerTest, StopDropsWhatWaitsAndFinishesWhatRuns) {
    // At shutdown the shards stop first; a queued task would post its answer to a shard that
    // is about to be destroyed, so stop() drops the queue and waits only for the running one.
    Worker worker(10);
    bool ran_queued = false;
    std::atomic<bool> finished_running{false};
    {
        Blocker blocker(worker);
        ASSERT_TRUE(worker.submit([&ran_queued] { ran_queued = true; }));
        std::thread stopper([&worker] { worker.stop(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        finished_running = true;
        blocker.release();
        stopper.join();
    }
    EXPECT_TRUE(finished_running);
    EXPECT_FALSE(ran_queued);
    EXPECT_FALSE(worker.submit([] {}));
}

TEST(WorkerTest, AFullQueueRefusesTheTaskAndTakesMoreOnceItDrains) {
    Worker worker(1);
    Blocker blocker(worker);  // running, so not in the queue
    std::promise<void> queued_ran;
    bool refused_ran = false;
    EXPECT_TRUE(worker.submit([&queued_ran] { queued_ran.set_value(); }));
    // The queue holds max_worker_queue = 1 task: the next one is refused, never run.
    EXPECT_FALSE(worker.submit([&refused_ran] { refused_ran = true; }));
    blocker.release();
    ASSERT_EQ(queued_ran.get_future().wait_for(seconds(10)), std::future_status::ready);
    std::promise<void> later_ran;
    EXPECT_TRUE(worker.submit([&later_ran] { later_ran.set_value(); }));
    ASSERT_EQ(later_ran.get_future().wait_for(seconds(10)), std::future_status::ready);
    EXPECT_FALSE(refused_ran);
}

TEST(WorkerTest, ALimitChangedOnReloadAppliesToTheNextSubmit) {
    Worker worker(1);
    Blocker blocker(worker);
    EXPECT_TRUE(worker.submit([] {}));
    EXPECT_FALSE(worker.submit([] {}));
    worker.set_max_queued(3);
    EXPECT_TRUE(worker.submit([] {}));
    EXPECT_TRUE(worker.submit([] {}));
    EXPECT_FALSE(worker.submit([] {}));
    worker.set_max_queued(1);  // lowered below what waits: nothing queued is dropped
    EXPECT_FALSE(worker.submit([] {}));
}

}  // namespace
}  // namespace stampede::broker
