// What the offline hook adds to a room message on the publish path
// (OfflineTracker::message, rooms/offline_tracker.hpp): one walk over the room's members, a
// hash lookup each, under the tracker's and Members' locks. Rooms of 10, 100 and 1,000
// members, everyone online (nothing reported: the common case in a busy room) or everyone
// offline (one record of all of them, taken away every 1,000 messages as the webhook thread
// would). The debounce window case costs like the offline one plus a shared pointer per member.
#include <benchmark/benchmark.h>

#include <string>

#include "rooms/offline_tracker.hpp"

namespace {

using stampede::rooms::Members;
using stampede::rooms::OfflineTracker;

constexpr const char* kRoom = "/topic/room.42";

void members_of(Members& members, OfflineTracker& tracker, int count, bool online) {
    for (int i = 0; i < count; ++i) {
        const std::string who = "user:" + std::to_string(i);
        members.join(who, kRoom, 0);
        if (online) {
            tracker.session_opened(who, 0);
        }
    }
}

void BM_MessageAllOnline(benchmark::State& state) {
    Members members;
    OfflineTracker tracker;
    tracker.enable(5000);
    members_of(members, tracker, static_cast<int>(state.range(0)), true);
    for (auto _ : state) {
        tracker.message(kRoom, 1, "user:0", "hello", members, 1);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_MessageAllOffline(benchmark::State& state) {
    Members members;
    OfflineTracker tracker;
    tracker.enable(5000, 1000000);
    members_of(members, tracker, static_cast<int>(state.range(0)), false);
    std::int64_t sent = 0;
    for (auto _ : state) {
        tracker.message(kRoom, 1, "", "hello", members, 1);
        if (++sent % 1000 == 0) {
            benchmark::DoNotOptimize(tracker.take_ready(1));
        }
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_HookDisabled(benchmark::State& state) {
    Members members;
    OfflineTracker tracker;  // no webhook configured
    members_of(members, tracker, 1000, false);
    for (auto _ : state) {
        tracker.message(kRoom, 1, "", "hello", members, 1);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_MessageAllOnline)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_MessageAllOffline)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_HookDisabled);

}  // namespace

BENCHMARK_MAIN();
