// /proc readers and rusage for the generator's reports.
#include "proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "payload.hpp"

namespace stampede::bench {

std::optional<ProcessSample> sample_process(pid_t pid) {
    ProcessSample sample;
    sample.at_ns = now_ns();
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) {
        return std::nullopt;
    }
    // The command name may hold spaces: fields are counted from the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14) {
            utime = std::stoull(field);
        } else if (index == 15) {
            stime = std::stoull(field);
            break;
        }
    }
    sample.cpu_ticks = utime + stime;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, text)) {
        if (text.rfind("VmRSS:", 0) == 0) {
            sample.rss_kb = std::stoull(text.substr(6));
        } else if (text.rfind("Threads:", 0) == 0) {
            sample.threads = std::stoull(text.substr(8));
        }
    }
    return sample;
}

double cpu_percent(const ProcessSample& before, const ProcessSample& after) {
    const double seconds = static_cast<double>(after.at_ns - before.at_ns) / 1e9;
    if (seconds <= 0) {
        return 0;
    }
    const double ticks = static_cast<double>(after.cpu_ticks - before.cpu_ticks);
    return 100.0 * ticks / static_cast<double>(sysconf(_SC_CLK_TCK)) / seconds;
}

SelfSample sample_self() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    SelfSample sample;
    sample.cpu_us =
        static_cast<std::uint64_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000u +
        static_cast<std::uint64_t>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    sample.at_ns = now_ns();
    return sample;
}

std::uint64_t thread_cpu_us() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return static_cast<std::uint64_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double cpu_percent(const SelfSample& before, const SelfSample& after) {
    const double seconds = static_cast<double>(after.at_ns - before.at_ns) / 1e9;
    return seconds > 0 ? 100.0 * static_cast<double>(after.cpu_us - before.cpu_us) / 1e6 / seconds
                       : 0;
}

MachineSample sample_machine() {
    MachineSample sample;
    sample.at_ns = now_ns();
    std::ifstream stat("/proc/stat");
    std::string label;
    stat >> label;  // "cpu"
    std::uint64_t value = 0;
    for (int field = 0; field < 10 && stat >> value; ++field) {
        sample.total_ticks += value;
        // user nice system idle iowait irq softirq steal guest guest_nice. Processes are
        // charged user and system time; interrupt and softirq time (where loopback TCP is
        // mostly processed) is nobody's, so it is counted apart.
        if (field <= 2) {
            sample.busy_ticks += value;
        } else if (field == 5 || field == 6) {
            sample.irq_ticks += value;
        }
    }
    return sample;
}

double busy_percent(const MachineSample& before, const MachineSample& after) {
    const double seconds = static_cast<double>(after.at_ns - before.at_ns) / 1e9;
    if (seconds <= 0) {
        return 0;
    }
    return 100.0 * static_cast<double>(after.busy_ticks - before.busy_ticks) /
           static_cast<double>(sysconf(_SC_CLK_TCK)) / seconds;
}

double irq_percent(const MachineSample& before, const MachineSample& after) {
    const double seconds = static_cast<double>(after.at_ns - before.at_ns) / 1e9;
    if (seconds <= 0) {
        return 0;
    }
    return 100.0 * static_cast<double>(after.irq_ticks - before.irq_ticks) /
           static_cast<double>(sysconf(_SC_CLK_TCK)) / seconds;
}

std::uint64_t raise_file_limit(std::uint64_t wanted) {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur >= wanted) {
        return limit.rlim_cur;
    }
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (raised.rlim_max < wanted) {
        raised.rlim_max = wanted;  // works as root (up to fs.nr_open)
    }
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        raised.rlim_cur = limit.rlim_max;
        raised.rlim_max = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &raised);
    }
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

}  // namespace stampede::bench
