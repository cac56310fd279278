// Strict base64 and base64url codecs. Pure, any thread. Written by hand because OpenSSL's
// EVP_DecodeBlock knows neither the URL alphabet nor "no padding", and is lenient about both.
#include "auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace stampede::auth {
namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_table(std::string_view alphabet) {
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table) {
        entry = kInvalid;
    }
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr std::array<std::uint8_t, 256> kStandardTable = make_table(kStandard);
constexpr std::array<std::uint8_t, 256> kUrlTable = make_table(kUrl);

// Decodes unpadded text. A final group of 2 or 3 characters carries 4 or 2 spare bits; a
// canonical encoder writes them as zero, so anything else is a second spelling and refused.
std::optional<std::string> decode_unpadded(std::string_view text,
                                           const std::array<std::uint8_t, 256>& table) {
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t accumulator = 0;
    int bits = 0;
    for (const char c : text) {
        const std::uint8_t value = table[static_cast<unsigned char>(c)];
        if (value == kInvalid) {
            return std::nullopt;
        }
        accumulator = (accumulator << 6) | value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
        }
    }
    if ((accumulator & ((1U << bits) - 1)) != 0) {
        return std::nullopt;
    }
    return out;
}

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                                    (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                                    static_cast<std::uint8_t>(bytes[i + 2]);
        out.push_back(alphabet[(group >> 18) & 63]);
        out.push_back(alphabet[(group >> 12) & 63]);
        out.push_back(alphabet[(group >> 6) & 63]);
        out.push_back(alphabet[group & 63]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t group = static_cast<std::uint8_t>(bytes[i]) << 16;
        if (rest == 2) {
            group |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
        }
        out.push_back(alphabet[(group >> 18) & 63]);
        out.push_back(alphabet[(group >> 12) & 63]);
        if (rest == 2) {
            out.push_back(alphabet[(group >> 6) & 63]);
        }
        if (pad) {
            out.append(rest == 1 ? "==" : "=");
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
    return decode_unpadded(text, kUrlTable);
}

std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrl, false); }

std::optional<std::string> base64_decode(std::string_view text) {
    std::size_t padding = 0;
    while (padding < text.size() && padding < 2 && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    if (padding > 0) {
        // Padded text is whole groups of four, and only as much '=' as the last group needs.
        if (text.size() % 4 != 0) {
            return std::nullopt;
        }
        text.remove_suffix(padding);
        if ((padding == 1 && text.size() % 4 != 3) || (padding == 2 && text.size() % 4 != 2)) {
            return std::nullopt;
        }
    }
    return decode_unpadded(text, kStandardTable);
}

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStandard, true); }

}  // namespace stampede::auth
