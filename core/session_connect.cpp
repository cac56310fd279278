// Session: CONNECT (version, heart-beats, credentials) and what auth decides later in a
// session (ACL checks, token expiry, revocation and ACL changes on reload). Shard thread only.
#include <fmt/format.h>

#include <utility>

#include "core/authenticator.hpp"
#include "core/credentials.hpp"
#include "core/presence_notices.hpp"
#include "core/session.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

using protocol::CloseReason;

namespace {

using protocol::Command;
using protocol::Frame;
using protocol::Version;

constexpr std::string_view kServerName = "Stampede/" STAMPEDE_VERSION;

// Highest version both sides speak; nullopt when the client offers none we know.
std::optional<Version> negotiate_version(std::optional<std::string_view> accept) {
    if (!accept) {
        return Version::V1_0;  // no accept-version: a 1.0 client
    }
    std::optional<Version> best;
    std::string_view rest = *accept;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        for (const Version v : {Version::V1_0, Version::V1_1, Version::V1_2}) {
            if (item == protocol::version_name(v) && (!best || v > *best)) {
                best = v;
            }
        }
    }
    return best;
}

}  // namespace

void Session::handle_connect(const Frame& frame) {
    const auto version = negotiate_version(frame.header("accept-version"));
    if (!version) {
        // Not fail(): this ERROR also names the versions spoken, and is always 1.2-encoded.
        std::string error;
        protocol::append_frame(
            error, Command::Error,
            {{"message", protocol::close_reason_text(CloseReason::UnsupportedVersion)},
             {"version", "1.0,1.1,1.2"}},
            "supported versions are 1.0, 1.1, 1.2", Version::V1_2);
        return close_with_error(CloseReason::UnsupportedVersion, std::move(error));
    }
    version_ = *version;
    if (const auto text = frame.header("heart-beat"); text && version_ != Version::V1_0) {
        const auto parsed = protocol::parse_heartbeat(*text);
        if (!parsed) {
            return fail(CloseReason::BadHeartBeat,
                        fmt::format("cannot read heart-beat '{}'", *text), &frame);
        }
        client_heartbeat_ = *parsed;
    }
    if (host_.draining()) {
        return fail(CloseReason::ServerShuttingDown, "the broker is draining", &frame);
    }
    authenticate(frame);
}

void Session::authenticate(const Frame& frame) {
    const Credentials credentials = find_credentials(frame, host_.security());
    auto later = [&shard = host_, id = id_](const AuthOutcome& outcome) {
        if (Session* session = shard.find_session(id)) {
            session->on_authenticated(outcome);
        }
    };
    auto outcome = host_.authenticator().check(
        credentials, transport_.peer(),
        anonymous_allowed_ ? std::optional<std::string>(name()) : std::nullopt, std::move(later));
    if (!outcome) {
        state_ = State::Authenticating;  // a passcode is being checked on the worker
        return;
    }
    finish_authentication(*outcome, &frame);
}

void Session::finish_authentication(const AuthOutcome& outcome, const Frame* connect) {
    switch (outcome.status) {
        case AuthOutcome::Status::Accepted:
            return complete_connect(outcome.principal);
        case AuthOutcome::Status::Blocked:
            return fail(CloseReason::TooManyFailures,
                        "too many failed CONNECTs from this address; retry later", connect);
        case AuthOutcome::Status::Busy:
            return fail(CloseReason::BadCredentials,
                        "the broker is too busy to check passcodes; retry later");
        case AuthOutcome::Status::Refused:
            // The detail says which check failed; the client only gets the short text.
            return fail(auth::close_reason(outcome.error), "CONNECT refused");
    }
}

void Session::on_authenticated(const AuthOutcome& outcome) {
    if (state_ != State::Authenticating) {
        return;
    }
    state_ = State::AwaitingConnect;  // so a refusal answers in the negotiated version
    finish_authentication(outcome);
    if (state_ != State::Connected) {
        return;
    }
    // Frames that arrived behind the CONNECT were held, first in the parser (the rest of the
    // bytes that carried it), then in held_ (what came later): go on with them, in order.
    const auto resumed = parser_.feed({}, *this);
    if (resumed.error != protocol::ProtocolError::None && state_ != State::Closing) {
        return fail(protocol::close_reason(resumed.error), "the frame was refused while parsing",
                    nullptr, parser_.error_receipt());
    }
    if (!held_.empty() && state_ == State::Connected) {
        const std::string held = std::exchange(held_, {});
        on_bytes(held);
    }
}

void Session::complete_connect(auth::Principal principal) {
    principal_ = std::move(principal);
    adopt_expiry();
    const auto& hb = host_.config().heartbeat;
    heartbeat_ = protocol::plan_heartbeat(client_heartbeat_, hb.server_min_ms, hb.client_min_ms);
    state_ = State::Connected;
    parser_.set_version(version_);
    if (!principal_.anonymous) {
        // Online for the offline hook until the session is destroyed (session.cpp).
        host_.rooms().offline().session_opened(principal_.name, rooms::steady_now_ms());
        counted_online_ = true;
    }

    const std::string session = name();
    const std::string heartbeat_text =
        fmt::format("{},{}", heartbeat_.server_ms, heartbeat_.client_ms);
    std::vector<protocol::OwnedHeader> headers{{"version", protocol::version_name(version_)},
                                               {"server", kServerName},
                                               {"session", session},
                                               {"heart-beat", heartbeat_text}};
    if (!principal_.anonymous) {
        headers.push_back({"user-name", principal_.name});
    }
    const std::optional<std::string> expires = token_expires_at_ms();
    if (expires) {
        headers.push_back({"x-token-expires-at", *expires});
    }
    std::string connected;
    protocol::append_frame(connected, Command::Connected, headers, {}, version_, false);
    outbound_.push_control(std::move(connected));
    wake_writer();
    last_received_ = Clock::now();
    arm_timer();
}

bool Session::allowed(auth::AclAction action, std::string_view destination) {
    return host_.security().acl->decide(principal_, action, destination) ==
           auth::AclDecision::Allow;
}

bool Session::still_allowed(const Subscription& sub) {
    // A user's own queue needs no rule, and /stampede/unread and /stampede/token are open to
    // every authenticated session (DESIGN.md "Rooms").
    if (sub.own_user_queue || sub.unread_watch || sub.token_watch) {
        return true;
    }
    // A presence watcher is allowed by the room it watches.
    const std::optional<std::string> watched = presence_room(sub.destination);
    return allowed(auth::AclAction::Subscribe, watched ? *watched : sub.destination);
}

void Session::on_security_reloaded() {
    if (state_ != State::Connected) {
        return;
    }
    const Security& security = host_.security();
    if (!principal_.jti.empty() &&
        ((security.revoked && security.revoked->contains(principal_.jti)) ||
         host_.revoked_in_cluster(principal_.jti))) {
        return fail(CloseReason::TokenRevoked, "the session's token was revoked");
    }
    // An operator's new rules close the session (the client is told which subscription); a
    // client's own refreshed token ends only the subscriptions it lost (session_token.cpp).
    for (const auto& [id, sub] : subscriptions_) {
        if (!still_allowed(*sub)) {
            return fail(
                CloseReason::AccessRevoked,
                fmt::format("subscription '{}' to {} is no longer allowed", id, sub->destination));
        }
    }
}

}  // namespace stampede::broker
