// Temporary reply queues (RabbitMQ's convention): a SEND with `reply-to:/temp-queue/NAME` is
// delivered with `reply-to:/reply-queue/<session>.<NAME>` (session = the sender's CONNECTED
// `session`, "<shard>-<id>"); a SEND to that destination skips the ACL and reaches only that
// connection, on whatever shard, as a MESSAGE with `subscription:/temp-queue/NAME` and
// `destination:/temp-queue/NAME`. Nothing is kept: a reply to a session that is gone, or
// that never used NAME, is dropped. docs/protocol.md, "Temporary reply queues".
// Shard thread only (deliver_reply hands the message to the owner's shard).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/publish_request.hpp"
#include "core/subscription.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"

namespace stampede::broker {

class ShardServices;
class Subscriber;

/// `/reply-queue/<shard>-<session id>.<NAME>`, parsed.
struct ReplyAddress {
    unsigned shard = 0;
    std::uint64_t session = 0;
    std::string name;  // NAME: the owner's /temp-queue/NAME
    std::string temp_destination() const;
};
/// Nullopt when `destination` is not a well-formed reply queue.
std::optional<ReplyAddress> parse_reply_queue(std::string_view destination);
/// `/reply-queue/<session_name>.<name>`.
std::string reply_queue_of(std::string_view session_name, std::string_view name);
/// NAME when `value` (a reply-to header) is `/temp-queue/NAME`; empty NAME included (refused
/// by the caller).
std::optional<std::string_view> temp_queue_name(std::string_view value);

/// Publisher::check's part for `/reply-queue/` and `/temp-queue/` destinations: nullopt for
/// any other destination.
std::optional<PublishResult> check_reply_send(const PublishRequest& request);

/// The SEND's headers with a `reply-to:/temp-queue/NAME` rewritten to the sender's reply
/// queue (`storage` holds the new value, `rewritten` the headers); `request.frame_headers`
/// itself when there is nothing to rewrite (or no session: HTTP).
const std::vector<protocol::Header>* rewrite_reply_to(const PublishRequest& request,
                                                      std::vector<protocol::Header>& rewritten,
                                                      std::string& storage);

/// Hands a reply (a message to `to.temp_destination()`) to its session's shard, which
/// delivers it if the session is still there (Session::deliver_reply).
void deliver_reply(ShardServices& shard, const ReplyAddress& to,
                   const protocol::MessagePtr& message);

}  // namespace stampede::broker
