// Phases of one measurement, and the shared part of its JSON line.
#include "harness.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>

#include "payload.hpp"

namespace stampede::bench {

void sleep_seconds(double seconds) {
    if (seconds > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
}

Harness::Harness(const Options& options, Run& run) : options_(options), run_(run) {
    const std::size_t per_worker =
        std::max<std::size_t>(1, options.max_connecting / options.threads);
    for (unsigned i = 0; i < options.threads; ++i) {
        workers_.push_back(std::make_unique<Worker>(run_, i, per_worker));
    }
}

Harness::~Harness() {
    if (!finished_) {
        Results ignored;
        finish(ignored);
    }
}

void Harness::add(ConnPlan plan) {
    workers_[planned_ % workers_.size()]->add(std::move(plan));
    ++planned_;
}

bool Harness::connect(Results& results) {
    results.connections = planned_;
    raise_file_limit(planned_ + 1024);
    if (options_.broker_pid > 0) {
        results.broker_before = sample_process(options_.broker_pid);
    }
    const std::uint64_t started = now_ns();
    for (auto& worker : workers_) {
        threads_.emplace_back([w = worker.get()] { w->loop(); });
    }
    // Generous: a slow broker accepts a few hundred connections a second.
    const double timeout_s = 30.0 + static_cast<double>(planned_) / 200.0;
    std::uint64_t last_progress = 0;
    std::uint64_t last_change = now_ns();
    while (true) {
        const std::uint64_t done = run_.ready.load() + run_.failed.load();
        if (done >= planned_) {
            break;
        }
        if (done != last_progress) {
            last_progress = done;
            last_change = now_ns();
        }
        // Give up when nothing moved for 15 s, or on the overall timeout.
        if (static_cast<double>(now_ns() - started) / 1e9 > timeout_s ||
            static_cast<double>(now_ns() - last_change) / 1e9 > 15.0) {
            break;
        }
        sleep_seconds(0.005);
    }
    results.connect_s = static_cast<double>(now_ns() - started) / 1e9;
    results.ready = run_.ready.load();
    results.failed = run_.failed.load();
    return results.ready == planned_;
}

bool Harness::all_caught_up() const {
    for (const auto& group : run_.groups) {
        const std::uint64_t published = group->published.load();
        if (group->queue) {
            if (group->acked.load() < published) {
                return false;
            }
            continue;
        }
        for (std::size_t i = 0; i < group->receivers; ++i) {
            if (group->received[i].load() < published) {
                return false;
            }
        }
    }
    return true;
}

std::uint64_t Harness::undelivered() const {
    std::uint64_t lost = 0;
    for (const auto& group : run_.groups) {
        const std::uint64_t published = group->published.load();
        if (group->queue) {
            std::uint64_t seen = 0;
            for (std::size_t i = 0; i < group->seen_words; ++i) {
                seen += static_cast<std::uint64_t>(std::popcount(group->seen[i].load()));
            }
            const std::uint64_t tracked =
                std::min<std::uint64_t>(published, group->seen_words * 64);
            lost += tracked > seen ? tracked - seen : 0;
            continue;
        }
        for (std::size_t i = 0; i < group->receivers; ++i) {
            const std::uint64_t got = group->received[i].load();
            lost += published > got ? published - got : 0;  // the tail that never came
        }
    }
    return lost;
}

std::uint64_t Harness::progress() const {
    std::uint64_t total = 0;
    for (const auto& group : run_.groups) {
        if (group->queue) {
            total += group->acked.load();
            continue;
        }
        for (std::size_t i = 0; i < group->receivers; ++i) {
            total += group->received[i].load();
        }
    }
    return total;
}

std::uint64_t Harness::max_in_flight() const {
    std::uint64_t worst = 0;
    for (const auto& group : run_.groups) {
        const std::uint64_t published = group->published.load();
        std::uint64_t low = published;
        if (group->queue) {
            low = std::min(low, group->acked.load());
        }
        for (std::size_t i = 0; !group->queue && i < group->receivers; ++i) {
            low = std::min(low, group->received[i].load());
        }
        worst = std::max(worst, published - low);
    }
    return worst;
}

// Brokers differ in the queue depth they like: a deep one lets one batch writes, another
// slows down as its backlog grows. So with --window 0 and no rate, each candidate window is
// tried for a moment, from small to large, stopping when a larger one no longer helps, and
// the smallest within 5% of the best is kept.
void Harness::tune_window(Results& results) {
    constexpr std::size_t kCandidates[] = {16, 64, 256, 1024};
    constexpr double kSettle = 0.3;
    constexpr double kProbe = 1.0;
    double best = 0;
    for (const std::size_t candidate : kCandidates) {
        run_.window = candidate;
        sleep_seconds(kSettle);
        const std::uint64_t before = progress();
        const std::uint64_t start = now_ns();
        sleep_seconds(kProbe);
        const double rate = static_cast<double>(progress() - before) /
                            (static_cast<double>(now_ns() - start) / 1e9);
        results.window_probes.emplace_back(candidate, rate);
        const double previous = best;
        best = std::max(best, rate);
        if (previous > 0 && rate < previous * 1.10) {
            break;  // no longer worth the extra queueing
        }
    }
    for (const auto& [candidate, rate] : results.window_probes) {
        if (rate >= best * 0.95) {
            run_.window = candidate;
            break;
        }
    }
    // Let a backlog left by a larger probe drain before measuring.
    const std::uint64_t deadline = now_ns() + 30'000'000'000ull;
    while (max_in_flight() > run_.window.load() && now_ns() < deadline) {
        sleep_seconds(0.01);
    }
    sleep_seconds(kSettle);
}

void Harness::measure(Results& results) {
    if (options_.settle_s > 0) {
        sleep_seconds(options_.settle_s);
    }
    const bool tune = options_.window == 0 && options_.rate == 0 && run_.window.load() != SIZE_MAX;
    if (tune) {
        run_.window = 16;
    }
    run_.publish_start_ns = now_ns();
    run_.phase = Phase::Running;
    sleep_seconds(options_.warmup_s);
    if (tune) {
        tune_window(results);
    }
    results.window = run_.window.load();
    const SelfSample self_before = sample_self();
    const MachineSample machine_before = sample_machine();
    if (options_.broker_pid > 0) {
        results.broker_before = sample_process(options_.broker_pid);
    }
    if (options_.broker_pid2 > 0) {
        results.broker2_before = sample_process(options_.broker_pid2);
    }
    const std::uint64_t window_start = now_ns();
    run_.measure_start_ns = window_start;
    sleep_seconds(options_.duration_s);
    const std::uint64_t window_end = now_ns();
    run_.measure_end_ns = window_end;
    const SelfSample self_after = sample_self();
    const MachineSample machine_after = sample_machine();
    results.machine_busy_pct = busy_percent(machine_before, machine_after);
    results.machine_irq_pct = irq_percent(machine_before, machine_after);
    if (options_.broker_pid > 0) {
        results.broker_after = sample_process(options_.broker_pid);
    }
    if (options_.broker_pid2 > 0) {
        results.broker2_after = sample_process(options_.broker_pid2);
    }
    results.window_s = static_cast<double>(window_end - window_start) / 1e9;
    results.generator_cpu_pct = cpu_percent(self_before, self_after);
    run_.phase = Phase::Draining;
    const std::uint64_t drain_start = now_ns();
    results.drained = false;
    while (static_cast<double>(now_ns() - drain_start) / 1e9 < options_.drain_s) {
        if (all_caught_up()) {
            results.drained = true;
            break;
        }
        sleep_seconds(0.01);
    }
    sleep_seconds(0.05);  // let the last loop turns finish their bookkeeping
}

void Harness::hold(Results& results, double seconds) {
    sleep_seconds(2.0);  // let the broker settle after the last handshake
    if (options_.broker_pid > 0) {
        results.broker_after = sample_process(options_.broker_pid);
    }
    const SelfSample self_before = sample_self();
    sleep_seconds(seconds);
    results.window_s = seconds;
    results.generator_cpu_pct = cpu_percent(self_before, sample_self());
}

void Harness::finish(Results& results) {
    if (finished_) {
        return;
    }
    finished_ = true;
    run_.phase = Phase::Done;
    for (auto& thread : threads_) {
        thread.join();
    }
    results.closed = run_.closed.load();
    for (const auto& group : run_.groups) {
        results.published += group->published.load();
    }
    results.undelivered = undelivered();
    for (auto& worker : workers_) {
        const WorkerStats& stats = worker->stats();
        WorkerStats& merged = results.merged;
        merged.latency.merge(stats.latency);
        merged.delivered += stats.delivered;
        merged.delivered_window += stats.delivered_window;
        merged.published_window += stats.published_window;
        merged.lost_gaps += stats.lost_gaps;
        merged.duplicated += stats.duplicated;
        merged.bad_bodies += stats.bad_bodies;
        merged.cpu_window_us += stats.cpu_window_us;
        if (results.window_s > 0) {
            results.busiest_thread_pct =
                std::max(results.busiest_thread_pct,
                         100.0 * static_cast<double>(stats.cpu_window_us) / 1e6 / results.window_s);
        }
        for (const auto& error : stats.errors) {
            merged.note_error(error);
        }
    }
    results.lost = results.merged.lost_gaps;
    workers_.clear();  // closes every socket
    if (results.broker_before && results.broker_after) {
        results.broker_cpu_pct = cpu_percent(*results.broker_before, *results.broker_after);
    }
}

JsonObject results_json(const Options& options, const Results& results) {
    JsonObject json;
    const double window = results.window_s > 0 ? results.window_s : 1;
    const LatencyHistogram& latency = results.merged.latency;
    const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    JsonObject connect;
    connect.add("planned", results.connections)
        .add("held", results.ready - std::min(results.ready, results.closed))
        .add("failed", results.failed)
        .add("closed_later", results.closed)
        .add("seconds", results.connect_s)
        .add("per_s",
             results.connect_s > 0 ? static_cast<double>(results.ready) / results.connect_s : 0.0);
    json.add("connections", connect);
    json.add("window_s", results.window_s);
    if (results.window > 0 && results.window != SIZE_MAX) {
        json.add("flow_window", results.window);
    }
    if (!results.window_probes.empty()) {
        JsonObject probes;
        for (const auto& [candidate, rate] : results.window_probes) {
            probes.add(std::to_string(candidate), rate);
        }
        json.add("window_probes", probes);
    }
    json.add("published", results.published);
    json.add("delivered", results.merged.delivered);
    json.add("publish_rate", static_cast<double>(results.merged.published_window) / window);
    json.add("delivery_rate", static_cast<double>(results.merged.delivered_window) / window);
    JsonObject percentiles;
    percentiles.add("samples", latency.count())
        .add("p50", us(latency.percentile(0.50)))
        .add("p99", us(latency.percentile(0.99)))
        .add("p999", us(latency.percentile(0.999)))
        .add("max", us(latency.max()))
        .add("mean", latency.mean() / 1000.0);
    json.add("latency_us", percentiles);
    json.add("lost", results.lost);
    json.add("undelivered", results.undelivered);
    json.add("duplicated", results.merged.duplicated);
    json.add("drained", results.drained);
    if (results.merged.bad_bodies > 0) {
        json.add("bad_bodies", results.merged.bad_bodies);
    }
    JsonObject broker;
    if (options.broker_pid > 0) {
        broker.add("pid", static_cast<long>(options.broker_pid));
        if (results.broker_cpu_pct >= 0) {
            broker.add("cpu_pct", results.broker_cpu_pct);
        }
        if (results.broker_after) {
            broker.add("rss_kb", results.broker_after->rss_kb);
            broker.add("threads", results.broker_after->threads);
        }
    }
    json.add("broker", broker);
    if (results.broker2_before && results.broker2_after) {
        JsonObject second;
        second.add("pid", static_cast<long>(options.broker_pid2))
            .add("cpu_pct", cpu_percent(*results.broker2_before, *results.broker2_after))
            .add("rss_kb", results.broker2_after->rss_kb);
        json.add("broker2", second);
    }
    JsonObject generator;
    generator.add("threads", options.threads)
        .add("cpu_pct", results.generator_cpu_pct)
        .add("busiest_thread_pct", results.busiest_thread_pct)
        // A worker thread near 100% of a core means the figure may be the generator's limit.
        .add("saturated", results.busiest_thread_pct >= 90.0);
    json.add("generator", generator);
    if (results.machine_busy_pct >= 0) {
        // What other processes (compilers of other engineers...) took during the window.
        JsonObject machine;
        // Softirq work can be charged to a process and to irq time both: an estimate.
        double ours = results.generator_cpu_pct + std::max(0.0, results.broker_cpu_pct);
        if (results.broker2_before && results.broker2_after) {
            ours += cpu_percent(*results.broker2_before, *results.broker2_after);
        }
        const double everything = results.machine_busy_pct + results.machine_irq_pct;
        machine.add("cores", static_cast<long>(sysconf(_SC_NPROCESSORS_ONLN)))
            .add("busy_pct", results.machine_busy_pct)
            .add("irq_pct", results.machine_irq_pct)
            .add("others_pct", std::max(0.0, everything - ours));
        json.add("machine", machine);
    }
    json.add("errors", results.merged.errors);
    return json;
}

}  // namespace stampede::bench
