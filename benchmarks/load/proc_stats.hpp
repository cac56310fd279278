// CPU and memory of a process (the broker, from /proc) and of the generator itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace stampede::bench {

struct ProcessSample {
    std::uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks
    std::uint64_t rss_kb = 0;     // VmRSS
    std::uint64_t threads = 0;
    std::uint64_t at_ns = 0;
};

/// Reads /proc/<pid>/stat and /proc/<pid>/status; nullopt when the process is gone.
std::optional<ProcessSample> sample_process(pid_t pid);
/// CPU use between two samples in percent of one core (200 = two cores busy).
double cpu_percent(const ProcessSample& before, const ProcessSample& after);

struct SelfSample {
    std::uint64_t cpu_us = 0;  // user + system of this process
    std::uint64_t at_ns = 0;
};
SelfSample sample_self();
/// CPU time of the calling thread only (microseconds).
std::uint64_t thread_cpu_us();
double cpu_percent(const SelfSample& before, const SelfSample& after);

/// The whole machine's CPU time from the first line of /proc/stat (clock ticks).
struct MachineSample {
    std::uint64_t busy_ticks = 0;  // user, nice, system
    std::uint64_t irq_ticks = 0;   // irq, softirq
    std::uint64_t total_ticks = 0;
    std::uint64_t at_ns = 0;
};
MachineSample sample_machine();
/// Busy CPU between two samples in percent of one core (200 = both cores of two busy).
double busy_percent(const MachineSample& before, const MachineSample& after);
double irq_percent(const MachineSample& before, const MachineSample& after);

/// Raises RLIMIT_NOFILE (soft, and hard when allowed) to at least `wanted`; returns the soft
/// limit in effect afterwards.
std::uint64_t raise_file_limit(std::uint64_t wanted);

}  // namespace stampede::bench
