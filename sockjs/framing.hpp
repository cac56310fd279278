// SockJS framing: what the server sends (open 'o', heartbeat 'h', messages 'a[...]', close
// 'c[code,"reason"]') and what the client sends (a JSON array of strings, or one string on
// the websocket transport). The messages carry the STOMP byte stream. Pure; any thread;
// nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stampede::sockjs {

inline constexpr std::string_view kOpenFrame = "o";
inline constexpr std::string_view kHeartbeatFrame = "h";

/// The close codes of the SockJS protocol.
inline constexpr std::uint16_t kGoAway = 3000;             // the server ended the session
inline constexpr std::uint16_t kAnotherConnection = 2010;  // a second receiver for a session
inline constexpr std::uint16_t kInterrupted = 1002;        // a receiver went away mid-request

/// The largest JSON a client may send in one message (an xhr_send body, a websocket
/// message) when STOMP frames may be `max_frame_bytes` long: JSON escaping can double
/// ordinary text, and a little room is left for the array around it.
constexpr std::size_t max_message_bytes(std::size_t max_frame_bytes) {
    return 2 * max_frame_bytes + 65536;
}

/// Appends `a["<text>"]`: one message holding `text` as a JSON string, escaped as SockJS
/// servers must (control characters, U+200C-U+200F, U+2028-U+202F, U+2060-U+206F,
/// U+FFF0-U+FFFF, quote and backslash). `text` is meant to be UTF-8; a byte that does not
/// start a valid sequence becomes U+FFFD (a SockJS message is text: there is no binary).
void append_message_frame(std::string& out, std::string_view text);

/// Appends `c[<code>,"<reason>"]`.
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason);

/// The JSON string escape of append_message_frame, quotes included.
void append_json_string(std::string& out, std::string_view text);

enum class DecodeResult {
    Ok,     // `out` received the messages' text, concatenated
    Empty,  // no payload at all ("Payload expected.")
    Broken  // not a JSON array of strings (or a string, when allowed) ("Broken JSON encoding.")
};

/// Reads what a client sent: a JSON array of strings (xhr_send; and the websocket transport),
/// or, with `allow_single_string`, one JSON string (the websocket transport accepts both).
/// Appends the strings' UTF-8 text to `out`, in order. Parsing is iterative (no recursion
/// on nesting) and bounded by the input, which the caller bounds.
DecodeResult decode_messages(std::string_view json, bool allow_single_string, std::string& out);

}  // namespace stampede::sockjs
