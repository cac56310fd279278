// User queues across a cluster (`/user/PRINCIPAL/queue/NAME`, Spring's convention): a message
// reaches every session of the principal on whichever node it is connected to, and waits in
// Redis while the principal has none anywhere.
//
// Per user queue (its internal name, protocol/user_destination.hpp), under <prefix>:
//   <prefix>:t:<queue>   the relay channel: every node with a local subscriber of the queue
//                        SUBSCRIBEs to it
//   <prefix>:uq:<queue>  a list of the envelopes that found no subscriber, oldest first
// The send script PUBLISHes the envelope and, when no node received it (PUBLISH counts the
// receivers), appends it to the list instead, bounded by the queue's max_messages. A node
// whose first subscriber arrives SUBSCRIBEs, and once Redis confirmed it takes the whole list
// (the drain script): whatever was sent before the confirmation is in the list, whatever
// after reaches the channel, so nothing is lost or delivered twice. Pure: argv builders and
// reply parsing; the connection is the caller's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace stampede::storage {

/// What became of a user-queue message.
enum class UserSendOutcome {
    Delivered,  // some node received it on the channel
    Stored,     // nobody subscribed anywhere: it waits in the list
    Full,       // nobody subscribed and the list holds max_messages (overflow: reject)
    Duplicate,  // a backend publish another node already sent (`dedupe`)
};

/// The EVAL argv of a user-queue send. `max_messages` 0 = no bound; `drop_oldest`: a full
/// list drops its oldest instead of refusing. `dedupe` non-empty (a backend publish, which
/// every node receives alike): only the first run with it within 5 s sends the message.
std::vector<std::string> user_send_command(std::string_view prefix, std::string_view queue,
                                           std::string_view channel, std::string_view envelope,
                                           std::uint64_t max_messages, bool drop_oldest,
                                           std::string_view dedupe = {});
/// Null when the reply is an error or not the script's.
std::optional<UserSendOutcome> parse_user_send(const redisReply* reply);

/// The EVAL argv that takes (reads and deletes) every envelope waiting in a user queue.
std::vector<std::string> user_drain_command(std::string_view prefix, std::string_view queue);
/// The envelopes, oldest first; null when the reply is an error or not the script's.
std::optional<std::vector<std::string>> parse_user_drain(const redisReply* reply);

}  // namespace stampede::storage
