// Frame serialisation: the only code that writes STOMP frames. Appends to a caller-owned buffer
// (the shard's scratch buffer) on the caller's thread; a batch of frames becomes one write.
#include "protocol/writer.hpp"

#include <array>
#include <charconv>

#include "protocol/headers.hpp"

namespace stampede::protocol {

namespace {

void append_content_length(std::string& out, std::size_t length) {
    std::array<char, 24> digits{};
    const auto result = std::to_chars(digits.begin(), digits.end(), length);
    out.append("content-length:");
    out.append(digits.data(), result.ptr);
    out.push_back('\n');
}

// True when append_header_line writes `text` byte for byte in a MESSAGE frame of any version.
bool is_plain(std::string_view text) {
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == ':' || c == '\\' || c == '\0') {
            return false;
        }
    }
    return true;
}

constexpr std::string_view kMessageLine = "MESSAGE\n";
constexpr std::string_view kSubscriptionName = "subscription";
constexpr std::string_view kAckName = "ack";

}  // namespace

void append_frame(std::string& out, Command command, std::span<const OwnedHeader> headers,
                  std::string_view body, Version version, bool with_content_length) {
    out.append(command_name(command));
    out.push_back('\n');
    const bool write_length = with_content_length || !body.empty();
    for (const OwnedHeader& header : headers) {
        // The writer owns content-length; a caller's copy could contradict the body.
        if (write_length && header.name == "content-length") {
            continue;
        }
        append_header_line(out, header.name, header.value, version, command);
    }
    if (write_length) {
        append_content_length(out, body.size());
    }
    out.push_back('\n');
    out.append(body);
    out.push_back('\0');
}

void append_frame(std::string& out, Command command, std::initializer_list<OwnedHeader> headers,
                  std::string_view body, Version version, bool with_content_length) {
    append_frame(out, command, std::span<const OwnedHeader>(headers.begin(), headers.size()), body,
                 version, with_content_length);
}

std::string message_head(std::string_view subscription, Version version) {
    std::string head(kMessageLine);
    append_header_line(head, kSubscriptionName, subscription, version, Command::Message);
    return head;
}

namespace {

// Everything after the subscription line: ack, the message's shared header block, body, NUL.
void append_message_tail(std::string& out, const Message& message, std::string_view ack,
                         Version version) {
    if (!ack.empty()) {
        append_header_line(out, kAckName, ack, version, Command::Message);
    }
    out.append(message.encoded_headers[static_cast<std::size_t>(version)]);
    out.push_back('\n');
    out.append(message.body);
    out.push_back('\0');
}

// Size of one header line as append_header_line writes it in a MESSAGE frame.
std::size_t header_line_size(std::string_view name, std::string_view value, Version version) {
    if (is_plain(value)) {
        return name.size() + value.size() + 2;  // ':' and '\n'
    }
    // Rare (an id with ':' or '\\'): measure the real encoding so the two never disagree.
    std::string line;
    append_header_line(line, name, value, version, Command::Message);
    return line.size();
}

std::size_t message_tail_size(const Message& message, std::string_view ack, Version version) {
    const std::size_t ack_size = ack.empty() ? 0 : header_line_size(kAckName, ack, version);
    return ack_size + message.encoded_headers[static_cast<std::size_t>(version)].size() + 1 +
           message.body.size() + 1;  // blank line, body, NUL
}

}  // namespace

void append_message(std::string& out, std::string_view head, const Message& message,
                    std::string_view ack, Version version) {
    out.append(head);
    append_message_tail(out, message, ack, version);
}

void append_message(std::string& out, const Message& message, std::string_view subscription,
                    std::string_view ack, Version version) {
    out.append(kMessageLine);
    append_header_line(out, kSubscriptionName, subscription, version, Command::Message);
    append_message_tail(out, message, ack, version);
}

std::size_t message_frame_size(std::string_view head, const Message& message, std::string_view ack,
                               Version version) {
    return head.size() + message_tail_size(message, ack, version);
}

std::size_t message_frame_size(const Message& message, std::string_view subscription,
                               std::string_view ack, Version version) {
    return kMessageLine.size() + header_line_size(kSubscriptionName, subscription, version) +
           message_tail_size(message, ack, version);
}

}  // namespace stampede::protocol
