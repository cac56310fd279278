// The shard around a Session in unit tests: a FakeTransport, and a FakeHost with the real
// publish pipeline, authenticator, queues and rooms; only the node beyond this shard (other
// shards, the relay, the worker thread) is faked.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/authenticator.hpp"
#include "core/publish.hpp"
#include "core/session.hpp"
#include "queues/queue_manager.hpp"
#include "rooms/room_registry.hpp"

namespace stampede::broker::fakes {

using namespace std::string_literals;

class FakeTransport final : public Transport {
   public:
    void request_write() override { ++write_requests; }
    void schedule_timer(std::uint32_t delay_ms) override { timer_ms = delay_ms; }
    std::string_view peer() const override { return "test"; }
    std::string_view kind() const override { return "test"; }
    int write_requests = 0;
    std::uint32_t timer_ms = 0;
};

class FakeHost final : public ShardServices {
   public:
    FakeHost() {
        auto config = std::make_shared<config::Config>();
        config->heartbeat = {100, 100, 2.0};
        config_ = config;
    }
    const config::Config& config() const override { return *config_; }
    const Security& security() const override { return security_; }
    unsigned shard_index() const override { return 0; }
    const std::string& node_id() const override { return node_; }
    std::string make_message_id() override { return "m" + std::to_string(++ids_); }
    bool draining() const override { return false; }
    QueueManager& queues() override { return queues_; }
    rooms::RoomRegistry& rooms() override { return *rooms_; }
    /// Makes `pattern` (a wildcard room pattern after /topic/) a room keeping `max_messages`,
    /// with `presence`.
    void add_room(const std::string& pattern, std::size_t max_messages,
                  rooms::PresenceRule presence = {}) {
        std::string error;
        auto compiled = protocol::RoomPattern::compile(pattern, 7, error);
        rules_.push_back({std::move(*compiled), max_messages, 3600000, std::move(presence)});
        rooms_ = std::make_unique<rooms::RoomRegistry>(rules_, nullptr);
    }
    Publisher& publisher() override { return publisher_; }
    Authenticator& authenticator() override { return authenticator_; }
    Session* find_session(std::uint64_t) override { return nullptr; }
    void visit_sessions(const std::function<void(Session&)>&) override {}  // it holds none
    void audit(std::string_view line) override { audit_lines.emplace_back(line); }
    std::vector<std::string> audit_lines;
    Subscriber* find_subscriber(std::uint64_t) override { return nullptr; }
    void add_topic_subscription(Subscription* sub) override { publisher_.router().add(sub); }
    void remove_topic_subscription(Subscription* sub) override { publisher_.router().remove(sub); }
    bool defer_subscribe_receipt(const Subscription&, std::string_view) override { return false; }
    void post_to_other_shards(const protocol::MessagePtr&, std::size_t) override {}
    // One shard: its own inbox is delivered at once.
    void post_to_every_shard(const protocol::MessagePtr& message,
                             std::size_t prefix_length) override {
        publisher_.deliver_from_shard(message, prefix_length);
    }
    void relay(const protocol::MessagePtr&) override {}
    FailureTracker& failures() override { return failures_; }
    bool revoked_in_cluster(std::string_view) const override { return false; }
    bool run_on_worker(std::function<void()> task) override {
        worker_tasks.push_back(std::move(task));
        return true;
    }
    void run_on_shard(std::function<void()> done) override { done(); }
    void count_dropped(std::size_t n) override { dropped += n; }
    void count_message_in() override {}
    void count_closed(protocol::CloseReason reason) override { closed.push_back(reason); }

    std::vector<std::function<void()>> worker_tasks;  // passcode checks, run by the test
    Security security_{nullptr, nullptr, std::make_shared<const auth::Acl>(), nullptr, ""};

    std::shared_ptr<config::Config> mutable_config() {
        return std::const_pointer_cast<config::Config>(config_);
    }
    std::size_t dropped = 0;
    std::vector<protocol::CloseReason> closed;  // count_closed, in order
    // Queue deliveries land here and are handed to sessions by the test.
    std::deque<std::pair<QueueConsumer, protocol::MessagePtr>> queue_deliveries;

   private:
    config::ConfigPtr config_;
    std::string node_ = "node";
    int ids_ = 0;
    FailureTracker failures_;
    std::vector<rooms::RoomRule> rules_;
    std::unique_ptr<rooms::RoomRegistry> rooms_ =
        std::make_unique<rooms::RoomRegistry>(std::vector<rooms::RoomRule>{}, nullptr);
    Publisher publisher_{*this};
    Authenticator authenticator_{*this};
    QueueManager queues_{[this](const QueueConsumer& c, const protocol::MessagePtr& m) {
        queue_deliveries.emplace_back(c, m);
    }};
};

struct Client {
    Client(FakeHost& host, std::uint64_t id) : session(id, host, transport, true) {}
    std::string take() {
        std::string out;
        while (session.has_output()) {
            session.drain_into(out, 1 << 20);
        }
        return out;
    }
    void connect(const std::string& version = "1.2") {
        session.on_bytes("CONNECT\naccept-version:" + version + "\nhost:x\n\n"s + '\0');
        take();
    }
    FakeTransport transport;
    Session session;
};

inline std::string frame(const std::string& text) { return text + '\0'; }

}  // namespace stampede::broker::fakes
