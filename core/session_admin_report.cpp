// Session: its description for the admin API's connection list (the values are in
// core/session_report.hpp). Shard thread only.
#include "core/session.hpp"
#include "core/shard_services.hpp"

namespace stampede::broker {
namespace {

std::string_view state_name(Session::State state) {
    switch (state) {
        case Session::State::AwaitingConnect:
            return "connecting";
        case Session::State::Authenticating:
            return "authenticating";
        case Session::State::Connected:
            return "connected";
        case Session::State::Closing:
            return "closing";
    }
    return "closing";
}

}  // namespace

SessionReport Session::report() const {
    SessionReport report;
    report.id = name();
    if (state_ == State::Connected || state_ == State::Closing) {
        report.principal = principal_.name;
        report.version = protocol::version_name(version_);
    }
    report.peer = transport_.peer();
    report.transport = transport_.kind();
    report.state = state_name(state_);
    report.pending_bytes = outbound_.pending_bytes();
    report.subscriptions.reserve(subscriptions_.size());
    for (const auto& [id, sub] : subscriptions_) {
        report.subscriptions.push_back({sub->id, sub->destination, sub->kind});
    }
    return report;
}

}  // namespace stampede::broker
