// The scenarios of issue 5: each builds its groups and connections, runs the Harness and
// prints one JSON line.
#pragma once

#include "options.hpp"

namespace stampede::bench {

/// fanout, rooms, connections, queue, relay. Returns the process exit code.
int run_scenario(const Options& options);
/// replay: SUBSCRIBE-to-RECEIPT time with and without x-history (replay.cpp).
int run_replay(const Options& options);
/// sink: the generator's own receive ceiling against a built-in sender (self_test.cpp).
int run_sink(const Options& options);

}  // namespace stampede::bench
