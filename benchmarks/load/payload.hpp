// The body of every benchmark message: send time (CLOCK_MONOTONIC ns), publisher id and
// sequence number in fixed-width hex, padded with 'x' to the payload size. Plain ASCII, so
// brokers send it as a text frame, and fixed offsets, so reading it costs a few ns.
#pragma once

#include <time.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace stampede::bench {

inline std::uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

struct Stamp {
    std::uint64_t sent_ns = 0;
    std::uint32_t publisher = 0;
    std::uint64_t sequence = 0;  // from 0, per publisher
};

// "tttttttttttttttt pppppppp ssssssssssssssss " then padding.
constexpr std::size_t kStampBytes = 16 + 1 + 8 + 1 + 16 + 1;
constexpr std::size_t kMinPayload = kStampBytes;

namespace detail {
constexpr char kHexDigits[] = "0123456789abcdef";

inline void put_hex(char* out, std::uint64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
        out[i] = kHexDigits[value & 0xF];
        value >>= 4;
    }
}

struct HexTable {
    signed char value[256];
    constexpr HexTable() : value() {
        for (int i = 0; i < 256; ++i) {
            value[i] = -1;
        }
        for (int i = 0; i < 10; ++i) {
            value['0' + i] = static_cast<signed char>(i);
        }
        for (int i = 0; i < 6; ++i) {
            value['a' + i] = static_cast<signed char>(10 + i);
        }
    }
};
inline constexpr HexTable kHexTable{};

inline bool get_hex(const char* in, int digits, std::uint64_t& value) {
    std::uint64_t result = 0;
    int bad = 0;
    for (int i = 0; i < digits; ++i) {
        const signed char v = kHexTable.value[static_cast<unsigned char>(in[i])];
        bad |= v;  // negative on any non-hex digit
        result = (result << 4) | static_cast<std::uint64_t>(v & 0xF);
    }
    value = result;
    return bad >= 0;
}
}  // namespace detail

/// Writes the stamp into the first kStampBytes of `out` (the rest of the body is padding).
inline void write_stamp(char* out, const Stamp& stamp) {
    detail::put_hex(out, stamp.sent_ns, 16);
    out[16] = ' ';
    detail::put_hex(out + 17, stamp.publisher, 8);
    out[25] = ' ';
    detail::put_hex(out + 26, stamp.sequence, 16);
    out[42] = ' ';
}

inline std::string make_padding_body(std::size_t size) {
    return std::string(size < kMinPayload ? kMinPayload : size, 'x');
}

inline std::optional<Stamp> read_stamp(std::string_view body) {
    if (body.size() < kStampBytes) {
        return std::nullopt;
    }
    Stamp stamp;
    std::uint64_t publisher = 0;
    if (!detail::get_hex(body.data(), 16, stamp.sent_ns) ||
        !detail::get_hex(body.data() + 17, 8, publisher) ||
        !detail::get_hex(body.data() + 26, 16, stamp.sequence)) {
        return std::nullopt;
    }
    stamp.publisher = static_cast<std::uint32_t>(publisher);
    return stamp;
}

}  // namespace stampede::bench
