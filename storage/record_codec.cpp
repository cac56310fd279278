// Record framing and CRC32 for the file history log's segments. Pure.
#include "storage/record_codec.hpp"

#include <array>
#include <cstring>

namespace stampede::storage {
namespace {

// Slicing-by-4 tables for the reflected IEEE polynomial: four table lookups per 4 input
// bytes instead of one per byte, so the CRC stays well under the cost of the write().
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_crc_tables() {
    std::array<std::array<std::uint32_t, 256>, 4> tables{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        tables[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
        for (std::size_t t = 1; t < 4; ++t) {
            const std::uint32_t prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][prev & 0xFF];
        }
    }
    return tables;
}

constexpr auto kCrcTables = make_crc_tables();

void put_u32(std::string& out, std::uint32_t v) {
    const char bytes[4] = {static_cast<char>(v), static_cast<char>(v >> 8),
                           static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
    out.append(bytes, 4);
}

void put_u64(std::string& out, std::uint64_t v) {
    put_u32(out, static_cast<std::uint32_t>(v));
    put_u32(out, static_cast<std::uint32_t>(v >> 32));
}

std::uint32_t get_u32(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
           std::uint32_t{b[3]} << 24;
}

std::uint64_t get_u64(const char* p) {
    return std::uint64_t{get_u32(p)} | std::uint64_t{get_u32(p + 4)} << 32;
}

constexpr std::size_t kFixedBodyBytes = 8 + 8 + 4 + 4;  // seq, time, both lengths

}  // namespace

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    std::uint32_t c = ~crc;
    while (n >= 4) {
        c ^= std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
             std::uint32_t{p[3]} << 24;
        c = kCrcTables[3][c & 0xFF] ^ kCrcTables[2][(c >> 8) & 0xFF] ^
            kCrcTables[1][(c >> 16) & 0xFF] ^ kCrcTables[0][c >> 24];
        p += 4;
        n -= 4;
    }
    while (n-- > 0) {
        c = kCrcTables[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    }
    return ~c;
}

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    return crc32(std::as_bytes(std::span(bytes.data(), bytes.size())), crc);
}

std::size_t encoded_size(const HistoryRecord& record) {
    return kRecordHeaderBytes + kFixedBodyBytes + record.room.size() + record.payload.size();
}

void encode_record(const HistoryRecord& record, std::string& out) {
    const std::size_t header_at = out.size();
    out.reserve(header_at + encoded_size(record));
    out.append(kRecordHeaderBytes, '\0');  // filled in once the body's CRC is known
    put_u64(out, record.seq);
    put_u64(out, static_cast<std::uint64_t>(record.time_ms));
    put_u32(out, static_cast<std::uint32_t>(record.room.size()));
    out.append(record.room);
    put_u32(out, static_cast<std::uint32_t>(record.payload.size()));
    out.append(record.payload);

    const std::size_t body_at = header_at + kRecordHeaderBytes;
    const std::string_view body(out.data() + body_at, out.size() - body_at);
    std::string header;
    put_u32(header, kRecordMagic);
    put_u32(header, static_cast<std::uint32_t>(body.size()));
    put_u32(header, crc32(body));
    std::memcpy(out.data() + header_at, header.data(), kRecordHeaderBytes);
}

DecodeResult decode_record(std::string_view bytes, HistoryRecord& record) {
    if (bytes.empty()) {
        return {DecodeStatus::End, 0, "end"};
    }
    if (bytes.size() < kRecordHeaderBytes) {
        // A header cut short is a torn write only if what is there could begin one.
        const bool magic_prefix =
            std::memcmp(bytes.data(), "STP1", std::min<std::size_t>(bytes.size(), 4)) == 0;
        return magic_prefix ? DecodeResult{DecodeStatus::Truncated, 0, "torn record header"}
                            : DecodeResult{DecodeStatus::Corrupt, 0, "bad record magic"};
    }
    if (get_u32(bytes.data()) != kRecordMagic) {
        return {DecodeStatus::Corrupt, 0, "bad record magic"};
    }
    const std::uint32_t body_size = get_u32(bytes.data() + 4);
    if (body_size < kFixedBodyBytes || body_size > kMaxRecordBodyBytes) {
        return {DecodeStatus::Corrupt, 0, "impossible record length"};
    }
    if (bytes.size() - kRecordHeaderBytes < body_size) {
        return {DecodeStatus::Truncated, 0, "torn record body"};
    }
    const std::string_view body = bytes.substr(kRecordHeaderBytes, body_size);
    if (crc32(body) != get_u32(bytes.data() + 8)) {
        return {DecodeStatus::Corrupt, 0, "record CRC mismatch"};
    }
    // The CRC matched, so a length mismatch here means a writer bug, not a bad disk.
    const std::uint64_t room_size = get_u32(body.data() + 16);
    if (room_size > body.size() - kFixedBodyBytes) {
        return {DecodeStatus::Corrupt, 0, "record room length out of bounds"};
    }
    const std::uint64_t payload_size = get_u32(body.data() + 20 + room_size);
    if (kFixedBodyBytes + room_size + payload_size != body.size()) {
        return {DecodeStatus::Corrupt, 0, "record payload length mismatch"};
    }
    record.seq = get_u64(body.data());
    record.time_ms = static_cast<std::int64_t>(get_u64(body.data() + 8));
    record.room.assign(body.data() + 20, room_size);
    record.payload.assign(body.data() + 24 + room_size, payload_size);
    return {DecodeStatus::Ok, kRecordHeaderBytes + body_size, ""};
}

}  // namespace stampede::storage
