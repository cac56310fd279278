// See admin_api.hpp.
#include "http/admin_api.hpp"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <utility>

#include "core/authenticator.hpp"
#include "core/credentials.hpp"
#include "core/publish.hpp"
#include "core/session.hpp"
#include "core/shard_services.hpp"
#include "core/unread_watchers.hpp"
#include "http/admin_json.hpp"
#include "http/http_values.hpp"
#include "protocol/destination.hpp"
#include "queues/queue_manager.hpp"

namespace stampede::broker {
namespace {

using namespace http_status;

std::string error_body(std::string_view text) { return json_object("error", text); }

std::string_view action_name(AdminRoute::Kind kind) {
    switch (kind) {
        case AdminRoute::Kind::Connections:
            return "list connections";
        case AdminRoute::Kind::Destinations:
            return "list destinations";
        case AdminRoute::Kind::Connection:
            return "close connection";
        case AdminRoute::Kind::RoomMember:
            return "remove room member";
        case AdminRoute::Kind::Unknown:
            break;
    }
    return "unknown";
}

}  // namespace

struct AdminApi::Call {
    std::uint64_t id = 0;
    AdminRoute route;
    std::string peer;
    std::string who;        // the administrator's principal, once authenticated
    unsigned awaiting = 0;  // shards yet to reply to a listing
    std::vector<SessionReport> sessions;
};

AdminApi::AdminApi(ShardServices& shard, DoneFn done) : shard_(shard), done_(std::move(done)) {}

AdminApi::~AdminApi() = default;

bool AdminApi::owns(std::string_view uri) const {
    const std::string& prefix = shard_.config().http.admin;
    return !prefix.empty() && uri.starts_with(prefix) &&
           (uri.size() == prefix.size() || uri[prefix.size()] == '/');
}

std::optional<HttpResponse> AdminApi::begin(std::uint64_t request, const HttpHead& head) {
    const std::string_view path =
        std::string_view(head.uri).substr(shard_.config().http.admin.size());
    AdminRoute route = parse_admin_route(path);
    if (route.kind == AdminRoute::Kind::Unknown) {
        return HttpResponse{kNotFound, "application/json", error_body("no such admin resource")};
    }
    if (head.method != route.method()) {
        return HttpResponse{kMethodNotAllowed, "application/json",
                            error_body(fmt::format("use {}", route.method()))};
    }
    auto owned = std::make_unique<Call>();
    Call& call = *owned;
    call.id = request;
    call.route = std::move(route);
    call.peer = head.peer;
    calls_[request] = std::move(owned);

    in_begin_ = request;
    begin_answer_.reset();
    // Never anonymous: a Bearer token or a service account (Basic), checked as HTTP
    // publish's credentials are; failures count against the client's IP.
    std::string decoded;
    const Credentials credentials = http_credentials(head.authorization, decoded);
    auto later = [this, request](const AuthOutcome& outcome) {
        if (const auto it = calls_.find(request); it != calls_.end()) {
            authenticated(*it->second, outcome);
        }
    };
    if (const auto outcome =
            shard_.authenticator().check(credentials, call.peer, std::nullopt, std::move(later))) {
        authenticated(call, *outcome);
    }
    in_begin_ = 0;
    return std::exchange(begin_answer_, std::nullopt);
}

void AdminApi::closed(std::uint64_t request) { calls_.erase(request); }

void AdminApi::answer(Call& call, unsigned status, std::string body, std::string_view outcome) {
    // Refused logins too: an audit trail that shows only successes hides the probing.
    std::string target;
    if (call.route.kind == AdminRoute::Kind::Connection) {
        target = " " + call.route.connection;
    } else if (call.route.kind == AdminRoute::Kind::RoomMember) {
        target = fmt::format(" {} from {}", call.route.principal, call.route.room);
    }
    shard_.audit(fmt::format("admin {} from {}: {}{}: {} ({})",
                             call.who.empty() ? "(not authenticated)" : call.who, call.peer,
                             action_name(call.route.kind), target, outcome, status));
    HttpResponse response{status, "application/json", std::move(body), status == kUnauthorized};
    const std::uint64_t id = call.id;
    calls_.erase(id);  // `call` is gone from here on
    if (id == in_begin_) {
        begin_answer_ = std::move(response);
    } else {
        done_(id, std::move(response));
    }
}

void AdminApi::authenticated(Call& call, const AuthOutcome& outcome) {
    switch (outcome.status) {
        case AuthOutcome::Status::Blocked:
            return answer(call, kTooManyRequests, error_body("too many failed logins"), "blocked");
        case AuthOutcome::Status::Busy:
            return answer(call, kUnavailable, error_body("too busy"), "busy");
        case AuthOutcome::Status::Refused:
            return answer(call, kUnauthorized, error_body(auth::to_text(outcome.error)),
                          fmt::format("refused: {}", outcome.detail.empty()
                                                         ? auth::to_text(outcome.error)
                                                         : std::string_view(outcome.detail)));
        case AuthOutcome::Status::Accepted:
            break;
    }
    call.who = outcome.principal.name;
    const auto& roles = shard_.config().http.admin_roles;
    const bool admin = std::any_of(roles.begin(), roles.end(), [&](const std::string& role) {
        return outcome.principal.has_role(role);
    });
    if (!admin) {
        return answer(call, kForbidden, error_body("access denied"), "denied");
    }
    switch (call.route.kind) {
        case AdminRoute::Kind::Connections:
        case AdminRoute::Kind::Destinations:
            return gather(call);
        case AdminRoute::Kind::Connection:
            return close_connection(call);
        case AdminRoute::Kind::RoomMember:
            return remove_member(call);
        case AdminRoute::Kind::Unknown:
            break;
    }
    answer(call, kNotFound, error_body("no such admin resource"), "not found");
}

void AdminApi::gather(Call& call) {
    // Each shard describes its own sessions on its own thread and posts them back here; the
    // answer leaves once every shard replied.
    const unsigned origin = shard_.shard_index();
    const std::uint64_t request = call.id;
    unsigned posted = 0;
    for (unsigned index = 0;; ++index) {
        const bool sent = shard_.post_to_shard(index, [this, origin,
                                                       request](ShardServices& shard) {
            std::vector<SessionReport> reports;
            shard.visit_sessions([&](Session& session) { reports.push_back(session.report()); });
            shard.post_to_shard(
                origin, [this, request, reports = std::move(reports)](ShardServices&) mutable {
                    gathered(request, std::move(reports));
                });
        });
        if (!sent) {
            break;
        }
        ++posted;
    }
    call.awaiting = posted;
}

void AdminApi::gathered(std::uint64_t request, std::vector<SessionReport> reports) {
    const auto it = calls_.find(request);
    if (it == calls_.end()) {
        return;  // the client went away
    }
    Call& call = *it->second;
    std::move(reports.begin(), reports.end(), std::back_inserter(call.sessions));
    if (call.awaiting > 0 && --call.awaiting > 0) {
        return;
    }
    std::sort(call.sessions.begin(), call.sessions.end(),
              [](const SessionReport& a, const SessionReport& b) { return a.id < b.id; });
    if (call.route.kind == AdminRoute::Kind::Connections) {
        const std::size_t count = call.sessions.size();
        return answer(call, kOk, render_connections(call.sessions),
                      fmt::format("{} connections", count));
    }
    std::vector<DestinationReport> destinations = count_destinations(call.sessions);
    for (DestinationReport& entry : destinations) {
        if (entry.kind == protocol::DestinationKind::Queue) {
            entry.depth = shard_.queues().depth(entry.destination);
        }
    }
    const std::size_t count = destinations.size();
    answer(call, kOk, render_destinations(destinations), fmt::format("{} destinations", count));
}

void AdminApi::close_connection(Call& call) {
    const auto id = parse_session_id(call.route.connection);
    const unsigned origin = shard_.shard_index();
    const std::uint64_t request = call.id;
    auto task = [this, origin, request, session_id = id ? id->session : 0,
                 detail =
                     fmt::format("closed by administrator {}", call.who)](ShardServices& shard) {
        Session* session = shard.find_session(session_id);
        const bool found = session != nullptr && session->state() != Session::State::Closing;
        if (found) {
            session->fail(protocol::CloseReason::ClosedByAdmin, detail);
        }
        shard.post_to_shard(origin, [this, request, found](ShardServices&) {
            if (const auto it = calls_.find(request); it != calls_.end()) {
                if (found) {
                    answer(*it->second, kOk, json_object("closed", it->second->route.connection),
                           "closed");
                } else {
                    answer(*it->second, kNotFound, error_body("no such connection"), "not found");
                }
            }
        });
    };
    if (!id || !shard_.post_to_shard(id->shard, std::move(task))) {
        answer(call, kNotFound, error_body("no such connection"), "not found");
    }
}

void AdminApi::remove_member(Call& call) {
    rooms::RoomRegistry& rooms = shard_.rooms();
    // The condition that refuses SEND /stampede/leave: memberships are kept in memory only.
    if (rooms.durable()) {
        return answer(call, kConflict,
                      error_body(fmt::format("room memberships are kept in memory only for now: "
                                             "not built for the {} backend",
                                             rooms.in_redis() ? "redis" : "file")),
                      "not supported");
    }
    const auto& destinations = shard_.config().destinations;
    const auto where = protocol::classify(call.route.room, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    if (where.kind != protocol::DestinationKind::Topic || protocol::is_pattern(where.name) ||
        !rooms.has_rooms() || rooms.rule_for(call.route.room) == nullptr) {
        return answer(call, kNotFound, error_body(fmt::format("{} is not a room", call.route.room)),
                      "not a room");
    }
    if (!rooms.members().leave(call.route.principal, call.route.room)) {
        return answer(call, kNotFound,
                      error_body(fmt::format("{} is not a member of {}", call.route.principal,
                                             call.route.room)),
                      "not a member");
    }
    announce_member_change(shard_, call.route.principal, call.route.room);
    answer(call, kOk, json_object("removed", call.route.principal), "removed");
}

}  // namespace stampede::broker
