// fanout, rooms, connections, queue and relay.
#include "scenarios.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "harness.hpp"
#include "payload.hpp"

namespace stampede::bench {
namespace {

constexpr std::uint32_t kFirstSourceAddress = 0x7F000002;      // 127.0.0.2
constexpr std::size_t kQueueSeenWords = std::size_t{1} << 22;  // 268M sequence numbers, 32 MiB

Group& add_group(Run& run, std::string destination, std::size_t receivers) {
    auto group = std::make_unique<Group>();
    group->destination = std::move(destination);
    group->receivers = receivers;
    group->publisher_id = static_cast<std::uint32_t>(run.groups.size());
    group->received =
        std::make_unique<std::atomic<std::uint64_t>[]>(receivers == 0 ? 1 : receivers);
    for (std::size_t i = 0; i < receivers; ++i) {
        group->received[i] = 0;
    }
    run.groups.push_back(std::move(group));
    return *run.groups.back();
}

bool loopback(const Endpoint& endpoint) {
    return (ntohl(endpoint.address.sin_addr.s_addr) >> 24) == 127;
}

// Spreads connections over 127.0.0.2.. when there are more than one address's ephemeral
// ports can carry (about 28k), or always for the connections scenario.
class SourceAddresses {
   public:
    SourceAddresses(const Options& options, const Endpoint& endpoint, std::size_t total)
        : count_(options.source_addresses) {
        const bool wanted = options.scenario == "connections" || total > 20000;
        if (!wanted || !loopback(endpoint)) {
            count_ = 0;
        }
    }
    std::uint32_t next() {
        return count_ == 0 ? 0 : kFirstSourceAddress + static_cast<std::uint32_t>(next_++ % count_);
    }

   private:
    std::size_t count_;
    std::size_t next_ = 0;
};

std::string iso_time() {
    char buffer[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buffer;
}

JsonObject params_json(const Options& options) {
    JsonObject params;
    params.add("payload", options.payload)
        .add("rate", options.rate)
        .add("window", options.window == 0 ? std::string("auto") : std::to_string(options.window));
    params.add("duration_s", options.duration_s).add("warmup_s", options.warmup_s);
    if (options.scenario == "fanout" || options.scenario == "relay" ||
        options.scenario == "queue") {
        params.add("subscribers", options.subscribers);
    }
    if (options.scenario == "rooms") {
        params.add("rooms", options.rooms).add("members", options.members);
    }
    if (options.scenario == "queue") {
        params.add("queues", options.queues);
    }
    if (options.scenario == "connections") {
        params.add("connections", options.connections);
    }
    if (options.idle > 0) {
        params.add("idle", options.idle);
    }
    return params;
}

}  // namespace

int run_scenario(const Options& options) {
    std::string error;
    const auto endpoint = parse_url(options.url, error);
    std::optional<Endpoint> endpoint2;
    if (endpoint && !options.url2.empty()) {
        endpoint2 = parse_url(options.url2, error);
    }
    if (!endpoint || (!options.url2.empty() && !endpoint2)) {
        std::fprintf(stderr, "stampede-bench: %s\n", error.c_str());
        return 2;
    }
    if (!options.transport.empty() && (options.transport == "ws") != endpoint->websocket) {
        std::fprintf(stderr, "stampede-bench: --transport %s does not match %s\n",
                     options.transport.c_str(), options.url.c_str());
        return 2;
    }
    Run run;
    // Auto: start at the largest candidate; the harness tunes it during warm-up.
    // With a rate the window only guards against overrunning a broker that cannot keep up.
    run.window = options.window != 0 ? options.window : options.rate > 0 ? 64 : 1024;
    run.payload = options.payload;
    run.login = options.login;
    run.passcode = options.passcode;
    run.vhost = options.vhost;
    const std::string& scenario = options.scenario;
    const std::string topic = options.topic_prefix + options.name;

    std::size_t total = options.idle;
    if (scenario == "fanout" || scenario == "relay") {
        total += 1 + options.subscribers;
    } else if (scenario == "queue") {
        total += options.queues * (1 + options.subscribers);
    } else if (scenario == "rooms") {
        total += options.rooms * (options.members + 1);
    } else if (scenario == "connections") {
        total += options.connections;
    }
    SourceAddresses sources(options, *endpoint, total);
    Harness harness(options, run);

    const auto add_idle = [&](std::size_t count, const std::string& stem) {
        for (std::size_t i = 0; i < count; ++i) {
            ConnPlan plan;
            plan.role = Role::Idle;
            plan.endpoint = &*endpoint;
            plan.destination = stem + std::to_string(i);
            plan.source_ip = sources.next();
            harness.add(std::move(plan));
        }
    };
    const auto add_receivers = [&](Group& group, Role role, const Endpoint& at) {
        for (std::size_t i = 0; i < group.receivers; ++i) {
            ConnPlan plan;
            plan.role = role;
            plan.endpoint = &at;
            plan.group = &group;
            plan.member = i;
            plan.source_ip = sources.next();
            harness.add(std::move(plan));
        }
    };
    const auto add_publisher = [&](Group& group) {
        ConnPlan plan;
        plan.role = Role::Publisher;
        plan.endpoint = &*endpoint;
        plan.group = &group;
        plan.source_ip = sources.next();
        harness.add(std::move(plan));
    };

    add_idle(options.idle, topic + ".idle.");
    if (scenario == "fanout" || scenario == "relay") {
        Group& group = add_group(run, topic, options.subscribers);
        group.rate = options.rate;
        add_receivers(group, Role::Subscriber, scenario == "relay" ? *endpoint2 : *endpoint);
        add_publisher(group);
    } else if (scenario == "queue") {
        const std::size_t queues = std::max<std::size_t>(options.queues, 1);
        for (std::size_t q = 0; q < queues; ++q) {
            std::string name = options.queue_prefix;
            name += options.name;
            if (queues > 1) {
                name += '.';
                name += std::to_string(q);
            }
            Group& group = add_group(run, name, options.subscribers);
            group.rate = options.rate / static_cast<double>(queues);
            group.phase = static_cast<double>(q) / static_cast<double>(queues);
            group.queue = true;
            group.seen_words = kQueueSeenWords;
            group.seen = std::make_unique<std::atomic<std::uint64_t>[]>(kQueueSeenWords);
            for (std::size_t i = 0; i < kQueueSeenWords; ++i) {
                group.seen[i] = 0;
            }
            add_receivers(group, Role::Consumer, *endpoint);
        }
        for (auto& group : run.groups) {
            add_publisher(*group);
        }
    } else if (scenario == "rooms") {
        for (std::size_t r = 0; r < options.rooms; ++r) {
            Group& group = add_group(run, topic + ".room." + std::to_string(r), options.members);
            group.rate = options.rate / static_cast<double>(options.rooms);
            group.phase = static_cast<double>(r) / static_cast<double>(options.rooms);
            add_receivers(group, Role::Subscriber, *endpoint);
        }
        for (auto& group : run.groups) {
            add_publisher(*group);
        }
    } else if (scenario == "connections") {
        add_idle(options.connections, topic + ".conn.");
    }

    Results results;
    const bool connected = harness.connect(results);
    const auto baseline = results.broker_before;  // before the first connection
    if (scenario == "connections") {
        harness.hold(results, options.duration_s);
        results.broker_before.reset();  // CPU over connect + hold is not a useful figure
    } else if (connected) {
        harness.measure(results);
    }
    harness.finish(results);

    JsonObject json;
    json.add("scenario", scenario).add("time", iso_time());
    if (!options.label.empty()) {
        json.add("label", options.label);
    }
    json.add("transport", endpoint->websocket ? "ws" : "tcp").add("url", options.url);
    if (!options.url2.empty()) {
        json.add("url2", options.url2);
    }
    json.add("destination", scenario == "queue" ? options.queue_prefix + options.name : topic);
    json.add("params", params_json(options));
    json.add("completed", connected || scenario == "connections");
    JsonObject body = results_json(options, results);
    json.add("results", body);
    if (scenario == "connections" && baseline && results.broker_after) {
        const std::uint64_t held = results.ready - std::min(results.ready, results.closed);
        const std::int64_t grown_kb = static_cast<std::int64_t>(results.broker_after->rss_kb) -
                                      static_cast<std::int64_t>(baseline->rss_kb);
        JsonObject memory;
        memory.add("rss_before_kb", baseline->rss_kb)
            .add("rss_after_kb", results.broker_after->rss_kb)
            .add("rss_per_connection_bytes",
                 held > 0 ? static_cast<double>(grown_kb) * 1024.0 / static_cast<double>(held)
                          : 0.0);
        json.add("broker_memory", memory);
    }
    std::printf("%s\n", json.str().c_str());
    std::fflush(stdout);
    return connected || scenario == "connections" ? 0 : 1;
}

}  // namespace stampede::bench
