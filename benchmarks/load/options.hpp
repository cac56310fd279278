// Command line of stampede-bench.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace stampede::bench {

struct Options {
    std::string scenario;  // fanout | rooms | connections | queue | relay | replay | sink
    std::string url = "ws://127.0.0.1:15674/ws";
    std::string url2;                      // relay: where the subscribers connect
    std::string transport;                 // ws | tcp: checks the URLs; picks the sink framing
    std::string topic_prefix = "/topic/";  // --destination-prefix
    std::string queue_prefix = "/queue/";
    std::string name = "bench";  // destination base name
    std::string login;
    std::string passcode;
    std::string vhost = "/";  // CONNECT host header
    std::string label;        // copied into the JSON line
    double rate = 0;          // msgs/s published in total; 0 = as fast as the window allows
    double duration_s = 10;
    double warmup_s = 1;
    double drain_s = 30;  // ends as soon as every receiver caught up
    double settle_s = 0;  // pause between subscribing and publishing (relay: 1)
    std::size_t payload = 128;
    std::size_t subscribers = 1;
    std::size_t rooms = 100;
    std::size_t queues = 1;  // queue: that many queues, each with its publisher and consumers
    std::size_t members = 10;
    std::size_t connections = 1000;
    std::size_t idle = 0;              // extra idle connections, each subscribed once
    std::size_t history = 100;         // replay: messages in the room, and x-history asked for
    std::size_t window = 0;            // messages in flight per publisher; 0 = auto
    std::size_t source_addresses = 8;  // spread over 127.0.0.2.. (0 = never bind)
    std::size_t max_connecting = 256;  // handshakes in progress at once
    unsigned threads = 1;
    pid_t broker_pid = 0;
    pid_t broker_pid2 = 0;  // relay: the second node
    // sink / self-test
    std::size_t frames_per_write = 512;
    std::size_t frames_per_ws_message = 1;
};

/// Parses argv; on error or --help returns nullopt after printing to stderr/stdout, with
/// `exit_code` set (0 for --help).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace stampede::bench
