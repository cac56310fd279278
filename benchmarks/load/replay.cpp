// replay: what a SUBSCRIBE with x-history costs (issue 12). One publisher fills a room with
// --history messages, then --subscribers clients SUBSCRIBE to it at once, each asking for a
// receipt, in rounds that alternate between `x-history:H` and a plain SUBSCRIBE, so drift in
// the machine's load hits both alike. The figure is the time from sending a SUBSCRIBE to
// receiving its RECEIPT, which the broker sends after the replayed MESSAGEs. After each round
// every client UNSUBSCRIBEs (with a receipt) before the next starts. Rounds run for --warmup
// (not recorded) + --duration seconds; one JSON line on stdout.
//
// Deliberately simple: blocking sockets and poll(), one thread. The broker does the work
// measured here; the client only reads a few KB per SUBSCRIBE.
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <vector>

#include "client.hpp"
#include "histogram.hpp"
#include "json.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"
#include "scenarios.hpp"

namespace stampede::bench {
namespace {

constexpr std::uint64_t kReceiptTimeoutNs = 10'000'000'000;  // 10 s for any one receipt
constexpr std::size_t kReadBytes = 64 * 1024;

// One STOMP connection with blocking writes; reads happen when poll() says so.
class ReplayClient final : private WsSink, private StompSink {
   public:
    ~ReplayClient() override {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    bool open(const Endpoint& endpoint, const Options& options) {
        endpoint_ = &endpoint;
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        if (fd_ < 0 || ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
            ::connect(fd_, reinterpret_cast<const sockaddr*>(&endpoint.address),
                      sizeof endpoint.address) != 0) {
            return fail(std::string("connect: ") + std::strerror(errno));
        }
        if (endpoint.websocket) {
            const std::string key = make_websocket_key();
            if (!write_all(make_upgrade_request(endpoint.host, endpoint.port, endpoint.path, key,
                                                "v12.stomp"))) {
                return false;
            }
            std::string head;
            while (head.find("\r\n\r\n") == std::string::npos) {
                char c = 0;  // byte by byte: nothing after the head may be swallowed
                if (::read(fd_, &c, 1) != 1 || head.size() > 16384) {
                    return fail("no WebSocket upgrade");
                }
                head.push_back(c);
            }
            if (const std::string problem = check_upgrade_response(head, key); !problem.empty()) {
                return fail(problem);
            }
        }
        if (!send(connect_frame(options.vhost, options.login, options.passcode))) {
            return false;
        }
        const std::uint64_t deadline = now_ns() + kReceiptTimeoutNs;
        while (!connected_ && error_.empty() && now_ns() < deadline) {
            receive_within(100);
        }
        return connected_ || fail(error_.empty() ? "no CONNECTED" : error_);
    }

    // receive() if something arrives within `ms`; true when nothing went wrong.
    bool receive_within(int ms) {
        pollfd one{fd_, POLLIN, 0};
        const int ready = ::poll(&one, 1, ms);
        return ready == 0 || (ready < 0 && errno == EINTR) || (ready > 0 && receive());
    }

    bool send(std::string_view stomp) {
        if (!endpoint_->websocket) {
            return write_all(stomp);
        }
        std::string frame;
        append_client_frame(frame, WsOpcode::Text, stomp, mask_());
        return write_all(frame);
    }

    // One read (blocks until something arrives); false when the connection is gone.
    bool receive() {
        char buffer[kReadBytes];
        const ssize_t got = ::read(fd_, buffer, sizeof buffer);
        if (got <= 0) {
            return got < 0 && errno == EINTR ? true : fail("connection closed by the broker");
        }
        const std::string_view bytes(buffer, static_cast<std::size_t>(got));
        const bool good = endpoint_->websocket ? ws_.feed(bytes, *this) : stomp_.feed(bytes, *this);
        return good || fail("bad frame from the broker");
    }

    int fd() const { return fd_; }
    const std::string& error() const { return error_; }

    // Set when a RECEIPT arrives: its id, when, and how many replayed MESSAGEs came before it.
    std::string receipt;
    std::uint64_t receipt_ns = 0;
    std::uint64_t replayed_at_receipt = 0;
    std::uint64_t replayed = 0;         // MESSAGE frames marked x-replay:true, ever
    std::uint64_t replayed_before = 0;  // `replayed` when the round started

   private:
    bool fail(std::string why) {
        if (error_.empty()) {
            error_ = std::move(why);
        }
        return false;
    }
    bool write_all(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t put = ::write(fd_, bytes.data(), bytes.size());
            if (put < 0 && errno == EINTR) {
                continue;
            }
            if (put <= 0) {
                return fail(std::string("write: ") + std::strerror(errno));
            }
            bytes.remove_prefix(static_cast<std::size_t>(put));
        }
        return true;
    }
    void on_ws_data(std::string_view piece) override {
        if (!stomp_.feed(piece, *this)) {
            fail("bad STOMP frame from the broker");
        }
    }
    void on_ws_control(WsOpcode opcode, std::string_view payload) override {
        if (opcode == WsOpcode::Ping) {
            std::string pong;
            append_client_frame(pong, WsOpcode::Pong, payload, mask_());
            write_all(pong);
        } else if (opcode == WsOpcode::Close) {
            fail("WebSocket closed by the broker");
        }
    }
    void on_stomp_frame(const StompFrame& frame) override {
        if (frame.command == "MESSAGE") {
            replayed += frame.header("x-replay") == std::optional<std::string_view>("true");
        } else if (frame.command == "RECEIPT") {
            receipt = std::string(frame.header("receipt-id").value_or(""));
            receipt_ns = now_ns();
            replayed_at_receipt = replayed;
        } else if (frame.command == "CONNECTED") {
            connected_ = true;
        } else if (frame.command == "ERROR") {
            fail("ERROR: " + std::string(frame.header("message").value_or(frame.body)));
        }
    }

    const Endpoint* endpoint_ = nullptr;
    int fd_ = -1;
    bool connected_ = false;
    std::string error_;
    WsDecoder ws_;
    StompScanner stomp_;
    std::minstd_rand mask_{std::random_device{}()};
};

// Reads until every client holds the receipt `id`; false on a timeout or a broken connection.
bool await_receipts(std::vector<std::unique_ptr<ReplayClient>>& clients, const std::string& id) {
    std::vector<pollfd> fds;
    const std::uint64_t deadline = now_ns() + kReceiptTimeoutNs;
    while (now_ns() < deadline) {
        fds.clear();
        for (const auto& client : clients) {
            if (!client->error().empty()) {
                return false;
            }
            if (client->receipt != id) {
                fds.push_back({client->fd(), POLLIN, 0});
            }
        }
        if (fds.empty()) {
            return true;
        }
        if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) {
            return false;
        }
        std::size_t next = 0;
        for (const auto& client : clients) {
            if (client->receipt == id) {
                continue;
            }
            if ((fds[next++].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !client->receive()) {
                return false;
            }
        }
    }
    return false;
}

// SUBSCRIBE latencies of one variant (with or without x-history).
struct Variant {
    LatencyHistogram latency;
    std::uint64_t replayed = 0;       // replayed MESSAGEs before the receipts, all subscribes
    std::uint64_t short_replays = 0;  // subscribes that got fewer than expected

    JsonObject json() const {
        const auto us = [&](double q) { return static_cast<double>(latency.percentile(q)) / 1e3; };
        JsonObject out;
        out.add("subscribes", latency.count())
            .add("p50_us", us(0.5))
            .add("p99_us", us(0.99))
            .add("p999_us", us(0.999))
            .add("max_us", static_cast<double>(latency.max()) / 1e3)
            .add("mean_us", latency.mean() / 1e3)
            .add("replayed_per_subscribe",
                 latency.count() ? static_cast<double>(replayed) / latency.count() : 0.0)
            .add("short_replays", short_replays);
        return out;
    }
};

std::string subscribe(const std::string& destination, const std::string& id, std::size_t history) {
    std::string frame =
        "SUBSCRIBE\ndestination:" + destination + "\nid:" + id + "\nack:auto\nreceipt:" + id + "\n";
    if (history > 0) {
        frame += "x-history:" + std::to_string(history) + "\n";
    }
    frame += "\n";
    frame.push_back('\0');
    return frame;
}

std::string unsubscribe(const std::string& id) {
    std::string frame = "UNSUBSCRIBE\nid:" + id + "\nreceipt:u" + id + "\n\n";
    frame.push_back('\0');
    return frame;
}

double load_average() {
    double one = -1;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &one) != 1) {
            one = -1;
        }
        std::fclose(f);
    }
    return one;
}

int report_failure(const std::string& what, const ReplayClient* client) {
    std::fprintf(stderr, "stampede-bench replay: %s%s%s\n", what.c_str(), client ? ": " : "",
                 client ? client->error().c_str() : "");
    return 1;
}

}  // namespace

int run_replay(const Options& options) {
    std::string error;
    const auto endpoint = parse_url(options.url, error);
    if (!endpoint) {
        std::fprintf(stderr, "stampede-bench: %s\n", error.c_str());
        return 2;
    }
    // Under `<name>.room.` like the rooms scenario's destinations, so one rooms pattern
    // (for example /topic/bench.room.*) covers both.
    const std::string destination = options.topic_prefix + options.name + ".room.replay";
    raise_file_limit(options.subscribers + 64);

    // Fill the room: --history SENDs, the last with a receipt.
    ReplayClient publisher;
    if (!publisher.open(*endpoint, options)) {
        return report_failure("publisher", &publisher);
    }
    const std::string body(options.payload, 'x');
    for (std::size_t i = 0; i < options.history; ++i) {
        std::string frame =
            "SEND\ndestination:" + destination +
            "\ncontent-type:text/plain\ncontent-length:" + std::to_string(body.size()) + "\n";
        frame += i + 1 == options.history ? "receipt:filled\n\n" : "\n";
        frame += body;
        frame.push_back('\0');
        if (!publisher.send(frame)) {
            return report_failure("filling the room", &publisher);
        }
    }
    std::vector<std::unique_ptr<ReplayClient>> clients;
    for (std::size_t i = 0; i < options.subscribers; ++i) {
        clients.push_back(std::make_unique<ReplayClient>());
        if (!clients.back()->open(*endpoint, options)) {
            return report_failure("subscriber " + std::to_string(i), clients.back().get());
        }
    }
    if (options.history > 0) {
        const std::uint64_t deadline = now_ns() + kReceiptTimeoutNs;
        while (publisher.receipt != "filled") {
            if (!publisher.receive_within(100) || now_ns() > deadline) {
                return report_failure("waiting for the fill receipt", &publisher);
            }
        }
    }

    Variant with_history;
    Variant without_history;
    std::vector<std::uint64_t> sent_ns(clients.size());
    const double load_before = load_average();
    const std::uint64_t start = now_ns();
    const auto warm_end = start + static_cast<std::uint64_t>(options.warmup_s * 1e9);
    const auto end = warm_end + static_cast<std::uint64_t>(options.duration_s * 1e9);
    std::uint64_t rounds = 0;
    std::optional<ProcessSample> broker_at_warm_end;
    for (; now_ns() < end; ++rounds) {
        const bool replay = rounds % 2 == 0;
        const bool recorded = now_ns() >= warm_end;
        if (recorded && !broker_at_warm_end && options.broker_pid > 0) {
            broker_at_warm_end = sample_process(options.broker_pid);
        }
        const std::string id = std::to_string(rounds);
        const std::string frame = subscribe(destination, id, replay ? options.history : 0);
        for (std::size_t i = 0; i < clients.size(); ++i) {
            sent_ns[i] = now_ns();
            if (!clients[i]->send(frame)) {
                return report_failure("SUBSCRIBE", clients[i].get());
            }
        }
        if (!await_receipts(clients, id)) {
            return report_failure("no RECEIPT for SUBSCRIBE in round " + id, nullptr);
        }
        Variant& variant = replay ? with_history : without_history;
        for (std::size_t i = 0; recorded && i < clients.size(); ++i) {
            ReplayClient& client = *clients[i];
            variant.latency.record(client.receipt_ns - sent_ns[i]);
            const std::uint64_t got = client.replayed_at_receipt - client.replayed_before;
            variant.replayed += got;
            variant.short_replays += got < (replay ? options.history : 0);
        }
        for (auto& client : clients) {
            client->replayed_before = client->replayed;
            if (!client->send(unsubscribe(id))) {
                return report_failure("UNSUBSCRIBE", client.get());
            }
        }
        if (!await_receipts(clients, "u" + id)) {
            return report_failure("no RECEIPT for UNSUBSCRIBE in round " + id, nullptr);
        }
    }
    const auto broker_after =
        options.broker_pid > 0 ? sample_process(options.broker_pid) : std::nullopt;

    JsonObject params;
    params.add("payload", options.payload)
        .add("history", options.history)
        .add("subscribers", options.subscribers)
        .add("duration_s", options.duration_s)
        .add("warmup_s", options.warmup_s);
    JsonObject results;
    results.add("rounds", rounds)
        .add("with_history", with_history.json())
        .add("without_history", without_history.json())
        .add("added_p50_us", (static_cast<double>(with_history.latency.percentile(0.5)) -
                              static_cast<double>(without_history.latency.percentile(0.5))) /
                                 1e3)
        .add("added_p99_us", (static_cast<double>(with_history.latency.percentile(0.99)) -
                              static_cast<double>(without_history.latency.percentile(0.99))) /
                                 1e3)
        .add("loadavg_1m_before", load_before)
        .add("loadavg_1m_after", load_average());
    if (broker_at_warm_end && broker_after) {
        results.add("broker_cpu_pct", cpu_percent(*broker_at_warm_end, *broker_after))
            .add("broker_rss_mib", static_cast<double>(broker_after->rss_kb) / 1024.0);
    }

    char time_text[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    JsonObject json;
    json.add("scenario", "replay").add("time", time_text);
    if (!options.label.empty()) {
        json.add("label", options.label);
    }
    json.add("transport", endpoint->websocket ? "ws" : "tcp")
        .add("url", options.url)
        .add("destination", destination)
        .add("params", params)
        .add("completed", true)
        .add("results", results);
    std::printf("%s\n", json.str().c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace stampede::bench
