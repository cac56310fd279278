// See framing.hpp.
#include "sockjs/framing.hpp"

#include <rapidjson/document.h>

#include <charconv>

namespace stampede::sockjs {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t unit) {
    out += "\\u";
    out += kHex[(unit >> 12) & 0xf];
    out += kHex[(unit >> 8) & 0xf];
    out += kHex[(unit >> 4) & 0xf];
    out += kHex[unit & 0xf];
}

// Characters browsers or proxies mangle on some transports; the SockJS protocol asks servers
// to send them escaped.
bool server_must_escape(std::uint32_t cp) {
    return cp < 0x20 || (cp >= 0x200c && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
           (cp >= 0x2060 && cp <= 0x206f) || (cp >= 0xfff0 && cp <= 0xffff);
}

// Length of the valid UTF-8 sequence at text[i] and its code point; 0 when invalid.
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::uint32_t& cp) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    std::uint32_t min = 0;
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        cp = lead & 0x1f;
        min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        cp = lead & 0x0f;
        min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        cp = lead & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + length > text.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(k) & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (byte(k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return length;
}

// RapidJSON 1.1 lets a lone low surrogate escape (\\udc00) through as the three bytes of an
// encoded surrogate, which is not UTF-8: every decoded string is checked once more.
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = utf8_sequence(text, i, cp);
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t length = utf8_sequence(text, i, cp);
        if (length == 0) {
            append_u_escape(out, 0xfffd);
            ++i;
            continue;
        }
        if (server_must_escape(cp)) {
            append_u_escape(out, cp);
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    out += '"';
}

void append_message_frame(std::string& out, std::string_view text) {
    out += "a[";
    append_json_string(out, text);
    out += ']';
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason) {
    char digits[8];
    const auto end = std::to_chars(digits, digits + sizeof digits, code).ptr;
    out += "c[";
    out.append(digits, end);
    out += ',';
    append_json_string(out, reason);
    out += ']';
}

DecodeResult decode_messages(std::string_view json, bool allow_single_string, std::string& out) {
    if (json.empty()) {
        return DecodeResult::Empty;
    }
    rapidjson::Document document;
    // Iterative: a deeply nested array costs no stack. Encoding validated: the STOMP parser
    // gets UTF-8 only from here. Anything but whitespace after the value is an error.
    constexpr unsigned kFlags =
        rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
    document.Parse<kFlags>(json.data(), json.size());
    if (document.HasParseError()) {
        return DecodeResult::Broken;
    }
    if (document.IsString()) {
        if (!allow_single_string) {
            return DecodeResult::Broken;
        }
        const std::string_view text(document.GetString(), document.GetStringLength());
        if (!valid_utf8(text)) {
            return DecodeResult::Broken;
        }
        out.append(text);
        return DecodeResult::Ok;
    }
    if (!document.IsArray()) {
        return DecodeResult::Broken;
    }
    for (const auto& item : document.GetArray()) {
        if (!item.IsString() ||
            !valid_utf8(std::string_view(item.GetString(), item.GetStringLength()))) {
            return DecodeResult::Broken;
        }
    }
    for (const auto& item : document.GetArray()) {
        out.append(item.GetString(), item.GetStringLength());
    }
    return DecodeResult::Ok;
}

}  // namespace stampede::sockjs
