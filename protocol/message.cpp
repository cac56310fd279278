// Message::make: filters the sender's headers and encodes the shared MESSAGE header block once
// per STOMP version, so a delivery costs only its subscription line and a copy. Called on the
// publishing shard's thread; the result is immutable and shared by every thread.
#include "protocol/message.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>

#include "protocol/headers.hpp"
#include "protocol/user_destination.hpp"

namespace stampede::protocol {

namespace {

// Headers the broker sets itself or that describe the SEND rather than the message.
bool is_dropped(std::string_view name) {
    static constexpr std::array<std::string_view, 17> kDropped = {
        "destination",
        "message-id",
        "subscription",
        "ack",
        "receipt",
        "transaction",
        "content-length",
        "x-sender",
        "redelivered",
        "x-redeliveries",
        "x-original-destination",
        "x-death-reason",
        "x-seq",
        "x-epoch",
        "x-replay",
        "x-user-count",
        "x-presence",
    };
    return name.empty() || std::find(kDropped.begin(), kDropped.end(), name) != kDropped.end();
}

// What kind of bytes a string holds, gathered in one table-driven pass (find_first_of with a
// set costs a memchr per byte and was most of make()'s time).
enum ByteClass : std::uint8_t {
    kEscaped = 1,  // written differently by some version
    kCarriageReturn = 2,
    kLineFeed = 4,
    kColon = 8,
    kNul = 16,
};

constexpr std::array<std::uint8_t, 256> kByteClasses = [] {
    std::array<std::uint8_t, 256> classes{};
    classes[static_cast<unsigned char>('\n')] = kEscaped | kLineFeed;
    classes[static_cast<unsigned char>('\r')] = kEscaped | kCarriageReturn;
    classes[static_cast<unsigned char>(':')] = kEscaped | kColon;
    classes[static_cast<unsigned char>('\\')] = kEscaped;
    classes[0] = kNul;
    return classes;
}();

std::uint8_t classes_of(std::string_view text) {
    std::uint8_t found = 0;
    for (const char c : text) {
        found |= kByteClasses[static_cast<unsigned char>(c)];
    }
    return found;
}

// A header that no STOMP version can carry (a NUL would end the frame) is not passed on.
bool keeps(const std::vector<std::pair<std::string, std::string>>& kept, std::string_view name,
           std::string_view value) {
    if (is_dropped(name) || ((classes_of(name) | classes_of(value)) & kNul) != 0) {
        return false;
    }
    // Repeated names: the first occurrence is the value (spec), the rest is history we drop.
    return std::none_of(kept.begin(), kept.end(),
                        [name](const auto& h) { return h.first == name; });
}

// 1.0 has no escapes: a CR or LF would split the line and a ':' in a name would move the
// name/value split, so such a header is left out of the 1.0 block instead of being mangled.
bool fits_v1_0(std::string_view name, std::string_view value) {
    return (classes_of(name) & (kCarriageReturn | kLineFeed | kColon)) == 0 &&
           (classes_of(value) & (kCarriageReturn | kLineFeed)) == 0;
}

std::string encode_block(const Message& m, Version version) {
    std::string out;
    std::size_t estimate = 64 + m.destination.size() + m.id.size() + m.sender.size();
    for (const auto& [name, value] : m.headers) {
        estimate += name.size() + value.size() + 2;
    }
    out.reserve(estimate);
    // A user queue's messages show the subscriber's own name for it (user_destination.hpp).
    const std::optional<std::string> shown = shown_user_destination(m.destination);
    append_header_line(out, "destination", shown ? *shown : m.destination, version,
                       Command::Message);
    append_header_line(out, "message-id", m.id, version, Command::Message);
    if (!m.sender.empty()) {
        append_header_line(out, "x-sender", m.sender, version, Command::Message);
    }
    for (const auto& [name, value] : m.headers) {
        if (version == Version::V1_0 && !fits_v1_0(name, value)) {
            continue;
        }
        append_header_line(out, name, value, version, Command::Message);
    }
    std::array<char, 24> digits{};
    const auto result = std::to_chars(digits.begin(), digits.end(), m.body.size());
    out.append("content-length:");
    out.append(digits.data(), result.ptr);
    out.push_back('\n');
    return out;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// `expires` (RabbitMQ/ActiveMQ): ms since the epoch; 0 or anything but digits = none.
std::int64_t parse_expires(const std::vector<std::pair<std::string, std::string>>& headers) {
    for (const auto& [name, value] : headers) {
        if (name == "expires") {
            std::int64_t ms = 0;
            const auto [end, error] =
                std::from_chars(value.data(), value.data() + value.size(), ms);
            return error == std::errc{} && end == value.data() + value.size() && ms > 0 ? ms : 0;
        }
    }
    return 0;
}

MessagePtr finish(std::shared_ptr<Message> message, const RoomStamp* room = nullptr) {
    if (room != nullptr && room->seq != 0) {
        message->seq = room->seq;
        message->headers.emplace_back("x-seq", std::to_string(room->seq));
        message->headers.emplace_back("x-epoch", std::string(room->epoch));
    }
    if (room != nullptr && !room->presence.empty()) {
        message->presence_version = room->presence_version;
        message->headers.emplace_back("x-presence", std::string(room->presence));
        if (!room->user.empty()) {
            message->headers.emplace_back("x-user", std::string(room->user));
        }
    }
    if (room != nullptr && room->user_count) {
        message->headers.emplace_back("x-user-count", std::to_string(*room->user_count));
    }
    message->body_is_utf8 = is_valid_utf8(message->body);
    // The blocks differ only where a byte needs an escape (1.0 leaves such headers out) and
    // 1.1 differs from 1.2 only by its raw CR; a NUL becomes a space in every version alike.
    // Most messages have none of these bytes and encode once.
    std::uint8_t found =
        classes_of(message->destination) | classes_of(message->id) | classes_of(message->sender);
    for (const auto& [name, value] : message->headers) {
        found |= classes_of(name) | classes_of(value);
    }
    const bool escapes = (found & kEscaped) != 0;
    const bool carriage_return = (found & kCarriageReturn) != 0;
    auto& blocks = message->encoded_headers;
    blocks[0] = encode_block(*message, Version::V1_0);
    blocks[2] = escapes ? encode_block(*message, Version::V1_2) : blocks[0];
    blocks[1] = carriage_return ? encode_block(*message, Version::V1_1) : blocks[2];
    return message;
}

}  // namespace

MessagePtr Message::make(std::string_view destination, std::string id, std::string origin_node,
                         std::string sender, const std::vector<Header>& headers,
                         std::string_view body, const RoomStamp* room) {
    auto message = std::make_shared<Message>();
    message->destination = destination;
    message->id = std::move(id);
    message->origin_node = std::move(origin_node);
    message->sender = std::move(sender);
    message->headers.reserve(headers.size());
    for (const Header& header : headers) {
        if (keeps(message->headers, header.name, header.value)) {
            message->headers.emplace_back(header.name, header.value);
        }
    }
    message->body = body;
    message->created_ms = now_ms();
    message->expires_ms = parse_expires(message->headers);
    return finish(std::move(message), room);
}

MessagePtr Message::make(std::string_view destination, std::string id, std::string origin_node,
                         std::string sender,
                         std::vector<std::pair<std::string, std::string>> headers, std::string body,
                         const RoomStamp* room) {
    auto message = std::make_shared<Message>();
    message->destination = destination;
    message->id = std::move(id);
    message->origin_node = std::move(origin_node);
    message->sender = std::move(sender);
    message->headers.reserve(headers.size());
    for (auto& [name, value] : headers) {
        if (keeps(message->headers, name, value)) {
            message->headers.emplace_back(std::move(name), std::move(value));
        }
    }
    message->body = std::move(body);
    message->created_ms = now_ms();
    message->expires_ms = parse_expires(message->headers);
    return finish(std::move(message), room);
}

MessagePtr Message::redelivery() const {
    auto message = std::make_shared<Message>(*this);
    message->redelivered = true;
    ++message->redeliveries;
    std::erase_if(message->headers, [](const auto& h) {
        return h.first == "redelivered" || h.first == "x-redeliveries";
    });
    message->headers.emplace_back("redelivered", "true");
    message->headers.emplace_back("x-redeliveries", std::to_string(message->redeliveries));
    return finish(std::move(message));
}

MessagePtr Message::dead_letter(std::string_view to, std::string new_id,
                                std::string_view reason) const {
    auto message = std::make_shared<Message>();
    message->destination = to;
    message->id = std::move(new_id);
    message->origin_node = origin_node;
    message->sender = sender;
    message->headers.reserve(headers.size() + 3);
    for (const auto& header : headers) {
        if (header.first != "redelivered" && header.first != "x-redeliveries") {
            message->headers.push_back(header);
        }
    }
    message->headers.emplace_back("x-death-reason", std::string(reason));
    message->headers.emplace_back("x-redeliveries", std::to_string(redeliveries));
    message->headers.emplace_back("x-original-destination", destination);
    message->body = body;
    message->created_ms = now_ms();
    message->dead_lettered = true;
    return finish(std::move(message));
}

}  // namespace stampede::protocol
