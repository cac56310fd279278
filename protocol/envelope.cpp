// See envelope.hpp.
#include "protocol/envelope.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "protocol/parser.hpp"
#include "protocol/writer.hpp"

namespace stampede::protocol {
namespace {

struct EnvelopeSink final : FrameSink {
    MessagePtr message;
    bool on_frame(const Frame& frame) override {
        if (frame.command != Command::Message) {
            return false;
        }
        std::string destination, id, origin, sender, epoch, presence, user;
        std::uint64_t seq = 0;
        std::optional<std::uint64_t> user_count;
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& header : frame.headers) {
            if (header.name == "destination") {
                destination = header.value;
            } else if (header.name == "message-id") {
                id = header.value;
            } else if (header.name == "x-origin-node") {
                origin = header.value;
            } else if (header.name == "x-sender") {
                sender = header.value;
            } else if (header.name == "x-seq") {
                const auto value = header.value;
                const auto [end, error] =
                    std::from_chars(value.data(), value.data() + value.size(), seq);
                if (error != std::errc{} || end != value.data() + value.size()) {
                    seq = 0;
                }
            } else if (header.name == "x-epoch") {
                epoch = header.value;
            } else if (header.name == "x-user-count") {
                std::uint64_t count = 0;
                const auto value = header.value;
                const auto [end, error] =
                    std::from_chars(value.data(), value.data() + value.size(), count);
                if (error == std::errc{} && end == value.data() + value.size()) {
                    user_count = count;
                }
            } else if (header.name == "x-presence") {
                presence = header.value;
            } else if (header.name == "x-user") {
                user = header.value;
            } else if (header.name != "content-length") {
                headers.emplace_back(header.name, header.value);
            }
        }
        if (destination.empty() || origin.empty()) {
            return false;
        }
        // A room's stamp travels with the message (the file log, a relayed room message).
        RoomStamp stamp{seq, epoch, user_count, presence, user};
        if (epoch.empty()) {
            stamp.seq = 0;
        }
        if (presence.empty()) {
            stamp.user = {};
            if (!user.empty()) {  // a sender's own x-user header: not the broker's
                headers.emplace_back("x-user", user);
            }
        } else if (user.empty()) {
            stamp.presence = {};
        }
        const bool stamped = stamp.seq != 0 || user_count || !stamp.presence.empty();
        message =
            Message::make(destination, std::move(id), std::move(origin), std::move(sender),
                          std::move(headers), std::string(frame.body), stamped ? &stamp : nullptr);
        return false;  // one frame per envelope
    }
    void on_heartbeat() override {}
};

}  // namespace

std::string encode_envelope(const Message& message) {
    std::vector<OwnedHeader> headers;
    headers.push_back({"x-origin-node", message.origin_node});
    headers.push_back({"message-id", message.id});
    headers.push_back({"destination", message.destination});
    if (!message.sender.empty()) {
        headers.push_back({"x-sender", message.sender});
    }
    for (const auto& [name, value] : message.headers) {
        headers.push_back({name, value});
    }
    std::string out;
    append_frame(out, Command::Message, headers, message.body, Version::V1_2, true);
    return out;
}

MessagePtr decode_envelope(std::string_view bytes) {
    FrameParser parser({bytes.size() + 1, 1024, bytes.size() + 1});
    parser.set_version(Version::V1_2);
    EnvelopeSink sink;
    parser.feed(std::span<const char>(bytes.data(), bytes.size()), sink);
    return sink.message;
}

}  // namespace stampede::protocol
