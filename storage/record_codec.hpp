// The on-disk framing of one HistoryRecord in a segment file, and the CRC32 that guards it.
// Pure: bytes in, bytes out, no I/O. Any thread.
//
// A record is a 12-byte header followed by its body, all integers little-endian:
//   header: magic u32 | body length u32 | CRC32 (IEEE) of the body u32
//   body:   seq u64 | time_ms i64 | room length u32 | room | payload length u32 | payload
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "storage/history_log.hpp"

namespace stampede::storage {

inline constexpr std::uint32_t kRecordMagic = 0x31505453;  // "STP1" read as little-endian bytes
inline constexpr std::size_t kRecordHeaderBytes = 12;
// A body claiming more than this is garbage, not a record: it stops a corrupt length from
// making recovery wait for (or allocate) gigabytes.
inline constexpr std::uint32_t kMaxRecordBodyBytes = 256u << 20;

/// CRC-32/ISO-HDLC (zlib's crc32): pass the previous result as `crc` to continue a sum.
std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc = 0);
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

/// The framed size of `record` (header + body).
std::size_t encoded_size(const HistoryRecord& record);

/// Appends the framed `record` to `out`.
void encode_record(const HistoryRecord& record, std::string& out);

enum class DecodeStatus {
    Ok,         // `record` and `size` are set
    End,        // no bytes left: a clean end
    Truncated,  // the bytes end inside a record (a torn write)
    Corrupt,    // bad magic, CRC mismatch or inconsistent lengths
};

struct DecodeResult {
    DecodeStatus status = DecodeStatus::End;
    std::size_t size = 0;  // bytes the record took (Ok only)
    const char* why = "";  // a fixed description when not Ok
};

/// Reads the record at the start of `bytes` into `record`.
DecodeResult decode_record(std::string_view bytes, HistoryRecord& record);

}  // namespace stampede::storage
