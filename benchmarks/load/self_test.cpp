// sink / --self-test: how many MESSAGE frames the generator's receive path (read, WebSocket
// decode, STOMP scan, stamp check, histogram) takes per second on one core. A sender thread
// plays a trivial broker on loopback TCP: it answers the upgrade and CONNECT/SUBSCRIBE with
// canned frames, then writes pre-encoded MESSAGE frames in big batches, patching only the
// stamps. The receiver is the same Conn/Worker code every scenario uses.
//
// With --rate, the sender is instead the floor under the `rooms` scenario: it holds
// --connections connections and writes one MESSAGE per send() at the given total rate, round
// robin, as a broker must when each member gets a message now and then. No broker does less
// work per delivery, so the latency it gets is the best any broker can get on this machine at
// that many sends per second (the generator and the kernel's loopback path included).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "payload.hpp"
#include "scenarios.hpp"

namespace stampede::bench {
namespace {

struct SenderSetup {
    bool websocket = false;
    std::size_t frames_per_write = 512;
    std::size_t frames_per_message = 1;
    std::size_t payload = 128;
    std::string destination;
};

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t wrote = ::send(fd, data, size, MSG_NOSIGNAL);
        if (wrote < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data += wrote;
        size -= static_cast<std::size_t>(wrote);
    }
    return true;
}

// A batch of pre-encoded deliveries and where each one's stamp sits.
struct Batch {
    std::string bytes;
    std::vector<std::size_t> stamps;
};

Batch encode_batch(const SenderSetup& setup) {
    const std::string body = make_padding_body(setup.payload);
    std::string frame = "MESSAGE\nsubscription:sub-0\ndestination:" + setup.destination +
                        "\nmessage-id:0-1000000\ncontent-type:text/plain\ncontent-length:" +
                        std::to_string(body.size()) + "\n\n";
    const std::size_t body_offset = frame.size();
    frame += body;
    frame.push_back('\0');
    Batch batch;
    const std::size_t per_message = setup.websocket
                                        ? std::max<std::size_t>(1, setup.frames_per_message)
                                        : setup.frames_per_write;
    for (std::size_t done = 0; done < setup.frames_per_write;) {
        const std::size_t count = std::min(per_message, setup.frames_per_write - done);
        std::string message;
        std::vector<std::size_t> offsets;
        for (std::size_t i = 0; i < count; ++i) {
            offsets.push_back(message.size() + body_offset);
            message += frame;
        }
        const std::size_t base =
            batch.bytes.size() + (setup.websocket ? server_frame_header_size(message.size()) : 0);
        if (setup.websocket) {
            append_server_frame(batch.bytes, WsOpcode::Text, message);
        } else {
            batch.bytes += message;
        }
        for (const std::size_t offset : offsets) {
            batch.stamps.push_back(base + offset);
        }
        done += count;
    }
    return batch;
}

// Answers the client's opening with canned bytes; the client's own frames are never read
// (they are a few hundred bytes and sit in the socket buffer).
bool greet(int fd, const SenderSetup& setup) {
    std::string reply;
    if (setup.websocket) {
        std::string head;
        char buffer[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            const ssize_t got = ::read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                return false;
            }
            head.append(buffer, static_cast<std::size_t>(got));
        }
        const auto at = head.find("Sec-WebSocket-Key:");
        if (at == std::string::npos) {
            return false;
        }
        std::string key = head.substr(at + 18, head.find("\r\n", at) - at - 18);
        key.erase(0, key.find_first_not_of(' '));
        reply =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: " +
            websocket_accept_for(key) + "\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n";
    }
    std::string frames = "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n";
    frames.push_back('\0');
    frames += "RECEIPT\nreceipt-id:subscribed\n\n";
    frames.push_back('\0');
    if (setup.websocket) {
        append_server_frame(reply, WsOpcode::Text, frames);
    } else {
        reply += frames;
    }
    return write_all(fd, reply.data(), reply.size());
}

void sender(int listener, SenderSetup setup, Run& run, Group& group) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 || !greet(fd, setup)) {
        std::fprintf(stderr, "stampede-bench: self-test sender could not greet the receiver\n");
        if (fd >= 0) {
            ::close(fd);
        }
        return;
    }
    Batch batch = encode_batch(setup);
    while (run.phase.load() == Phase::Connecting) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::uint64_t sequence = 0;
    while (run.phase.load(std::memory_order_relaxed) == Phase::Running) {
        const std::uint64_t now = now_ns();
        for (const std::size_t offset : batch.stamps) {
            write_stamp(batch.bytes.data() + offset, Stamp{now, 0, sequence++});
        }
        if (!write_all(fd, batch.bytes.data(), batch.bytes.size())) {
            break;
        }
        group.published.store(sequence, std::memory_order_release);
    }
    // Keep the socket open until the receiver has drained it.
    while (run.phase.load() != Phase::Done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::close(fd);
}

// One MESSAGE per send(), `rate` per second in total, round robin over the connections. Each
// connection gets its own sequence, so the receiver's gap check stays exact.
void paced_sender(int listener, SenderSetup setup, std::size_t connections, double rate, Run& run,
                  Group& group) {
    std::vector<int> fds;
    while (fds.size() < connections && run.phase.load() == Phase::Connecting) {
        pollfd waiting{listener, POLLIN, 0};
        if (::poll(&waiting, 1, 100) <= 0) {
            continue;  // and look at the phase again: the run may have given up
        }
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!greet(fd, setup)) {
            std::fprintf(stderr, "stampede-bench: paced sink: a greeting failed\n");
            ::close(fd);
            continue;
        }
        fds.push_back(fd);
    }
    setup.frames_per_write = 1;
    setup.frames_per_message = 1;
    Batch one = encode_batch(setup);
    std::vector<std::uint64_t> sequences(fds.size(), 0);
    while (run.phase.load() == Phase::Connecting) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::uint64_t start = now_ns();
    std::uint64_t sent = 0;
    bool failed = fds.empty();
    while (!failed && run.phase.load(std::memory_order_relaxed) == Phase::Running) {
        const std::uint64_t now = now_ns();
        const auto due = static_cast<std::uint64_t>(rate * static_cast<double>(now - start) / 1e9);
        if (sent >= due) {
            std::this_thread::sleep_for(std::chrono::microseconds(20));  // a loop turn's wait
            continue;
        }
        for (; sent < due; ++sent) {
            const std::size_t index = sent % fds.size();
            write_stamp(one.bytes.data() + one.stamps[0], Stamp{now, 0, sequences[index]++});
            if (!write_all(fds[index], one.bytes.data(), one.bytes.size())) {
                if (run.phase.load() == Phase::Running) {  // not the receiver closing at the end
                    std::fprintf(stderr, "stampede-bench: paced sink: send: %s\n",
                                 std::strerror(errno));
                }
                failed = true;
                break;
            }
        }
        // Every connection has at least this many; the drain waits for them.
        group.published.store(sent / fds.size(), std::memory_order_release);
    }
    while (run.phase.load() != Phase::Done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (const int fd : fds) {
        ::close(fd);
    }
}

}  // namespace

int run_sink(const Options& options) {
    const bool websocket = options.transport != "tcp";
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener, 1024) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        std::perror("stampede-bench: self-test listener");
        return 2;
    }
    const std::string url = std::string(websocket ? "ws" : "tcp") +
                            "://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
                            (websocket ? "/ws" : "");
    std::string error;
    const auto endpoint = parse_url(url, error);
    Run run;
    run.window = SIZE_MAX;  // the sender is not flow-controlled by the window; TCP paces it
    run.payload = options.payload;
    auto group_owner = std::make_unique<Group>();
    Group& group = *group_owner;
    group.destination = options.topic_prefix + options.name;
    const bool paced = options.rate > 0;
    const std::size_t connections = paced ? std::max<std::size_t>(1, options.connections) : 1;
    group.receivers = connections;
    group.received = std::make_unique<std::atomic<std::uint64_t>[]>(connections);
    for (std::size_t i = 0; i < connections; ++i) {
        group.received[i] = 0;
    }
    run.groups.push_back(std::move(group_owner));

    SenderSetup setup{websocket, std::max<std::size_t>(1, options.frames_per_write),
                      options.frames_per_ws_message, options.payload, group.destination};
    std::thread sending =
        paced ? std::thread(paced_sender, listener, setup, connections, options.rate, std::ref(run),
                            std::ref(group))
              : std::thread(sender, listener, setup, std::ref(run), std::ref(group));

    Options local = options;
    local.threads = 1;
    local.broker_pid = 0;
    Harness harness(local, run);
    ConnPlan plan;
    plan.role = Role::Subscriber;
    plan.endpoint = &*endpoint;
    plan.group = &group;
    for (std::size_t i = 0; i < connections; ++i) {
        plan.member = i;
        harness.add(plan);
    }
    Results results;
    const bool connected = harness.connect(results);
    if (connected) {
        harness.measure(results);
    }
    run.phase = Phase::Done;
    harness.finish(results);
    sending.join();
    ::close(listener);

    JsonObject json;
    json.add("scenario", "sink").add("transport", websocket ? "ws" : "tcp");
    if (!options.label.empty()) {
        json.add("label", options.label);
    }
    JsonObject params;
    params.add("payload", options.payload)
        .add("frames_per_write", paced ? 1 : setup.frames_per_write)
        .add("frames_per_ws_message", websocket ? (paced ? 1 : setup.frames_per_message) : 0)
        .add("duration_s", options.duration_s);
    if (paced) {
        params.add("rate", options.rate).add("connections", connections);
    }
    json.add("params", params);
    json.add("completed", connected);
    json.add("results", results_json(local, results));
    const double cpu_s = static_cast<double>(results.merged.cpu_window_us) / 1e6;
    json.add("receiver_cpu_s", cpu_s);
    // Messages per second of receiver-thread CPU: the ceiling on one fully busy core.
    json.add("msgs_per_core_s",
             cpu_s > 0 ? static_cast<double>(results.merged.delivered_window) / cpu_s : 0.0);
    std::printf("%s\n", json.str().c_str());
    std::fflush(stdout);
    return connected ? 0 : 1;
}

}  // namespace stampede::bench
