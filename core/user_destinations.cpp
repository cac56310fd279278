// User destinations: see user_destinations.hpp.
#include "core/user_destinations.hpp"

#include <fmt/format.h>

#include "core/security.hpp"
#include "core/shard_services.hpp"
#include "protocol/user_destination.hpp"

namespace stampede::broker {

std::optional<PublishResult> check_user_send(const ShardServices& shard,
                                             const PublishRequest& request) {
    if (!protocol::is_user_destination(request.destination)) {
        return std::nullopt;
    }
    PublishResult result;
    const protocol::UserQueueAddress to = protocol::parse_user_send(request.destination);
    if (!to.error.empty()) {
        result.error = PublishError::BadDestination;
        result.detail = fmt::format("'{}': {}", request.destination, to.error);
        return result;
    }
    const std::string queue = protocol::user_queue_name(to.principal, to.name);
    if (request.source == PublishSource::Backend) {
        // Trusted (access to Redis is); every node receives it, and the send script lets
        // one of them send it (Publisher::publish_to_user_in_redis).
        return result;
    }
    if (request.sender == nullptr ||
        shard.security().acl->decide(*request.sender, auth::AclAction::Send, queue) !=
            auth::AclDecision::Allow) {
        result.error = PublishError::AccessDenied;
        result.detail = fmt::format("sending to {} is not allowed", queue);
    }
    return result;
}

std::optional<std::string> user_send_queue(std::string_view destination) {
    if (!protocol::is_user_destination(destination)) {
        return std::nullopt;
    }
    const protocol::UserQueueAddress to = protocol::parse_user_send(destination);
    if (!to.error.empty()) {
        return std::nullopt;
    }
    return protocol::user_queue_name(to.principal, to.name);
}

std::optional<UserSubscription> resolve_user_subscription(const auth::Principal& principal,
                                                          std::string_view destination) {
    if (!protocol::is_user_destination(destination)) {
        return std::nullopt;
    }
    UserSubscription out;
    const auto name = protocol::own_user_queue_name(destination);
    if (!name) {
        out.error = protocol::CloseReason::BadDestination;
        out.detail = fmt::format(
            "'{}': subscribe to /user/queue/NAME (your own queue); /user/PRINCIPAL/queue/NAME "
            "is for SEND",
            destination);
        return out;
    }
    if (principal.anonymous || principal.name.empty()) {
        out.error = protocol::CloseReason::NeedsPrincipal;
        out.detail = fmt::format("'{}' is a principal's own queue; an anonymous session has none",
                                 destination);
        return out;
    }
    out.queue = protocol::user_queue_name(principal.name, *name);
    return out;
}

}  // namespace stampede::broker
