// See redis_presence.hpp.
#include "storage/redis_presence.hpp"

#include <hiredis/hiredis.h>
#include <rapidjson/document.h>

#include "storage/redis_values.hpp"

namespace stampede::storage {

namespace {

// What every script shares. ARGV[1] the prefix, ARGV[2] the node. `now` is Redis's clock, so
// nodes with skewed clocks agree on who is late. Returns from alive(): whether Redis knew the
// node already.
constexpr std::string_view kPrelude = R"lua(
local P = ARGV[1]
local node = ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function entry(room, member) return #room .. ':' .. room .. member end
local function split(e)
  local c = string.find(e, ':', 1, true)
  local n = tonumber(string.sub(e, 1, c - 1))
  return string.sub(e, c + 1, c + n), string.sub(e, c + n + 1)
end
local function notice(kind, room, member, info)
  local v = redis.call('INCR', P .. ':pver')
  redis.call('PUBLISH', P .. ':presence',
    cjson.encode({v = v, e = kind, r = room, u = member, i = info}))
end
local function enter(n, room, member, info, ttl)
  if redis.call('HSETNX', P .. ':pn:' .. n, entry(room, member), ttl) == 0 then return end
  if redis.call('HINCRBY', P .. ':pr:' .. room, member, 1) == 1 then
    if info ~= '' then redis.call('HSET', P .. ':pi:' .. room, member, info) end
    redis.call('SADD', P .. ':prooms', room)
    notice('enter', room, member, info)
  end
end
local function leave(n, room, member)
  if redis.call('HDEL', P .. ':pn:' .. n, entry(room, member)) == 0 then return end
  if redis.call('HINCRBY', P .. ':pr:' .. room, member, -1) <= 0 then
    redis.call('HDEL', P .. ':pr:' .. room, member)
    redis.call('HDEL', P .. ':pi:' .. room, member)
    if redis.call('HLEN', P .. ':pr:' .. room) == 0 then redis.call('SREM', P .. ':prooms', room) end
    notice('leave', room, member, '')
  end
end
local known = redis.call('ZADD', P .. ':pnodes', now, node) == 0
)lua";

// ARGV[3..]: groups of five: "e" | "l", room, member, info, ttl.
constexpr std::string_view kChanges = R"lua(
for i = 3, #ARGV, 5 do
  if ARGV[i] == 'e' then
    enter(node, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
  else
    leave(node, ARGV[i + 1], ARGV[i + 2])
  end
end
return known and 1 or 0
)lua";

// ARGV[3..]: groups of four: room, member, info, ttl: all the node holds.
constexpr std::string_view kSync = R"lua(
local want = {}
for i = 3, #ARGV, 4 do want[entry(ARGV[i], ARGV[i + 1])] = i end
for _, e in ipairs(redis.call('HKEYS', P .. ':pn:' .. node)) do
  if not want[e] then
    local room, member = split(e)
    leave(node, room, member)
  end
end
for _, i in pairs(want) do enter(node, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]) end
return known and 1 or 0
)lua";

// Nodes silent for over a second are looked at; a member leaves when its node has been silent
// for longer than its room's node_ttl_s, and a node with nothing left is forgotten.
constexpr std::string_view kReap = R"lua(
for _, n in ipairs(redis.call('ZRANGEBYSCORE', P .. ':pnodes', '-inf', now - 1000)) do
  if n ~= node then
    local silent = now - tonumber(redis.call('ZSCORE', P .. ':pnodes', n))
    local held = redis.call('HGETALL', P .. ':pn:' .. n)
    local kept = 0
    for j = 1, #held, 2 do
      if silent > tonumber(held[j + 1]) * 1000 then
        local room, member = split(held[j])
        leave(n, room, member)
      else
        kept = kept + 1
      end
    end
    if kept == 0 then redis.call('ZREM', P .. ':pnodes', n) end
  end
end
return known and 1 or 0
)lua";

// ARGV[1] the prefix. {version, {{room, member, info, member, info, ...}, ...}}.
constexpr std::string_view kLoad = R"lua(
local P = ARGV[1]
local rooms = {}
for _, room in ipairs(redis.call('SMEMBERS', P .. ':prooms')) do
  local row = {room}
  for _, member in ipairs(redis.call('HKEYS', P .. ':pr:' .. room)) do
    row[#row + 1] = member
    row[#row + 1] = redis.call('HGET', P .. ':pi:' .. room, member) or ''
  end
  rooms[#rooms + 1] = row
end
return {tonumber(redis.call('GET', P .. ':pver') or '0'), rooms}
)lua";

std::vector<std::string> script(std::string_view body, std::string_view prefix,
                                std::string_view node) {
    std::string text(kPrelude);
    text.append(body);
    return {"EVAL", std::move(text), "0", std::string(prefix), std::string(node)};
}

}  // namespace

std::string presence_channel(std::string_view prefix) {
    std::string channel(prefix);
    channel.append(":presence");
    return channel;
}

std::vector<std::string> presence_changes_command(std::string_view prefix, std::string_view node,
                                                  const std::vector<PresenceReport>& reports) {
    std::vector<std::string> argv = script(kChanges, prefix, node);
    argv.reserve(argv.size() + reports.size() * 5);
    for (const PresenceReport& report : reports) {
        argv.emplace_back(report.held ? "e" : "l");
        argv.push_back(report.room);
        argv.push_back(report.member);
        argv.push_back(report.held ? report.held->info : std::string());
        argv.push_back(std::to_string(report.held ? report.held->ttl_s : 0));
    }
    return argv;
}

std::vector<std::string> presence_sync_command(std::string_view prefix, std::string_view node,
                                               const std::vector<PresenceHeld>& held) {
    std::vector<std::string> argv = script(kSync, prefix, node);
    argv.reserve(argv.size() + held.size() * 4);
    for (const PresenceHeld& one : held) {
        argv.push_back(one.room);
        argv.push_back(one.member);
        argv.push_back(one.info);
        argv.push_back(std::to_string(one.ttl_s));
    }
    return argv;
}

std::vector<std::string> presence_reap_command(std::string_view prefix, std::string_view node) {
    return script(kReap, prefix, node);
}

std::optional<bool> parse_presence_known(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
        return std::nullopt;
    }
    return reply->integer == 1;
}

std::vector<std::string> presence_load_command(std::string_view prefix) {
    return {"EVAL", std::string(kLoad), "0", std::string(prefix)};
}

std::optional<PresenceLoad> parse_presence_load(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        return std::nullopt;
    }
    const auto version = reply_number(reply->element[0]);
    if (!version) {
        return std::nullopt;
    }
    PresenceLoad load;
    load.version = *version;
    const redisReply* rooms = reply->element[1];
    for (std::size_t i = 0; i < rooms->elements; ++i) {
        const redisReply* row = rooms->element[i];
        if (row->type != REDIS_REPLY_ARRAY || row->elements % 2 != 1) {
            return std::nullopt;
        }
        auto room = reply_text(row->element[0]);
        if (!room) {
            return std::nullopt;
        }
        auto& members = load.rooms[*room];
        for (std::size_t j = 1; j + 1 < row->elements; j += 2) {
            auto member = reply_text(row->element[j]);
            auto info = reply_text(row->element[j + 1]);
            if (!member || !info) {
                return std::nullopt;
            }
            members.emplace(std::move(*member), std::move(*info));
        }
        if (members.empty()) {
            load.rooms.erase(*room);
        }
    }
    return load;
}

std::optional<PresenceNotice> parse_presence_notice(std::string_view payload) {
    rapidjson::Document json;
    json.Parse(payload.data(), payload.size());
    if (json.HasParseError() || !json.IsObject()) {
        return std::nullopt;
    }
    const auto text = [&json](const char* name) -> const rapidjson::Value* {
        const auto it = json.FindMember(name);
        return it != json.MemberEnd() && it->value.IsString() ? &it->value : nullptr;
    };
    const auto version = json.FindMember("v");
    const rapidjson::Value* kind = text("e");
    const rapidjson::Value* room = text("r");
    const rapidjson::Value* member = text("u");
    const rapidjson::Value* info = text("i");
    if (version == json.MemberEnd() || !version->value.IsUint64() || kind == nullptr ||
        room == nullptr || member == nullptr) {
        return std::nullopt;
    }
    const std::string_view event(kind->GetString(), kind->GetStringLength());
    if (event != "enter" && event != "leave") {
        return std::nullopt;
    }
    PresenceNotice notice;
    notice.version = version->value.GetUint64();
    notice.enter = event == "enter";
    notice.room.assign(room->GetString(), room->GetStringLength());
    notice.member.assign(member->GetString(), member->GetStringLength());
    if (info != nullptr) {
        notice.info.assign(info->GetString(), info->GetStringLength());
    }
    return notice;
}

}  // namespace stampede::storage
