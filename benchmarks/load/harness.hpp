// Harness: runs one measurement over a set of planned connections. It owns the worker threads
// and walks the phases: connect everything, publish for warm-up + duration, drain, stop. Then
// it merges what the workers saw and computes loss per group.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "client.hpp"
#include "json.hpp"
#include "options.hpp"
#include "proc_stats.hpp"

namespace stampede::bench {

struct Results {
    WorkerStats merged;
    std::size_t connections = 0;
    std::uint64_t ready = 0;
    std::uint64_t failed = 0;
    std::uint64_t closed = 0;
    double connect_s = 0;
    double window_s = 0;
    std::uint64_t published = 0;    // all groups, whole run
    std::uint64_t lost = 0;         // topics: gaps (a later message came, this one never)
    std::uint64_t undelivered = 0;  // not received when the drain ended (tail, queue misses)
    bool drained = true;            // every receiver caught up before --drain ran out
    double generator_cpu_pct = 0;
    double busiest_thread_pct = 0;
    std::optional<ProcessSample> broker_before;  // at the start of the window (or of connecting)
    std::optional<ProcessSample> broker_after;
    double broker_cpu_pct = -1;
    std::optional<ProcessSample> broker2_before;
    std::optional<ProcessSample> broker2_after;
    double machine_busy_pct = -1;  // user+system of every process, in percent of one core
    double machine_irq_pct = -1;   // interrupt and softirq time (loopback TCP lands here)
    std::size_t window = 0;        // flow-control window in force during the measurement
    std::vector<std::pair<std::size_t, double>> window_probes;  // auto: window -> deliveries/s
};

class Harness {
   public:
    Harness(const Options& options, Run& run);
    ~Harness();

    /// Connection `index` of the run goes to worker index % threads.
    void add(ConnPlan plan);
    std::size_t size() const { return planned_; }

    /// Starts the workers and waits until every connection is ready or has failed.
    /// Returns false when some could not be set up.
    bool connect(Results& results);
    /// Publishes for warm-up + duration (the measurement window), then drains until every
    /// receiver has caught up or --drain seconds have passed.
    void measure(Results& results);
    /// Holds the connections for `seconds` (connections scenario), sampling the broker.
    void hold(Results& results, double seconds);
    /// Stops the workers and merges their statistics.
    void finish(Results& results);

    Run& run() { return run_; }

   private:
    bool all_caught_up() const;
    /// Deliveries so far (in-order receipts for topics, acks for queues), all groups.
    std::uint64_t progress() const;
    /// Largest distance between a publisher and its slowest receiver.
    std::uint64_t max_in_flight() const;
    void tune_window(Results& results);
    std::uint64_t undelivered() const;

    const Options& options_;
    Run& run_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::thread> threads_;
    std::size_t planned_ = 0;
    bool finished_ = false;
};

/// The common part of every result line: connection counts, rates, latency, loss, CPU, RSS.
JsonObject results_json(const Options& options, const Results& results);

void sleep_seconds(double seconds);

}  // namespace stampede::bench
