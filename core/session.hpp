// Session: one connection's STOMP state machine, CONNECT to DISCONNECT, with its
// subscriptions, transactions, pending acks, heart-beats and outbound queue. No lws here:
// bytes come in through on_bytes(), frames go out through drain_into(). Shard thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "auth/acl.hpp"
#include "config/config.hpp"
#include "core/authenticator.hpp"
#include "core/outbound.hpp"
#include "core/publish_request.hpp"
#include "core/reply_subscriptions.hpp"
#include "core/session_report.hpp"
#include "core/shard_services.hpp"
#include "core/subscriber.hpp"
#include "core/subscription.hpp"
#include "core/transport.hpp"
#include "protocol/close_reason.hpp"
#include "protocol/heartbeat.hpp"
#include "protocol/parser.hpp"

namespace stampede::broker {

using Clock = std::chrono::steady_clock;

/// SEND here refreshes the session's JWT; SUBSCRIBE here receives expiry warnings
/// (DESIGN.md "Queues, user destinations, token refresh"; session_token.cpp).
inline constexpr std::string_view kTokenDestination = "/stampede/token";

class Session final : public Subscriber, private protocol::FrameSink {
   public:
    enum class State { AwaitingConnect, Authenticating, Connected, Closing };

    Session(std::uint64_t id, ShardServices& host, Transport& transport, bool anonymous_allowed);
    ~Session() override;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    std::uint64_t id() const override { return id_; }
    State state() const { return state_; }
    /// "<shard>-<id>", the CONNECTED session header.
    std::string name() const;

    /// Bytes from the client, any split.
    void on_bytes(std::string_view bytes);
    /// The transport's timer fired (heart-beats).
    void on_timer();

    /// Encodes what is queued into `out` (one batch). `close_after` is set when the session
    /// has nothing more to say and the connection should now be closed.
    struct Batch {
        std::size_t bytes = 0;
        bool binary = false;
        bool close_after = false;
        std::size_t messages = 0;
    };
    Batch drain_into(std::string& out, std::size_t max_bytes);
    bool has_output() const { return !outbound_.empty(); }

    /// A topic message matched one of this session's subscriptions.
    void deliver_topic(const LocalMessage& message, const Subscription& sub) override;
    /// The QueueManager chose this session; false when the subscription is gone (the caller
    /// puts the message back).
    bool deliver_queue(const protocol::MessagePtr& message, std::string_view subscription_id);
    /// A reply to this session's /temp-queue/NAME (reply_queues.hpp); dropped when the session
    /// never used NAME or is closing.
    void deliver_reply(const protocol::MessagePtr& message, std::string_view name) override;
    /// A /stampede/unread subscription has rooms to report: sent at most once per
    /// kUnreadInterval per session (session_cursors.cpp).
    void unread_changed(const Subscription& sub) override;

    /// Sends ERROR with the reason's text as `message` (+ detail body) and closes once it is
    /// written. Only the first ERROR of a connection is sent (and counted).
    void fail(protocol::CloseReason reason, std::string_view detail,
              const protocol::Frame* offending = nullptr,
              const std::optional<std::string>& partial_receipt = std::nullopt);
    /// The service-account check started by CONNECT finished on the worker.
    void on_authenticated(const AuthOutcome& outcome);
    /// SIGHUP: a revoked token or a subscription the new ACL denies ends the session.
    void on_security_reloaded();
    const auth::Principal& principal() const { return principal_; }
    /// This session as the admin API lists it (session_report.cpp).
    SessionReport report() const;
    static std::int64_t unix_now();
    static std::int64_t unix_now_ms();
    /// Sends RECEIPT for a frame whose receipt was deferred (cluster SUBSCRIBE).
    void send_receipt_id(std::string_view receipt);
    /// A new config was loaded (SIGHUP): limits apply from the next frame.
    void apply_config();

   private:
    struct PendingAck {
        protocol::MessagePtr message;
        Subscription* sub;
    };
    struct HeldFrame {
        protocol::Command command;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string body;
    };
    struct Transaction {
        std::vector<HeldFrame> frames;
        std::size_t bytes = 0;
    };

    bool on_frame(const protocol::Frame& frame) override;
    void on_heartbeat() override {}

    void dispatch(const protocol::Frame& frame);
    void handle_connect(const protocol::Frame& frame);
    void authenticate(const protocol::Frame& frame);
    void finish_authentication(const AuthOutcome& outcome,
                               const protocol::Frame* connect = nullptr);
    void complete_connect(auth::Principal principal);
    bool allowed(auth::AclAction action, std::string_view destination);
    /// Whether the ACL still lets this session hold `sub` (after a reload or a refresh).
    bool still_allowed(const Subscription& sub);
    /// Token refresh (session_token.cpp): SEND /stampede/token with a new JWT.
    void handle_token_refresh(const protocol::Frame& frame);
    /// After a refresh, each subscription the new roles do not allow ends as UNSUBSCRIBE
    /// would end it, and its owner is told by one last MESSAGE on it.
    void end_disallowed_subscriptions();
    /// SUBSCRIBE /stampede/token: its RECEIPT, then a warning auth.token_warning_s before the
    /// credential expires.
    void subscribe_token(const protocol::Frame& frame, std::string_view id, AckMode ack);
    /// The principal's expiry: the disconnect deadline (issuers with on_expiry: disconnect)
    /// and when the warning for it is due.
    void adopt_expiry();
    /// When the next expiry warning is due (unix ms), if one is.
    std::optional<std::int64_t> token_warning_due() const;
    void send_token_warning();
    /// "x-token-expires-at:<ms>" on CONNECTED and a refresh's RECEIPT, when the credential
    /// expires.
    std::optional<std::string> token_expires_at_ms() const;
    void handle_send(const protocol::Frame& frame);
    storage::AppendDone stored_callback(std::optional<std::string_view> receipt);
    std::function<void(PublishError)> queued_callback(std::optional<std::string_view> receipt);
    // A SUBSCRIBE to a room: replays its history as asked, then sends the RECEIPT (with the
    // room's epoch and latest number). False when the frame was refused (fail called).
    bool subscribe_to_room(Subscription& sub, const protocol::Frame& frame,
                           const rooms::RoomRule& rule);
    // What a room SUBSCRIBE asked for, kept while Redis answers.
    struct RoomRequest {
        std::optional<std::uint64_t> history;  // x-history
        std::optional<std::uint64_t> since;    // x-since-seq
        std::string epoch;                     // x-epoch ("" when absent: never matches)
        std::optional<std::string> receipt;
        bool replays() const { return since.has_value() || (history && *history > 0); }
    };
    void replay_from_redis(Subscription& sub, const rooms::RoomRule& rule, RoomRequest request);
    void finish_redis_replay(const std::string& sub_id, std::uint64_t ticket,
                             const RoomRequest& request,
                             const std::optional<storage::RoomReadReply>& reply);
    // Sends the replay, then what was held meanwhile, then the RECEIPT.
    void emit_replay(Subscription& sub, const RoomRequest& request, const rooms::Replay& replay,
                     std::string_view epoch);
    void hold_until_replayed(const LocalMessage& message, const Subscription& sub);
    void release_held(Subscription& sub);
    void handle_subscribe(const protocol::Frame& frame);
    /// SUBSCRIBE under /stampede/ (session_presence.cpp): /stampede/presence/<room> gets the
    /// room's snapshot, then its RECEIPT, then its enter/leave events; anything else there is
    /// refused.
    void subscribe_broker_destination(const protocol::Frame& frame, std::string_view destination,
                                      std::string_view id, AckMode ack);
    /// Read cursors (session_cursors.cpp): SEND /stampede/read/<room> and
    /// /stampede/leave/<room>; true when `destination` is one of those (handled or refused).
    bool handle_cursor_send(const protocol::Frame& frame, std::string_view destination);
    /// SUBSCRIBE /stampede/unread: the snapshot, the RECEIPT, then coalesced updates.
    void subscribe_unread(const protocol::Frame& frame, std::string_view id, AckMode ack);
    /// An exact room subscription makes its principal a member (not anonymous ones).
    void join_room(const std::string& room);
    /// Tells every shard that this principal's membership or cursor of `room` changed.
    void announce_member_change(const std::string& room);
    /// Sends each /stampede/unread subscription's pending update.
    void flush_unread();
    /// Read cursors are kept with the memory backend only: the backend's name otherwise.
    std::optional<std::string> cursors_unsupported() const;
    /// This session's principal counted in (`enter`) or out of a presence room.
    void change_presence(const std::string& room, const rooms::RoomRule& rule, bool enter);
    /// SUBSCRIBE to /temp-queue/ or /user/: true when handled here (subscribed or refused).
    bool subscribe_special(const protocol::Frame& frame, std::string_view destination,
                           std::string_view id, AckMode ack);
    /// A SEND's reply-to:/temp-queue/NAME opens NAME's reply subscription; false when refused.
    bool open_temp_queue(const protocol::Frame& frame);
    void handle_unsubscribe(const protocol::Frame& frame);
    void handle_ack(const protocol::Frame& frame, bool positive);
    void handle_begin(const protocol::Frame& frame);
    void handle_commit(const protocol::Frame& frame, bool commit);
    void handle_disconnect(const protocol::Frame& frame);
    bool hold_in_transaction(const protocol::Frame& frame);
    /// ABORT, DISCONNECT: the held frames that asked for a receipt get one, x-discarded:true.
    void discard(Transaction& transaction);
    void send_receipt(const protocol::Frame& frame);
    /// Queues `error` (an encoded ERROR frame), counts `reason` and closes after the flush.
    void close_with_error(protocol::CloseReason reason, std::string error);
    /// The offline hook's count of this principal's sessions loses this one (once): at
    /// DISCONNECT, at an ERROR, or when the connection is gone.
    void end_online();

    void push_message(LocalMessage message, const Subscription& sub, std::uint64_t ack_id);
    void enforce_pending_limit();
    void remove_subscription(Subscription& sub);
    void release_subscriptions();
    void requeue(const protocol::MessagePtr& message);
    /// `deliveries` of queue subscription `sub` were acknowledged or given back (prefetch).
    void settle(const Subscription& sub, std::size_t deliveries);
    bool acknowledges_topic_delivery(std::string_view id) const;
    /// Topic subscriptions with prefetch-count (session_topic_acks.cpp): a delivery within
    /// the cap, or it waits; an ACK/NACK that names an unacknowledged one makes room (true).
    void deliver_capped(const LocalMessage& message, const Subscription& sub);
    void wait_for_ack(const LocalMessage& message, const Subscription& sub);
    bool settle_topic_delivery(std::string_view id, std::optional<std::string_view> subscription);
    void release_waiting(const Subscription& sub);
    std::uint64_t next_ack_id(bool queue);
    void arm_timer();
    Clock::duration receive_timeout() const;
    void wake_writer();

    std::uint64_t id_;
    ShardServices& host_;
    Transport& transport_;
    bool anonymous_allowed_;
    State state_ = State::AwaitingConnect;
    protocol::Version version_ = protocol::Version::V1_2;
    protocol::FrameParser parser_;
    std::string held_;            // bytes that arrived while the CONNECT was being authenticated
    ReplySubscriptions replies_;  // before outbound_, which points at them
    OutboundQueue outbound_;
    bool write_requested_ = false;
    bool close_after_flush_ = false;
    bool in_commit_ = false;

    std::unordered_map<std::string, std::unique_ptr<Subscription>> subscriptions_;
    std::map<std::uint64_t, PendingAck> pending_acks_;  // ack id -> queue delivery awaiting ACK
    std::unordered_set<std::uint64_t> unwritten_acks_;  // scratch of remove_subscription
    std::uint64_t next_queue_ack_ = 1;
    std::uint64_t next_topic_ack_ = 1;
    std::uint64_t replay_tickets_ = 0;  // numbers the replay reads sent to Redis
    std::unordered_map<std::string, Transaction> transactions_;

    protocol::HeartBeat client_heartbeat_;  // as offered in CONNECT
    auth::Principal principal_;
    bool counted_online_ = false;                   // told the offline hook's tracker at CONNECT
    std::optional<std::int64_t> expires_at_;        // unix s: ERROR "token expired" then
    std::size_t token_watchers_ = 0;                // SUBSCRIBE /stampede/token held
    std::optional<std::int64_t> token_warned_for_;  // the expiry (unix s) already warned of
    protocol::HeartBeatPlan heartbeat_;
    Clock::time_point last_received_;
    Clock::time_point last_sent_;
    Clock::time_point opened_at_;
    std::optional<Clock::time_point> unread_due_;  // a /stampede/unread update is pending
    Clock::time_point unread_sent_{};              // when the last one left
};

}  // namespace stampede::broker
