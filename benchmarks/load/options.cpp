// stampede-bench command line: --key value or --key=value.
#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>

namespace stampede::bench {
namespace {

constexpr const char* kUsage = R"(usage: stampede-bench SCENARIO [options]
       stampede-bench --self-test [options]      (same as the `sink` scenario)

Scenarios (one JSON line per run on stdout):
  fanout       1 publisher -> --subscribers S on one topic
  rooms        --rooms R x --members M, each room with its own publisher; --rate is the total
  connections  --connections C idle connections, each subscribed once; connect rate, RSS/conn
  queue        1 publisher -> --subscribers competing consumers (ack: client-individual);
               --queues Q: Q such queues (<name>.0 ...), each with its own publisher and
               consumers, --rate shared among them
  relay        publisher on --url, --subscribers S on --url2 (two nodes of a cluster)
  replay       fills a room (<name>.room.replay) with --history H messages, then --subscribers
               S clients SUBSCRIBE at once with a receipt, rounds alternating x-history:H and
               none: SUBSCRIBE-to-RECEIPT latency of each (needs a broker with rooms)
  sink         the generator's own receive ceiling against a built-in sender thread;
               with --rate R: the floor under `rooms`, one MESSAGE per send() at R/s round
               robin over --connections C (what no broker can beat on this machine)

Options:
  --url URL                 ws://host:port/path or tcp://host:port   [ws://127.0.0.1:15674/ws]
  --url2 URL                relay: the subscribers' node
  --transport ws|tcp        checks the URL scheme; for sink, the framing to receive
  --destination-prefix P    topic prefix [/topic/] (RabbitMQ: /topic/ or /exchange/amq.topic/)
  --queue-prefix P          [/queue/]
  --name NAME               destination base name [bench]
  --login L --passcode P    CONNECT credentials; --vhost H for the host header [/]
  --rate R                  msgs/s published in total; 0 = as fast as flow control allows [0]
  --window W                messages a publisher may be ahead of its slowest receiver; 0 =
                            auto: with --rate 0, tried at 16/64/256/1024 during warm-up and
                            the best kept (brokers differ: a deep queue helps one, hurts
                            another); with a rate, 64 [0]
  --duration S --warmup S --drain S --settle S       seconds [10, 1, 30, 0]
                            (the drain ends as soon as every receiver caught up)
  --payload BYTES           body size, at least 43 [128]
  --subscribers S --rooms R --members M --connections C --queues Q
  --idle N                  extra idle subscribed connections during a throughput run [0]
  --history H               replay: messages in the room and x-history asked for [100]
  --source-addresses N      spread connections over 127.0.0.2..(N+1) when the target is
                            loopback and there are many connections [8]; 0 = never
  --max-connecting N        handshakes in flight at once [256]
  -t, --threads N           generator threads (epoll loops) [1]
  --broker-pid PID          sample broker CPU and RSS from /proc
  --broker-pid2 PID         the same for a second broker process (relay: node B)
  --frames-per-write N      sink: MESSAGE frames per write() of the sender [512]
  --frames-per-ws-message N sink over ws: STOMP frames per WebSocket message [1]
  --label TEXT              copied into the JSON output
)";

bool to_size(std::string_view text, std::size_t& out) {
    char* end = nullptr;
    const std::string copy(text);
    const unsigned long long value = std::strtoull(copy.c_str(), &end, 10);
    if (copy.empty() || *end != '\0') {
        return false;
    }
    out = static_cast<std::size_t>(value);
    return true;
}

bool to_double(std::string_view text, double& out) {
    char* end = nullptr;
    const std::string copy(text);
    out = std::strtod(copy.c_str(), &end);
    return !copy.empty() && *end == '\0' && out >= 0;
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
    Options options;
    exit_code = 2;
    std::size_t threads = 1;
    std::size_t pid = 0;
    std::size_t pid2 = 0;
    using Setter = std::function<bool(std::string_view)>;
    const auto text = [](std::string& field) {
        return Setter([&field](std::string_view v) {
            field = std::string(v);
            return true;
        });
    };
    const auto size = [](std::size_t& field) {
        return Setter([&field](std::string_view v) { return to_size(v, field); });
    };
    const auto real = [](double& field) {
        return Setter([&field](std::string_view v) { return to_double(v, field); });
    };
    const std::map<std::string_view, Setter> setters = {
        {"url", text(options.url)},
        {"url2", text(options.url2)},
        {"transport", text(options.transport)},
        {"destination-prefix", text(options.topic_prefix)},
        {"queue-prefix", text(options.queue_prefix)},
        {"name", text(options.name)},
        {"login", text(options.login)},
        {"passcode", text(options.passcode)},
        {"vhost", text(options.vhost)},
        {"label", text(options.label)},
        {"rate", real(options.rate)},
        {"duration", real(options.duration_s)},
        {"warmup", real(options.warmup_s)},
        {"drain", real(options.drain_s)},
        {"settle", real(options.settle_s)},
        {"payload", size(options.payload)},
        {"subscribers", size(options.subscribers)},
        {"rooms", size(options.rooms)},
        {"queues", size(options.queues)},
        {"members", size(options.members)},
        {"connections", size(options.connections)},
        {"idle", size(options.idle)},
        {"history", size(options.history)},
        {"window", size(options.window)},
        {"source-addresses", size(options.source_addresses)},
        {"max-connecting", size(options.max_connecting)},
        {"threads", size(threads)},
        {"broker-pid", size(pid)},
        {"broker-pid2", size(pid2)},
        {"frames-per-write", size(options.frames_per_write)},
        {"frames-per-ws-message", size(options.frames_per_ws_message)},
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            exit_code = 0;
            return std::nullopt;
        }
        if (arg == "--self-test") {
            options.scenario = "sink";
            continue;
        }
        if (arg == "-t") {
            arg = "--threads";
        }
        if (arg.substr(0, 2) != "--") {
            if (!options.scenario.empty()) {
                std::fprintf(stderr, "stampede-bench: one scenario only (got %s)\n", argv[i]);
                return std::nullopt;
            }
            options.scenario = std::string(arg);
            continue;
        }
        arg.remove_prefix(2);
        std::string_view value;
        const auto equals = arg.find('=');
        if (equals != std::string_view::npos) {
            value = arg.substr(equals + 1);
            arg = arg.substr(0, equals);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            std::fprintf(stderr, "stampede-bench: --%.*s needs a value\n",
                         static_cast<int>(arg.size()), arg.data());
            return std::nullopt;
        }
        const auto it = setters.find(arg);
        if (it == setters.end()) {
            std::fprintf(stderr, "stampede-bench: unknown option --%.*s\n%s",
                         static_cast<int>(arg.size()), arg.data(), kUsage);
            return std::nullopt;
        }
        if (!it->second(value)) {
            std::fprintf(stderr, "stampede-bench: bad value for --%.*s: %.*s\n",
                         static_cast<int>(arg.size()), arg.data(), static_cast<int>(value.size()),
                         value.data());
            return std::nullopt;
        }
    }
    options.threads = static_cast<unsigned>(threads == 0 ? 1 : threads);
    options.broker_pid = static_cast<pid_t>(pid);
    options.broker_pid2 = static_cast<pid_t>(pid2);
    static const char* const kScenarios[] = {"fanout", "rooms",  "connections", "queue",
                                             "relay",  "replay", "sink"};
    bool known = false;
    for (const char* name : kScenarios) {
        known = known || options.scenario == name;
    }
    if (!known) {
        std::fprintf(stderr, "stampede-bench: unknown or missing scenario '%s'\n%s",
                     options.scenario.c_str(), kUsage);
        return std::nullopt;
    }
    if (!options.transport.empty() && options.transport != "ws" && options.transport != "tcp") {
        std::fprintf(stderr, "stampede-bench: --transport is ws or tcp\n");
        return std::nullopt;
    }
    if (options.scenario == "relay" && options.url2.empty()) {
        std::fprintf(stderr, "stampede-bench: relay needs --url2\n");
        return std::nullopt;
    }
    exit_code = 0;
    return options;
}

}  // namespace stampede::bench
