// The generator's connections and event loop: one Worker per thread, each an epoll loop over
// its own Conns (STOMP over WebSocket or TCP). Workers share only the Run (phase, times, and
// per-group counters held in atomics), so -t N scales without locks.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "histogram.hpp"
#include "stomp_scanner.hpp"
#include "ws_codec.hpp"

namespace stampede::bench {

struct Endpoint {
    bool websocket = true;
    std::string host;
    std::uint16_t port = 0;
    std::string path = "/";
    sockaddr_in address{};
};
/// ws://host:port/path or tcp://host:port (IPv4 literals or resolvable names).
std::optional<Endpoint> parse_url(std::string_view url, std::string& error);

enum class Role : std::uint8_t { Publisher, Subscriber, Consumer, Idle };
enum class Phase : int { Connecting, Running, Draining, Done };

/// One destination with its publisher and receivers; shared by every worker.
struct Group {
    std::string destination;
    double rate = 0;     // msgs/s for this group's publisher; 0 = window only
    double phase = 0;    // 0..1, staggers paced publishers
    bool queue = false;  // receivers compete (queue) instead of each getting every message
    std::size_t receivers = 0;
    std::uint32_t publisher_id = 0;
    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> acked{0};                     // queue: acknowledged deliveries
    std::unique_ptr<std::atomic<std::uint64_t>[]> received;  // topic: per receiver, in order
    // Queue: one bit per sequence number seen by any consumer (loss/duplicate detection).
    std::unique_ptr<std::atomic<std::uint64_t>[]> seen;
    std::size_t seen_words = 0;
};

/// What every worker reads and the controller writes.
struct Run {
    std::atomic<Phase> phase{Phase::Connecting};
    std::atomic<std::uint64_t> publish_start_ns{0};
    std::atomic<std::uint64_t> measure_start_ns{UINT64_MAX};
    std::atomic<std::uint64_t> measure_end_ns{UINT64_MAX};
    std::atomic<std::uint64_t> ready{0};    // connections CONNECTED (+ subscribed)
    std::atomic<std::uint64_t> failed{0};   // connections that could not be set up
    std::atomic<std::uint64_t> closed{0};   // ready connections lost later
    std::atomic<std::size_t> window{1000};  // messages in flight per group (may be tuned live)
    std::size_t payload = 128;
    std::string login;
    std::string passcode;
    std::string vhost = "/";
    std::string subprotocol = "v12.stomp";
    std::vector<std::unique_ptr<Group>> groups;
};

/// A connection to create.
struct ConnPlan {
    Role role = Role::Idle;
    const Endpoint* endpoint = nullptr;
    Group* group = nullptr;
    std::size_t member = 0;       // receiver slot in its group
    std::string destination;      // Idle: what it subscribes to ("" = nothing)
    std::uint32_t source_ip = 0;  // host order; 0 = let the kernel choose
};

/// Per-worker results, merged by the controller.
struct WorkerStats {
    LatencyHistogram latency;
    std::uint64_t delivered = 0;         // every MESSAGE received
    std::uint64_t delivered_window = 0;  // those sent inside the measurement window
    std::uint64_t published_window = 0;
    std::uint64_t lost_gaps = 0;  // topic: sequence gaps seen while running
    std::uint64_t duplicated = 0;
    std::uint64_t bad_bodies = 0;
    std::uint64_t cpu_window_us = 0;  // this worker thread's CPU inside the window
    std::vector<std::string> errors;  // first few distinct problems
    void note_error(std::string text);
};

class Worker;

class Conn final : private WsSink, private StompSink {
   public:
    Conn(Worker& worker, ConnPlan plan);
    ~Conn() override;
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    bool start();  // socket + non-blocking connect
    void on_event(std::uint32_t events);
    void flush();
    bool publish(std::uint64_t now, std::size_t count);  // Publisher only
    void close(std::string_view why, bool counted_as_loss);

    const ConnPlan& plan() const { return plan_; }
    bool ready() const { return state_ == State::Ready; }
    bool closed() const { return state_ == State::Closed; }
    std::uint64_t next_sequence() const { return next_sequence_; }
    std::uint64_t sent() const { return sent_; }

    bool dirty = false;            // queued in the worker's flush list
    std::uint64_t cached_min = 0;  // Publisher: lowest receiver count last seen

   private:
    enum class State : std::uint8_t {
        Idle,
        Connecting,
        Upgrading,
        StompConnecting,
        Subscribing,
        Ready,
        Closed
    };

    void on_connected_socket();
    void on_readable();
    void on_bytes(std::string_view bytes);
    void on_ws_data(std::string_view piece) override;
    void on_ws_control(WsOpcode opcode, std::string_view payload) override;
    void on_stomp_frame(const StompFrame& frame) override;
    void on_message(const StompFrame& frame);
    void became_ready();
    void send_stomp(std::string_view frame);
    void update_interest();

    Worker& worker_;
    ConnPlan plan_;
    int fd_ = -1;
    State state_ = State::Idle;
    bool want_write_ = false;
    std::string out_;
    std::size_t out_offset_ = 0;
    std::string http_head_;
    std::string ws_key_;
    WsDecoder ws_;
    StompScanner stomp_;
    // Receivers
    std::uint64_t next_sequence_ = 0;
    std::uint64_t received_ = 0;
    // Publishers
    std::string send_head_;
    std::string body_;
    std::uint64_t sent_ = 0;
};

class Worker {
   public:
    Worker(Run& run, unsigned index, std::size_t max_connecting);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void add(ConnPlan plan);
    /// Runs until the run's phase is Done.
    void loop();

    Run& run() { return run_; }
    WorkerStats& stats() { return stats_; }
    int epoll_fd() const { return epoll_fd_; }
    std::uint64_t receive_time() const { return receive_time_; }
    std::uint32_t next_mask();
    void mark_dirty(Conn& conn);
    void connection_ended(Conn& conn, bool was_ready);
    char* read_buffer() { return read_buffer_.get(); }
    static constexpr std::size_t kReadBufferBytes = 256 * 1024;
    const std::vector<std::unique_ptr<Conn>>& conns() const { return conns_; }

   private:
    void start_connections();
    /// Returns true when some publisher still had room and should be pumped again at once.
    bool pump_publishers(std::uint64_t now);
    /// Publishes what `publisher` may send now (its rate, the flow-control window, a burst);
    /// returns how many, or 0.
    std::size_t pump_one(Conn& publisher, std::uint64_t now, double elapsed_s, std::size_t window,
                         bool& burst_full);

    // A publisher at a fixed rate, keyed by when it is next due: with a thousand rooms, a
    // heap touches the few that are due instead of every publisher on every loop turn.
    struct DuePublisher {
        std::uint64_t due_ns;
        Conn* conn;
        bool operator>(const DuePublisher& other) const { return due_ns > other.due_ns; }
    };

    Run& run_;
    unsigned index_;
    int epoll_fd_ = -1;
    std::size_t max_connecting_;
    std::size_t connecting_ = 0;
    std::size_t next_to_start_ = 0;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::vector<Conn*> publishers_;    // as fast as the window allows (no rate)
    std::vector<DuePublisher> paced_;  // with a rate: a min-heap on due_ns
    std::vector<Conn*> dirty_;
    WorkerStats stats_;
    std::unique_ptr<char[]> read_buffer_;
    std::uint64_t receive_time_ = 0;
    std::uint64_t window_start_ = UINT64_MAX;  // the run's measurement window, read per turn
    std::uint64_t window_end_ = UINT64_MAX;
    std::uint64_t cpu_at_window_start_ = 0;
    std::uint64_t mask_state_;
    friend class Conn;
};

}  // namespace stampede::bench
