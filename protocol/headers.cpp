// Header escaping per STOMP version and UTF-8 validation. Pure functions, any thread.
// The spec defines escapes for 1.1 (\n \c \\) and 1.2 (also \r); 1.0 and the connection
// frames (CONNECT, STOMP, CONNECTED) carry header bytes as they are, for 1.0 compatibility.
#include "protocol/headers.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace stampede::protocol {

namespace {

bool escaping_applies(Version version, Command command) {
    return version != Version::V1_0 && command != Command::Connect && command != Command::Stomp &&
           command != Command::Connected;
}

// The two-byte escape for `c` in an escaping context, or nullptr when `c` is written as is.
const char* escape_for(char c, Version version) {
    switch (c) {
        case '\n':
            return "\\n";
        case ':':
            return "\\c";
        case '\\':
            return "\\\\";
        case '\r':
            return version >= Version::V1_2 ? "\\r" : nullptr;
        default:
            return nullptr;
    }
}

// Bytes that are escaped or replaced in some context; every other byte is copied as is.
constexpr std::array<bool, 256> kSpecialBytes = [] {
    std::array<bool, 256> special{};
    for (const unsigned char c : {'\n', '\r', ':', '\\', '\0'}) {
        special[c] = true;
    }
    return special;
}();

// Appends `text` for a header line. `escaped`: the context has escapes. Bytes that cannot be
// carried (see append_header_line) become a space. Runs of plain bytes are appended in one go.
void append_field(std::string& out, std::string_view text, Version version, bool escaped,
                  bool is_name) {
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!kSpecialBytes[static_cast<unsigned char>(c)]) {
            continue;
        }
        const char* replacement = nullptr;
        if (escaped) {
            replacement = c == '\0' ? " " : escape_for(c, version);
        } else if (c == '\0' || c == '\n' || c == '\r' || (is_name && c == ':')) {
            replacement = " ";
        }
        if (replacement != nullptr) {
            out.append(text.data() + run_start, i - run_start);
            out.append(replacement);
            run_start = i + 1;
        }
    }
    out.append(text.data() + run_start, text.size() - run_start);
}

}  // namespace

void append_escaped(std::string& out, std::string_view text, Version version, Command command) {
    if (!escaping_applies(version, command)) {
        out.append(text);
        return;
    }
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!kSpecialBytes[static_cast<unsigned char>(text[i])]) {
            continue;
        }
        if (const char* escape = escape_for(text[i], version)) {
            out.append(text.data() + run_start, i - run_start);
            out.append(escape, 2);
            run_start = i + 1;
        }
    }
    out.append(text.data() + run_start, text.size() - run_start);
}

void append_header_line(std::string& out, std::string_view name, std::string_view value,
                        Version version, Command command) {
    const bool escaped = escaping_applies(version, command);
    append_field(out, name, version, escaped, true);
    out.push_back(':');
    append_field(out, value, version, escaped, false);
    out.push_back('\n');
}

std::size_t unescape_in_place(char* text, std::size_t length, Version version, Command command) {
    if (!escaping_applies(version, command)) {
        return length;
    }
    // Most header values have no backslash at all: find the first one with memchr and leave
    // the bytes before it where they are.
    auto* first = static_cast<char*>(std::memchr(text, '\\', length));
    if (first == nullptr) {
        return length;
    }
    char* out = first;
    const char* in = first;
    const char* const end = text + length;
    while (in < end) {
        if (*in != '\\') {
            *out++ = *in++;
            continue;
        }
        if (in + 1 == end) {
            return std::string_view::npos;  // a lone trailing backslash escapes nothing
        }
        switch (in[1]) {
            case 'n':
                *out++ = '\n';
                break;
            case 'c':
                *out++ = ':';
                break;
            case '\\':
                *out++ = '\\';
                break;
            case 'r':
                if (version < Version::V1_2) {
                    return std::string_view::npos;  // \r is defined from 1.2 on
                }
                *out++ = '\r';
                break;
            default:
                return std::string_view::npos;
        }
        in += 2;
    }
    return static_cast<std::size_t>(out - text);
}

bool is_valid_utf8(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    const auto continuation = [&](std::size_t at) {
        return at < size && (bytes[at] & 0xC0U) == 0x80U;
    };
    while (i < size) {
        // Chat bodies are mostly ASCII: test eight bytes at a time for a set high bit.
        if (i + 8 <= size) {
            std::uint64_t word = 0;
            std::memcpy(&word, bytes + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        // Ranges from Unicode Table 3-7 (well-formed byte sequences): they exclude overlong
        // forms (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and > U+10FFFF.
        if (lead < 0xC2) {
            return false;
        }
        if (lead < 0xE0) {
            if (!continuation(i + 1)) {
                return false;
            }
            i += 2;
            continue;
        }
        if (lead < 0xF0) {
            if (i + 1 >= size) {
                return false;
            }
            const unsigned char second = bytes[i + 1];
            const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
            const unsigned char high = lead == 0xED ? 0x9F : 0xBF;
            if (second < low || second > high || !continuation(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if (lead < 0xF5) {
            if (i + 1 >= size) {
                return false;
            }
            const unsigned char second = bytes[i + 1];
            const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
            const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;
            if (second < low || second > high || !continuation(i + 2) || !continuation(i + 3)) {
                return false;
            }
            i += 4;
            continue;
        }
        return false;
    }
    return true;
}

}  // namespace stampede::protocol
