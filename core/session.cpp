// Session: the STOMP state machine of one connection. Shard thread only.
#include "core/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/publish.hpp"
#include "core/router.hpp"
#include "protocol/destination.hpp"
#include "protocol/user_destination.hpp"
#include "protocol/writer.hpp"
#include "queues/queue_manager.hpp"

namespace stampede::broker {

using protocol::CloseReason;

namespace {

using protocol::Command;
using protocol::Frame;
using protocol::Version;

protocol::ParserLimits parser_limits(const config::Limits& limits) {
    return {limits.max_frame_bytes, limits.max_headers, limits.max_header_line_bytes};
}

}  // namespace

Session::Session(std::uint64_t id, ShardServices& host, Transport& transport,
                 bool anonymous_allowed)
    : id_(id),
      host_(host),
      transport_(transport),
      anonymous_allowed_(anonymous_allowed),
      parser_(parser_limits(host.config().limits)),
      last_received_(Clock::now()),
      last_sent_(last_received_),
      opened_at_(last_received_) {
    // Frames before CONNECT are parsed with 1.0 rules: CONNECT itself is never unescaped and
    // anything else is refused with "not connected" whatever its escapes.
    parser_.set_version(Version::V1_0);
    transport_.schedule_timer(static_cast<std::uint32_t>(host_.config().limits.connect_timeout_ms));
}

Session::~Session() {
    // Closing first: a presence leave sent while the subscriptions go may match another of
    // this session's own subscriptions (a wildcard, a /stampede/presence/ watcher), and a
    // session being destroyed must not queue it or ask its transport to write.
    state_ = State::Closing;
    release_subscriptions();
    end_online();
}

void Session::end_online() {
    if (counted_online_) {
        counted_online_ = false;
        host_.rooms().offline().session_closed(principal_.name, rooms::steady_now_ms());
    }
}

std::string Session::name() const { return fmt::format("{}-{}", host_.shard_index(), id_); }

void Session::wake_writer() {
    if (!write_requested_) {
        write_requested_ = true;
        transport_.request_write();
    }
}

void Session::on_bytes(std::string_view bytes) {
    if (state_ == State::Closing) {
        return;  // after an ERROR nothing more is read
    }
    last_received_ = Clock::now();
    if (state_ == State::Authenticating) {
        // The CONNECT's passcode is being checked on the worker: nothing behind it may act
        // before the answer (on_authenticated goes on with these bytes).
        if (held_.size() + bytes.size() > host_.config().limits.max_frame_bytes) {
            return fail(CloseReason::FrameTooLarge,
                        "more than max_frame_bytes sent while the CONNECT was being checked");
        }
        held_.append(bytes);
        return;
    }
    const auto result = parser_.feed(std::span<const char>(bytes.data(), bytes.size()), *this);
    if (result.error != protocol::ProtocolError::None && state_ != State::Closing) {
        const std::string& detail = parser_.error_detail();
        fail(protocol::close_reason(result.error),
             detail.empty() ? std::string_view("the frame was refused while parsing") : detail,
             nullptr, parser_.error_receipt());
    }
}

bool Session::on_frame(const Frame& frame) {
    dispatch(frame);
    // While a CONNECT is being authenticated the parser keeps the following frames buffered;
    // on_authenticated resumes it.
    return state_ == State::Connected || state_ == State::AwaitingConnect;
}

void Session::dispatch(const Frame& frame) {
    if (state_ == State::AwaitingConnect) {
        if (frame.command == Command::Connect || frame.command == Command::Stomp) {
            handle_connect(frame);
        } else {
            fail(CloseReason::NotConnected, "the first frame must be CONNECT or STOMP", &frame);
        }
        return;
    }
    if (state_ != State::Connected) {
        // Not reachable while on_bytes holds input during authentication; a backstop, so no
        // frame is ever acted on for a session that has not been let in.
        return fail(CloseReason::NotConnected, "a frame arrived before CONNECTED", &frame);
    }
    switch (frame.command) {
        case Command::Send:
            return handle_send(frame);
        case Command::Subscribe:
            return handle_subscribe(frame);
        case Command::Unsubscribe:
            return handle_unsubscribe(frame);
        case Command::Ack:
            return handle_ack(frame, true);
        case Command::Nack:
            return handle_ack(frame, false);
        case Command::Begin:
            return handle_begin(frame);
        case Command::Commit:
            return handle_commit(frame, true);
        case Command::Abort:
            return handle_commit(frame, false);
        case Command::Disconnect:
            return handle_disconnect(frame);
        case Command::Connect:
        case Command::Stomp:
            return fail(CloseReason::AlreadyConnected, "CONNECT was already accepted", &frame);
        default:
            return fail(CloseReason::UnknownCommand,
                        fmt::format("'{}' is not a client frame", frame.command_text), &frame);
    }
}

void Session::send_receipt(const Frame& frame) {
    // Inside a COMMIT the held frames are receipted as they are acted upon (they were not
    // when they arrived); the COMMIT's own receipt follows them.
    const auto receipt = frame.header("receipt");
    if (!receipt) {
        return;
    }
    send_receipt_id(*receipt);
}

void Session::send_receipt_id(std::string_view receipt) {
    if (state_ != State::Connected) {
        return;
    }
    std::string out;
    protocol::append_frame(out, Command::Receipt, {{"receipt-id", receipt}}, {}, version_, false);
    outbound_.push_control(std::move(out));
    wake_writer();
}

void Session::handle_send(const Frame& frame) {
    const auto destination = frame.header("destination");
    if (!destination) {
        return fail(CloseReason::MissingDestination, "SEND needs a destination", &frame);
    }
    if (*destination == kTokenDestination) {
        return handle_token_refresh(frame);  // acts at once, even inside a transaction
    }
    if (handle_cursor_send(frame, *destination)) {
        return;
    }
    PublishRequest request;
    request.source = PublishSource::Stomp;
    request.destination = *destination;
    request.sender = &principal_;
    request.frame_headers = &frame.headers;
    request.frame_body = frame.body;
    Publisher& publisher = host_.publisher();
    // Judged when sent, even inside a transaction; published (and judged again) at COMMIT.
    if (const PublishResult checked = publisher.check(request);
        checked.error != PublishError::None) {
        return fail(close_reason(checked.error), checked.detail, &frame);
    }
    if (!open_temp_queue(frame) || hold_in_transaction(frame)) {
        return;
    }
    if (host_.rooms().durable()) {
        request.on_stored = stored_callback(frame.header("receipt"));
    }
    if (host_.cluster_configured() && protocol::is_user_destination(*destination)) {
        request.on_queued = queued_callback(frame.header("receipt"));
    }
    const std::string session_name = name();
    request.session_name = session_name;
    const PublishResult published = publisher.publish(request);
    if (published.error != PublishError::None) {
        return fail(close_reason(published.error), published.detail, &frame);
    }
    if (!published.awaiting_storage) {
        send_receipt(frame);
    }
}

storage::AppendDone Session::stored_callback(std::optional<std::string_view> receipt) {
    // A room message with the file backend is receipted once it is on disk: "every message
    // that got a RECEIPT is there after a restart". The log calls this on its own thread.
    return [&host = host_, id = id_,
            receipt = receipt ? std::optional<std::string>(*receipt) : std::nullopt](bool ok) {
        host.run_on_shard([&host, id, receipt, ok] {
            Session* session = host.find_session(id);
            if (session == nullptr) {
                return;
            }
            if (!ok) {
                session->fail(CloseReason::StorageUnavailable,
                              "storage did not take the message (the history log could not "
                              "write it, or Redis did not answer): it is not stored",
                              nullptr, receipt);
            } else if (receipt) {
                session->send_receipt_id(*receipt);
            }
        });
    };
}

std::function<void(PublishError)> Session::queued_callback(
    std::optional<std::string_view> receipt) {
    // A user-queue message sent through Redis is receipted once Redis took it.
    return [&host = host_, id = id_,
            receipt =
                receipt ? std::optional<std::string>(*receipt) : std::nullopt](PublishError error) {
        Session* session = host.find_session(id);
        if (session == nullptr) {
            return;
        }
        if (error != PublishError::None) {
            session->fail(close_reason(error),
                          "the user queue holds its max_messages: nobody is subscribed to it "
                          "on any node",
                          nullptr, receipt);
        } else if (receipt) {
            session->send_receipt_id(*receipt);
        }
    };
}

void Session::handle_disconnect(const Frame& frame) {
    for (auto& [name, transaction] : transactions_) {
        discard(transaction);  // uncommitted work vanishes
    }
    transactions_.clear();
    send_receipt(frame);
    state_ = State::Closing;
    // Gone for the offline hook now: the socket may linger a while after the DISCONNECT.
    end_online();
    close_after_flush_ = true;
    wake_writer();
}

void Session::fail(CloseReason reason, std::string_view detail, const Frame* offending,
                   const std::optional<std::string>& partial_receipt) {
    if (state_ == State::Closing && close_after_flush_) {
        return;  // one ERROR per connection
    }
    const std::string_view message = protocol::close_reason_text(reason);
    std::string out;
    auto receipt = offending != nullptr ? offending->header("receipt") : std::nullopt;
    if (!receipt && partial_receipt) {
        receipt = *partial_receipt;
    }
    if (receipt) {
        protocol::append_frame(
            out, Command::Error,
            {{"message", message}, {"receipt-id", *receipt}, {"content-type", "text/plain"}},
            detail, version_);
    } else {
        protocol::append_frame(out, Command::Error,
                               {{"message", message}, {"content-type", "text/plain"}}, detail,
                               version_);
    }
    close_with_error(reason, std::move(out));
}

void Session::close_with_error(CloseReason reason, std::string error) {
    outbound_.push_control(std::move(error));
    transactions_.clear();
    state_ = State::Closing;
    end_online();
    close_after_flush_ = true;
    host_.count_closed(reason);
    wake_writer();
}

void Session::deliver_topic(const LocalMessage& message, const Subscription& sub) {
    if (state_ != State::Connected) {
        return;
    }
    if (sub.replay_pending) {
        hold_until_replayed(message, sub);
        return;
    }
    if (message->seq != 0 && message->seq <= sub.replay_through) {
        return;  // already replayed to this subscription
    }
    if (message->presence_version != 0 && message->presence_version <= sub.presence_through) {
        return;  // a presence change its snapshot already had
    }
    if (sub.prefetch != 0) {
        return deliver_capped(message, sub);
    }
    push_message(message, sub, sub.ack == AckMode::Auto ? 0 : next_ack_id(false));
}

bool Session::deliver_queue(const protocol::MessagePtr& message, std::string_view subscription_id) {
    const auto it = subscriptions_.find(std::string(subscription_id));
    if (it == subscriptions_.end() || state_ != State::Connected) {
        return false;
    }
    Subscription& sub = *it->second;
    std::uint64_t ack_id = 0;
    if (sub.ack != AckMode::Auto && sub.own_user_queue) {
        ack_id = next_ack_id(false);  // a user queue fans out: nothing to give back
    } else if (sub.ack != AckMode::Auto) {
        ack_id = next_ack_id(true);
        pending_acks_.emplace(ack_id, PendingAck{message, &sub});
    }
    push_message(LocalMessage(message), sub, ack_id);
    return true;
}

// Ack ids say which kind of delivery they were given to: odd for a queue delivery (kept in
// pending_acks_ until acknowledged), even for a topic one (not kept; each kind counts its own,
// so an even id below the topic count is exactly one that was given).
std::uint64_t Session::next_ack_id(bool queue) {
    return queue ? (next_queue_ack_++ << 1) | 1 : next_topic_ack_++ << 1;
}

void Session::push_message(LocalMessage message, const Subscription& sub, std::uint64_t ack_id) {
    outbound_.push_message(std::move(message), &sub, ack_id, version_);
    if (outbound_.pending_bytes() > host_.config().limits.max_pending_bytes_per_connection) {
        enforce_pending_limit();
    }
    wake_writer();
}

void Session::enforce_pending_limit() {
    const auto& limits = host_.config().limits;
    const auto give_back = [this](OutboundItem& item) {
        if (item.sub->kind != protocol::DestinationKind::Queue) {
            return;
        }
        if (item.ack_id != 0 && pending_acks_.erase(item.ack_id) > 0) {
            settle(*item.sub, 1);
        }
        requeue(item.message.shared());
    };
    if (limits.slow_consumer == config::SlowConsumerPolicy::DropOldest) {
        host_.count_dropped(
            outbound_.drop_oldest(limits.max_pending_bytes_per_connection, give_back));
        return;
    }
    // Disconnect: what is queued is not going to be read in time; the ERROR goes out alone.
    outbound_.remove_messages(give_back);
    fail(CloseReason::SlowConsumer,
         fmt::format("more than max_pending_bytes_per_connection ({}) bytes were waiting",
                     limits.max_pending_bytes_per_connection));
}

Session::Batch Session::drain_into(std::string& out, std::size_t max_bytes) {
    write_requested_ = false;
    if (close_after_flush_ && !subscriptions_.empty()) {
        // Closing: give queue messages back now rather than when the socket finally closes.
        // Done here, never in fail(), because fail() may run inside a fan-out loop that still
        // holds pointers to this session's subscriptions.
        release_subscriptions();
    }
    const DrainResult drained = outbound_.drain_into(out, max_bytes, version_);
    if (drained.bytes > 0) {
        last_sent_ = Clock::now();
    }
    Batch batch{drained.bytes, drained.binary, false, drained.messages};
    if (!outbound_.empty()) {
        wake_writer();
    } else if (close_after_flush_) {
        batch.close_after = true;
    }
    return batch;
}

void Session::arm_timer() {
    // One timer per connection, set for the nearest of: the next heart-beat to send, the
    // moment the client's silence becomes a timeout, and the token's expiry.
    using std::chrono::milliseconds;
    const auto now = Clock::now();
    std::optional<Clock::time_point> next;
    const auto consider = [&](Clock::time_point t) {
        if (!next || t < *next) {
            next = t;
        }
    };
    if (heartbeat_.send_every_ms != 0) {
        // At least a quarter period ahead: a beat queued but not yet written must not spin.
        consider(std::max(last_sent_ + milliseconds(heartbeat_.send_every_ms),
                          now + milliseconds(heartbeat_.send_every_ms / 4 + 1)));
    }
    if (heartbeat_.expect_every_ms != 0) {
        consider(last_received_ + receive_timeout());
    }
    if (expires_at_) {
        const auto left = std::chrono::seconds(*expires_at_ - unix_now());
        consider(now + std::max<Clock::duration>(left, milliseconds(1)));
    }
    if (unread_due_) {
        consider(*unread_due_);
    }
    if (const auto warning = token_warning_due()) {
        const auto left = milliseconds(*warning - unix_now_ms());
        consider(now + std::max<Clock::duration>(left, milliseconds(1)));
    }
    if (next) {
        const auto delay = std::chrono::duration_cast<milliseconds>(*next - now).count();
        transport_.schedule_timer(static_cast<std::uint32_t>(std::max<std::int64_t>(delay, 1)));
    }
}

Clock::duration Session::receive_timeout() const {
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(heartbeat_.expect_every_ms * host_.config().heartbeat.grace));
}

std::int64_t Session::unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t Session::unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void Session::on_timer() {
    if (state_ == State::AwaitingConnect) {
        const auto limit = std::chrono::milliseconds(host_.config().limits.connect_timeout_ms);
        if (Clock::now() - opened_at_ >= limit) {
            fail(CloseReason::ConnectTimeout,
                 fmt::format("no CONNECT within {} ms", limit.count()));
        } else {
            transport_.schedule_timer(
                static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               opened_at_ + limit - Clock::now())
                                               .count() +
                                           1));
        }
        return;
    }
    if (state_ != State::Connected) {
        return;
    }
    const auto now = Clock::now();
    if (heartbeat_.expect_every_ms != 0 && now - last_received_ >= receive_timeout()) {
        return fail(
            CloseReason::HeartBeatTimeout,
            fmt::format(
                "nothing received for {} ms",
                std::chrono::duration_cast<std::chrono::milliseconds>(receive_timeout()).count()));
    }
    if (expires_at_ && unix_now() >= *expires_at_) {
        return fail(CloseReason::TokenExpired, "the session's token expired");
    }
    if (const auto warning = token_warning_due(); warning && unix_now_ms() >= *warning) {
        send_token_warning();
    }
    if (heartbeat_.send_every_ms != 0 &&
        now - last_sent_ >= std::chrono::milliseconds(heartbeat_.send_every_ms) &&
        outbound_.empty()) {
        outbound_.push_control("\n");
        wake_writer();
    }
    if (unread_due_ && now >= *unread_due_) {
        flush_unread();
    }
    arm_timer();
}

void Session::apply_config() { parser_.set_limits(parser_limits(host_.config().limits)); }

}  // namespace stampede::broker
