// stampede-bench: a STOMP load generator over WebSocket and TCP (see docs/benchmarks.md).
#include <csignal>

#include "options.hpp"
#include "scenarios.hpp"

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    int exit_code = 0;
    const auto options = stampede::bench::parse_options(argc, argv, exit_code);
    if (!options) {
        return exit_code;
    }
    if (options->scenario == "sink") {
        return stampede::bench::run_sink(*options);
    }
    if (options->scenario == "replay") {
        return stampede::bench::run_replay(*options);
    }
    return stampede::bench::run_scenario(*options);
}
