// User destinations (Spring's convention) and temporary reply queues (RabbitMQ's): the pure
// naming rules, no I/O. A session SUBSCRIBEs to `/user/queue/NAME` (its principal's own
// queue) and others SEND to `/user/PRINCIPAL/queue/NAME`; both name one node-local queue
// whose internal name is `/user/<encoded principal>/queue/NAME`, and whose MESSAGEs show
// `destination:/user/queue/NAME`. See docs/protocol.md, "User destinations".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stampede::protocol {

inline constexpr std::string_view kUserPrefix = "/user/";
inline constexpr std::string_view kOwnUserQueuePrefix = "/user/queue/";
inline constexpr std::string_view kTempQueuePrefix = "/temp-queue/";
inline constexpr std::string_view kReplyQueuePrefix = "/reply-queue/";

inline bool is_user_destination(std::string_view destination) {
    return destination.starts_with(kUserPrefix);
}

/// A principal as one segment of a user queue's internal name: '%', '/' and '.' become
/// %25, %2F and %2E, so the name splits unambiguously and a principal is one '.'-segment.
std::string encode_principal(std::string_view principal);
/// The inverse, for a SEND's PRINCIPAL: %2F, %2E and %25 (either case of hex digit) decode;
/// any other '%' (another escape, a truncated one) and an empty result are refused.
std::optional<std::string> decode_principal(std::string_view encoded);

/// `/user/queue/NAME` (a SUBSCRIBE to one's own queue): NAME, non-empty; else nullopt.
std::optional<std::string_view> own_user_queue_name(std::string_view destination);

/// A SEND to `/user/PRINCIPAL/queue/NAME`, decoded; or why it is refused.
struct UserQueueAddress {
    std::string principal;  // decoded
    std::string name;
    std::string error;  // non-empty: refused, this says why
};
UserQueueAddress parse_user_send(std::string_view destination);

/// The internal (queue manager, ACL, destinations.queues[]) name of `principal`'s queue NAME.
std::string user_queue_name(std::string_view principal, std::string_view name);
/// What a user queue's MESSAGEs show: `/user/queue/NAME` for an internal name, nullopt for
/// anything else.
std::optional<std::string> shown_user_destination(std::string_view internal);

}  // namespace stampede::protocol
