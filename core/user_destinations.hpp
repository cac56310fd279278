// User destinations (Spring's convention) for the publish pipeline and SUBSCRIBE: a SEND to
// `/user/PRINCIPAL/queue/NAME` goes to that principal's queue NAME, whose internal name is
// `/user/<PRINCIPAL percent-encoded>/queue/NAME` (protocol/user_destination.hpp); the ACL
// judges the sender against that name. A SUBSCRIBE to `/user/queue/NAME` consumes the
// subscriber's own queue (no ACL: it is its own); every subscribed session of the principal
// gets every message (QueueManager fans user queues out). docs/protocol.md, "User
// destinations". Shard thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.hpp"
#include "core/publish_request.hpp"
#include "protocol/close_reason.hpp"

namespace stampede::broker {

class ShardServices;

/// Publisher::check's part for `/user/` destinations (shape, encoding, ACL on the internal
/// name): nullopt for any other destination.
std::optional<PublishResult> check_user_send(const ShardServices& shard,
                                             const PublishRequest& request);
/// The internal queue name a SEND to `destination` goes to; nullopt when it is not a
/// well-formed user destination.
std::optional<std::string> user_send_queue(std::string_view destination);

/// What a SUBSCRIBE to a `/user/` destination consumes: the internal queue name, or the
/// refusal (`error` set).
struct UserSubscription {
    std::string queue;
    std::optional<protocol::CloseReason> error;
    std::string detail;
};
/// Nullopt when `destination` is not a `/user/` destination.
std::optional<UserSubscription> resolve_user_subscription(const auth::Principal& principal,
                                                          std::string_view destination);

}  // namespace stampede::broker
