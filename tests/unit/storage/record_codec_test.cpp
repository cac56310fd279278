// The history log's record framing and CRC32: known vectors, round trips, every kind of damage.
#include "storage/record_codec.hpp"

#include <gtest/gtest.h>

namespace stampede::storage {
namespace {

TEST(RecordCodecTest, Crc32MatchesTheStandardCheckValue) {
    EXPECT_EQ(crc32(std::string_view("123456789")), 0xCBF43926u);
    EXPECT_EQ(crc32(std::string_view("")), 0u);
    // Continuing a sum gives the same as one pass, across the 4-byte stride too.
    EXPECT_EQ(crc32(std::string_view("6789"), crc32(std::string_view("12345"))), 0xCBF43926u);
}

TEST(RecordCodecTest, RoundTripIncludingMarkersAndBinary) {
    const std::vector<HistoryRecord> records = {
        {"/topic/room.1", 1, 1700000000000, "hello"},
        {"/topic/room.2", 42, -5, std::string("\0\xff\n\0", 4)},
        {"/topic/room.1", 7, 0, ""},  // a marker
    };
    std::string bytes;
    for (const HistoryRecord& record : records) {
        encode_record(record, bytes);
    }
    std::string_view rest(bytes);
    for (const HistoryRecord& want : records) {
        HistoryRecord got;
        const DecodeResult result = decode_record(rest, got);
        ASSERT_EQ(result.status, DecodeStatus::Ok) << result.why;
        EXPECT_EQ(result.size, encoded_size(want));
        EXPECT_EQ(got.room, want.room);
        EXPECT_EQ(got.seq, want.seq);
        EXPECT_EQ(got.time_ms, want.time_ms);
        EXPECT_EQ(got.payload, want.payload);
        rest.remove_prefix(result.size);
    }
    HistoryRecord none;
    EXPECT_EQ(decode_record(rest, none).status, DecodeStatus::End);
}

TEST(RecordCodecTest, EveryCutShortOfTheEndIsTruncated) {
    std::string bytes;
    encode_record({"/topic/a", 3, 9, "payload"}, bytes);
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        HistoryRecord record;
        EXPECT_EQ(decode_record(std::string_view(bytes).substr(0, cut), record).status,
                  DecodeStatus::Truncated)
            << "cut at " << cut;
    }
}

TEST(RecordCodecTest, EveryFlippedByteIsCaught) {
    std::string bytes;
    encode_record({"/topic/a", 3, 9, "payload"}, bytes);
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        std::string damaged = bytes;
        damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
        HistoryRecord record;
        // A flipped length bit may also read as a record that runs past the end.
        EXPECT_NE(decode_record(damaged, record).status, DecodeStatus::Ok) << "byte " << at;
    }
}

TEST(RecordCodecTest, GarbageIsCorruptNotARecord) {
    HistoryRecord record;
    EXPECT_EQ(decode_record(std::string(64, '\0'), record).status, DecodeStatus::Corrupt);
    EXPECT_EQ(decode_record("not a record at all", record).status, DecodeStatus::Corrupt);
    std::string huge("STP1\xff\xff\xff\x7f\0\0\0\0", 12);
    EXPECT_EQ(decode_record(huge, record).status, DecodeStatus::Corrupt);
}

}  // namespace
}  // namespace stampede::storage
