// libwebsockets' own log lines (a bad request's "Missing URI in HTTP request", "Ran out of
// header data space", ...) go through the broker's logger, rate limited like the broker's own
// refusal lines: any client can cause them, one per request.
#pragma once

#include "core/log.hpp"

namespace stampede::broker {

/// From now on lws's errors and warnings are written by `logger` (which must outlive every lws
/// context), at most one line of each kind per 10 s, with a count of those held back.
void route_lws_log(const Logger& logger);

}  // namespace stampede::broker
