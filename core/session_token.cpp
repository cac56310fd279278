// Session: its credential's lifetime (DESIGN.md "Queues, user destinations, token refresh").
// SEND /stampede/token with a new JWT refreshes it without reconnecting: the one
// Authenticator verifies it as at CONNECT, the session adopts its expiry and roles, and the
// subscriptions the new roles no longer allow end. SUBSCRIBE /stampede/token receives a
// warning auth.token_warning_s before the credential expires. Shard thread only.
#include <fmt/format.h>

#include "core/credentials.hpp"
#include "core/session.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

using protocol::CloseReason;
using protocol::Command;
using protocol::Frame;

void Session::adopt_expiry() {
    expires_at_.reset();
    if (principal_.expires_at && !principal_.issuer.empty() && host_.security().guards) {
        const auto* guard = host_.security().guards->find(principal_.issuer);
        if (guard != nullptr && guard->disconnect_on_expiry()) {
            expires_at_ = principal_.expires_at;
        }
    }
}

std::optional<std::string> Session::token_expires_at_ms() const {
    if (!principal_.expires_at) {
        return std::nullopt;
    }
    return std::to_string(*principal_.expires_at * 1000);
}

void Session::handle_token_refresh(const Frame& frame) {
    const Credentials credentials = find_credentials(frame, host_.security());
    const AuthOutcome outcome =
        host_.authenticator().refresh(credentials, transport_.peer(), principal_);
    switch (outcome.status) {
        case AuthOutcome::Status::Accepted:
            break;
        case AuthOutcome::Status::Blocked:
            return fail(CloseReason::TooManyFailures,
                        "too many failed logins from this address; retry later", &frame);
        case AuthOutcome::Status::Busy:  // a refresh never waits for the worker
        case AuthOutcome::Status::Refused:
            // Like a refused CONNECT: the short text says why, the old token is not extended.
            return fail(auth::close_reason(outcome.error), "token refresh refused", &frame);
    }
    // Same name and issuer (the authenticator checked): new roles, expiry, jti and claims.
    principal_ = outcome.principal;
    adopt_expiry();
    end_disallowed_subscriptions();
    if (const auto receipt = frame.header("receipt")) {
        const std::optional<std::string> expires = token_expires_at_ms();
        std::vector<protocol::OwnedHeader> headers{{"receipt-id", *receipt}};
        if (expires) {
            headers.push_back({"x-token-expires-at", *expires});
        }
        std::string out;
        protocol::append_frame(out, Command::Receipt, headers, {}, version_, false);
        outbound_.push_control(std::move(out));
        wake_writer();
    }
    arm_timer();  // the expiry deadline and the warning follow the new token
}

void Session::end_disallowed_subscriptions() {
    std::vector<Subscription*> lost;
    for (const auto& [id, sub] : subscriptions_) {
        if (!still_allowed(*sub)) {
            lost.push_back(sub.get());
        }
    }
    for (Subscription* sub : lost) {
        // Encoded whole as a control frame, not queued as a delivery of `sub`: it must
        // outlive the subscription and never be dropped by a slow-consumer policy.
        std::vector<std::pair<std::string, std::string>> headers = {
            {"x-subscription-ended",
             std::string(protocol::close_reason_text(CloseReason::AccessRevoked))},
            {"content-type", "text/plain"}};
        const protocol::MessagePtr notice = protocol::Message::make(
            sub->destination, host_.make_message_id(), host_.node_id(), "", std::move(headers),
            fmt::format("subscription '{}' to {} ended: the refreshed token does not allow it",
                        sub->id, sub->destination));
        std::string out;
        protocol::append_message(out, *notice, sub->id, "", version_);
        remove_subscription(*sub);  // what it still had queued goes first (or back)
        outbound_.push_control(std::move(out));
    }
    if (!lost.empty()) {
        wake_writer();
    }
}

void Session::subscribe_token(const Frame& frame, std::string_view id, AckMode ack) {
    if (principal_.anonymous) {
        return fail(
            CloseReason::AccessDenied,
            fmt::format("{}: an anonymous session has no token to watch", kTokenDestination),
            &frame);
    }
    auto sub = std::make_unique<Subscription>();
    sub->session = this;
    sub->id = std::string(id);
    sub->message_head = protocol::message_head(sub->id, version_);
    sub->destination = std::string(kTokenDestination);
    sub->kind = protocol::DestinationKind::Topic;
    sub->name = sub->destination;
    sub->ack = ack;
    sub->token_watch = true;
    subscriptions_.emplace(sub->id, std::move(sub));
    ++token_watchers_;
    send_receipt(frame);
    // A token with less left than the warning period is warned of at once.
    if (const auto due = token_warning_due(); due && unix_now_ms() >= *due) {
        send_token_warning();
    }
    arm_timer();
}

std::optional<std::int64_t> Session::token_warning_due() const {
    const std::uint32_t warning_s = host_.config().auth.token_warning_s;
    if (token_watchers_ == 0 || !principal_.expires_at || warning_s == 0 ||
        token_warned_for_ == principal_.expires_at) {
        return std::nullopt;
    }
    return (*principal_.expires_at - warning_s) * 1000;
}

void Session::send_token_warning() {
    token_warned_for_ = principal_.expires_at;
    const std::string expires = *token_expires_at_ms();
    const std::string body =
        fmt::format(R"({{"event":"expiring","expires_at":{},"expires_in_ms":{}}})", expires,
                    std::max<std::int64_t>(0, *principal_.expires_at * 1000 - unix_now_ms()));
    for (const auto& [id, sub] : subscriptions_) {
        if (!sub->token_watch) {
            continue;
        }
        std::vector<std::pair<std::string, std::string>> headers = {
            {"content-type", "application/json"}, {"x-token-expires-at", expires}};
        protocol::MessagePtr message =
            protocol::Message::make(kTokenDestination, host_.make_message_id(), host_.node_id(), "",
                                    std::move(headers), body, nullptr);
        push_message(LocalMessage(std::move(message)), *sub,
                     sub->ack == AckMode::Auto ? 0 : next_ack_id(false));
    }
}

}  // namespace stampede::broker
