// Router::match with 10,000 subscriptions of which 20% are wildcards (issue 5: under 200 ns
// per match). Exact subscriptions are chat rooms; the wildcards are the kinds of pattern apps
// use: a room's sub-topics ("room.N.#"), one segment free ("*.N.typing"), a leading "#"
// ("#.alert.N", the costly shape: every match has to try it) and mid-pattern stars.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "core/router.hpp"

namespace {

using stampede::broker::Router;
using stampede::broker::Subscription;

constexpr std::string_view kPrefix = "/topic/";
constexpr int kSubscriptions = 10000;
constexpr int kWildcards = kSubscriptions / 5;

struct Index {
    Router router;
    std::vector<std::unique_ptr<Subscription>> subs;

    void add(const std::string& name, bool wildcard) {
        auto sub = std::make_unique<Subscription>();
        sub->id = "sub-" + std::to_string(subs.size());
        sub->name = name;
        sub->destination = std::string(kPrefix) + name;
        sub->wildcard = wildcard;
        router.add(sub.get());
        subs.push_back(std::move(sub));
    }

    Index() {
        const int exact = kSubscriptions - kWildcards;
        for (int i = 0; i < exact; ++i) {
            add("room." + std::to_string(i % 4000), false);  // 4,000 rooms, 2 members each
        }
        for (int i = 0; i < kWildcards; ++i) {
            switch (i % 4) {
                case 0:
                    add("room." + std::to_string(i) + ".#", true);
                    break;
                case 1:
                    add("*." + std::to_string(i) + ".typing", true);
                    break;
                case 2:
                    add("#.alert." + std::to_string(i), true);
                    break;
                default:
                    add("sensor.*.zone" + std::to_string(i) + ".*", true);
                    break;
            }
        }
    }
};

Index& index() {
    static Index instance;
    return instance;
}

void run_match(benchmark::State& state, const std::vector<std::string>& names) {
    Index& idx = index();
    std::vector<Subscription*> out;
    out.reserve(64);
    std::size_t matched = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        out.clear();
        idx.router.match(kPrefix, names[i++ % names.size()], out);
        matched += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["matches_per_call"] =
        static_cast<double>(matched) / static_cast<double>(state.iterations());
    state.counters["subscriptions"] = static_cast<double>(idx.router.size());
}

std::vector<std::string> names_of(const char* stem, const char* tail, int count, int step,
                                  int offset = 0) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
        names.push_back(std::string(stem) + std::to_string(i * step + offset) + tail);
    }
    return names;
}

// A chat room message: two exact members, plus the wildcard patterns that can match.
void BM_MatchRoom(benchmark::State& state) {
    static const auto names = names_of("room.", "", 1000, 3);
    run_match(state, names);
}
BENCHMARK(BM_MatchRoom);

// A room sub-topic: half are hit by "room.N.#", half by "*.N.typing".
void BM_MatchRoomTyping(benchmark::State& state) {
    static const auto names = names_of("room.", ".typing", 1000, 1);
    run_match(state, names);
}
BENCHMARK(BM_MatchRoomTyping);

// Deeper names, each matched by one leading-"#" pattern.
void BM_MatchAlert(benchmark::State& state) {
    static const auto names = names_of("site.eu.rack7.alert.", "", 500, 4, 2);
    run_match(state, names);
}
BENCHMARK(BM_MatchAlert);

// A topic nobody listens to.
void BM_MatchMiss(benchmark::State& state) {
    static const auto names = names_of("metrics.cpu.host", "", 1000, 1);
    run_match(state, names);
}
BENCHMARK(BM_MatchMiss);

}  // namespace

BENCHMARK_MAIN();
