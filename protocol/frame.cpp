// Command and version names, and the first-wins header lookup. Pure, any thread.
#include "protocol/frame.hpp"

#include <array>

namespace stampede::protocol {

namespace {

// Indexed by Command; the order must follow the enum.
constexpr std::array<std::string_view, 16> kCommandNames = {
    "CONNECT", "STOMP", "SEND",       "SUBSCRIBE", "UNSUBSCRIBE", "ACK",     "NACK",  "BEGIN",
    "COMMIT",  "ABORT", "DISCONNECT", "CONNECTED", "MESSAGE",     "RECEIPT", "ERROR", "UNKNOWN",
};
static_assert(static_cast<std::size_t>(Command::Unknown) + 1 == kCommandNames.size());

}  // namespace

std::string_view command_name(Command command) {
    const auto index = static_cast<std::size_t>(command);
    return index < kCommandNames.size() ? kCommandNames[index] : kCommandNames.back();
}

Command parse_command(std::string_view text) {
    // Called once per parsed frame: dispatch on the first letter instead of comparing against
    // all fifteen names. Commands are case sensitive (spec), so "send" is Unknown.
    const auto is = [text](Command command) {
        return text == kCommandNames[static_cast<int>(command)];
    };
    if (text.empty()) {
        return Command::Unknown;
    }
    switch (text.front()) {
        case 'A':
            return is(Command::Ack)     ? Command::Ack
                   : is(Command::Abort) ? Command::Abort
                                        : Command::Unknown;
        case 'B':
            return is(Command::Begin) ? Command::Begin : Command::Unknown;
        case 'C':
            if (is(Command::Connect)) {
                return Command::Connect;
            }
            if (is(Command::Commit)) {
                return Command::Commit;
            }
            return is(Command::Connected) ? Command::Connected : Command::Unknown;
        case 'D':
            return is(Command::Disconnect) ? Command::Disconnect : Command::Unknown;
        case 'E':
            return is(Command::Error) ? Command::Error : Command::Unknown;
        case 'M':
            return is(Command::Message) ? Command::Message : Command::Unknown;
        case 'N':
            return is(Command::Nack) ? Command::Nack : Command::Unknown;
        case 'R':
            return is(Command::Receipt) ? Command::Receipt : Command::Unknown;
        case 'S':
            if (is(Command::Send)) {
                return Command::Send;
            }
            if (is(Command::Subscribe)) {
                return Command::Subscribe;
            }
            return is(Command::Stomp) ? Command::Stomp : Command::Unknown;
        case 'U':
            return is(Command::Unsubscribe) ? Command::Unsubscribe : Command::Unknown;
        default:
            return Command::Unknown;
    }
}

std::string_view version_name(Version version) {
    switch (version) {
        case Version::V1_0:
            return "1.0";
        case Version::V1_1:
            return "1.1";
        case Version::V1_2:
            return "1.2";
    }
    return "1.2";
}

std::optional<std::string_view> Frame::header(std::string_view name) const {
    for (const Header& entry : headers) {
        if (entry.name == name) {
            return entry.value;
        }
    }
    return std::nullopt;
}

}  // namespace stampede::protocol
