// Presence across a cluster, kept in Redis (DESIGN.md "Rooms"): which principals are in each
// room with presence on, on any node, and which node holds which of them, so that the members
// of a node that died leave once its time is up.
//
// Under <prefix>:
//   <prefix>:pr:<room>   hash member -> how many nodes hold it (a member is in the room while
//                        one node does: three tabs on two nodes are one member)
//   <prefix>:pi:<room>   hash member -> its info (presence.info_claim), when it has one
//   <prefix>:pn:<node>   hash "<len(room)>:<room><member>" -> the room's node_ttl_s: what the
//                        node holds
//   <prefix>:pnodes      sorted set node -> when it was last heard of (ms, Redis's clock)
//   <prefix>:prooms      set of the rooms that have members
//   <prefix>:pver        the number of the last change
//   <prefix>:presence    the channel: one JSON notice per change,
//                        {"v":number,"e":"enter"|"leave","r":room,"u":member,"i":info}
// Every script runs whole, so a member enters once however many nodes report it, and every
// change gets its number and its notice together. Each script also records that its node is
// alive; a node that every script of which says was unknown (reaped, or Redis lost its keys)
// reports all it holds again with the sync script. Pure: argv builders and reply parsing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct redisReply;

namespace stampede::storage {

/// One member of one room on the calling node.
struct PresenceHeld {
    std::string room;
    std::string member;
    std::string info;         // "" = none
    std::uint32_t ttl_s = 0;  // the room's presence.node_ttl_s
};

/// One change for the changes script: `held` set = the node holds it now (an enter, if no
/// node did); unset = the node holds it no more (a leave, if it was the last).
struct PresenceReport {
    std::string room;
    std::string member;
    std::optional<PresenceHeld> held;
};

/// A notice from the channel.
struct PresenceNotice {
    std::uint64_t version = 0;
    bool enter = false;
    std::string room;
    std::string member;
    std::string info;
};

/// <prefix>:presence.
std::string presence_channel(std::string_view prefix);

/// What changed on `node` since it last reported.
std::vector<std::string> presence_changes_command(std::string_view prefix, std::string_view node,
                                                  const std::vector<PresenceReport>& reports);
/// Everything `node` holds: what Redis has of it and this list does not leaves, the rest enters.
std::vector<std::string> presence_sync_command(std::string_view prefix, std::string_view node,
                                               const std::vector<PresenceHeld>& held);
/// `node` is alive; the members of every node silent for longer than their room's node_ttl_s
/// leave.
std::vector<std::string> presence_reap_command(std::string_view prefix, std::string_view node);
/// Each of the three answers whether Redis knew the node (false: report everything again with
/// the sync script); nullopt when the reply is an error.
std::optional<bool> parse_presence_known(const redisReply* reply);

/// Every room's members, and the number of the last change.
std::vector<std::string> presence_load_command(std::string_view prefix);
/// room -> member -> info ("" none).
using PresenceRooms =
    std::unordered_map<std::string, std::map<std::string, std::string, std::less<>>>;
struct PresenceLoad {
    std::uint64_t version = 0;
    PresenceRooms rooms;
};
std::optional<PresenceLoad> parse_presence_load(const redisReply* reply);

std::optional<PresenceNotice> parse_presence_notice(std::string_view payload);

}  // namespace stampede::storage
