// The file history log's folder and recovery: round trips, the epoch, the lock, and every
// kind of damage a crash or a bad disk leaves (torn tails, flipped bytes, garbage).
#include "storage/file_history_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "history_log_test_support.hpp"
#include "storage/record_codec.hpp"

namespace stampede::storage {
namespace {

using namespace testing;

std::vector<HistoryRecord> sample_records(int count) {
    std::vector<HistoryRecord> records;
    for (int i = 1; i <= count; ++i) {
        records.push_back(
            make_record("/topic/room." + std::to_string(i % 3), static_cast<std::uint64_t>(i)));
    }
    return records;
}

bool any_warning_has(const std::vector<std::string>& warnings, const std::string& text) {
    for (const std::string& warning : warnings) {
        if (warning.find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

TEST(FileHistoryLogTest, AppendThenRecoverRoundTrip) {
    TempDir dir;
    std::vector<HistoryRecord> records = sample_records(100);
    records.push_back(make_record("/topic/bin", 1, std::string("\0\x01\xfe\xff", 4)));
    write_records(log_options(dir.path()), records);

    const Recovered recovered = reopen_and_recover(log_options(dir.path()));
    EXPECT_TRUE(recovered.warnings.empty());
    expect_records(recovered.records, records);
}

TEST(FileHistoryLogTest, EmptyFolderRecoversNothing) {
    TempDir dir;
    const Recovered recovered = reopen_and_recover(log_options(dir.path() + "/new/sub"));
    EXPECT_TRUE(recovered.records.empty());
    EXPECT_TRUE(recovered.warnings.empty());
}

TEST(FileHistoryLogTest, EpochKeptAcrossReopenAndNewForANewFolder) {
    TempDir dir;
    std::string first;
    {
        auto log = open_log(log_options(dir.path()));
        ASSERT_TRUE(log);
        first = log->epoch();
        EXPECT_EQ(first.size(), 16u);
        EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
    }
    auto again = open_log(log_options(dir.path()));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->epoch(), first);

    TempDir other;
    auto fresh = open_log(log_options(other.path()));
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh->epoch(), first);
}

TEST(FileHistoryLogTest, MalformedEpochFileFailsOpen) {
    TempDir dir;
    write_file(dir.file("epoch"), "not-an-epoch\n");
    std::string error;
    EXPECT_FALSE(open_file_history_log(log_options(dir.path()), error));
    EXPECT_NE(error.find("epoch"), std::string::npos) << error;
}

TEST(FileHistoryLogTest, SecondOpenOfALockedFolderFails) {
    TempDir dir;
    auto first = open_log(log_options(dir.path()));
    ASSERT_TRUE(first);
    std::string error;
    EXPECT_FALSE(open_file_history_log(log_options(dir.path()), error));
    EXPECT_NE(error.find("in use by another process"), std::string::npos) << error;

    first.reset();  // the lock goes with the log
    error.clear();
    EXPECT_TRUE(open_file_history_log(log_options(dir.path()), error)) << error;
}

TEST(FileHistoryLogTest, TornTailKeepsEveryWholeRecordAndCutsTheFile) {
    const std::vector<HistoryRecord> records = sample_records(5);
    std::vector<std::uintmax_t> ends;  // where each record ends in the segment
    std::uintmax_t end = 0;
    for (const HistoryRecord& record : records) {
        end += encoded_size(record);
        ends.push_back(end);
    }
    // Inside the last record's header, inside its body, one byte short; and a whole record.
    const std::uintmax_t last_start = ends[3];
    for (std::uintmax_t cut :
         {std::uintmax_t{1}, std::uintmax_t{5}, std::uintmax_t{20}, ends[4] - last_start - 1}) {
        SCOPED_TRACE("cut " + std::to_string(cut) + " bytes into record 5");
        TempDir dir;
        write_records(log_options(dir.path()), records);
        const std::string segment = dir.file("00000001.seg");
        ASSERT_EQ(file_size(segment), ends[4]);
        std::filesystem::resize_file(segment, last_start + cut);

        const Recovered recovered = reopen_and_recover(log_options(dir.path()));
        expect_records(recovered.records, {records.begin(), records.begin() + 4});
        ASSERT_EQ(recovered.warnings.size(), 1u);
        EXPECT_TRUE(any_warning_has(recovered.warnings, segment));
        EXPECT_TRUE(any_warning_has(recovered.warnings, "offset " + std::to_string(last_start)));
        EXPECT_EQ(file_size(segment), last_start);
    }
}

TEST(FileHistoryLogTest, AppendsAfterACutTailFollowTheLastWholeRecord) {
    TempDir dir;
    const std::vector<HistoryRecord> records = sample_records(4);
    write_records(log_options(dir.path()), records);
    const std::string segment = dir.file("00000001.seg");
    std::filesystem::resize_file(segment, file_size(segment) - 3);

    const HistoryRecord later = make_record("/topic/room.9", 1);
    write_records(log_options(dir.path()), {later});  // recovers (cutting), then appends

    const Recovered recovered = reopen_and_recover(log_options(dir.path()));
    EXPECT_TRUE(recovered.warnings.empty());
    expect_records(recovered.records, {records[0], records[1], records[2], later});
}

TEST(FileHistoryLogTest, FlippedByteInTheMiddleRecordOfTheLastSegment) {
    TempDir dir;
    const std::vector<HistoryRecord> records = sample_records(5);
    write_records(log_options(dir.path()), records);
    const std::string segment = dir.file("00000001.seg");
    const std::size_t third = encoded_size(records[0]) + encoded_size(records[1]);
    std::string bytes = read_file(segment);
    bytes[third + kRecordHeaderBytes + 2] ^= 0x01;
    write_file(segment, bytes);

    const Recovered recovered = reopen_and_recover(log_options(dir.path()));
    expect_records(recovered.records, {records[0], records[1]});
    EXPECT_TRUE(any_warning_has(recovered.warnings, "CRC mismatch"));
    EXPECT_EQ(file_size(segment), third);
}

TEST(FileHistoryLogTest, CorruptionInAnEarlierSegmentSkipsOnlyTheRestOfIt) {
    TempDir dir;
    const std::vector<HistoryRecord> records = sample_records(9);  // all the same size
    HistoryLogOptions options = log_options(dir.path());
    options.segment_bytes = 3 * encoded_size(records[0]);  // three per segment, one per batch
    {
        auto log = open_log(options);
        ASSERT_TRUE(log);
        recover_all(*log);
        log->start();
        for (const HistoryRecord& record : records) {
            DoneCounter done;
            ASSERT_TRUE(log->append(record, done.callback()));
            ASSERT_TRUE(done.wait_for(1));
        }
    }
    const std::string first = dir.file("00000001.seg");
    ASSERT_TRUE(std::filesystem::exists(dir.file("00000003.seg")));
    const std::uintmax_t first_size = file_size(first);
    std::string bytes = read_file(first);
    bytes[encoded_size(records[0]) + kRecordHeaderBytes + 1] ^= 0x40;  // record 2's body
    write_file(first, bytes);

    const Recovered recovered = reopen_and_recover(options);
    std::vector<HistoryRecord> want = {records[0]};
    want.insert(want.end(), records.begin() + 3, records.end());
    expect_records(recovered.records, want);
    EXPECT_TRUE(any_warning_has(recovered.warnings, "skipped the rest of this segment"));
    EXPECT_EQ(file_size(first), first_size);  // nothing of an earlier segment is cut
}

TEST(FileHistoryLogTest, GarbageAfterTheLastRecordIsCut) {
    TempDir dir;
    const std::vector<HistoryRecord> records = sample_records(3);
    write_records(log_options(dir.path()), records);
    const std::string segment = dir.file("00000001.seg");
    const std::uintmax_t size = file_size(segment);
    write_file(segment, read_file(segment) + std::string(4096, '\0') + "junk");

    const Recovered recovered = reopen_and_recover(log_options(dir.path()));
    expect_records(recovered.records, records);
    EXPECT_TRUE(any_warning_has(recovered.warnings, "bad record magic"));
    EXPECT_EQ(file_size(segment), size);
}

TEST(FileHistoryLogTest, MarkersAreRecoveredLikeRecords) {
    TempDir dir;
    const std::vector<HistoryRecord> records = {
        make_record("/topic/a", 1), make_marker("/topic/b", 17), make_record("/topic/a", 2),
        make_marker("/topic/a", 5)};
    write_records(log_options(dir.path()), records);
    const Recovered recovered = reopen_and_recover(log_options(dir.path()));
    expect_records(recovered.records, records);
    EXPECT_TRUE(recovered.records[1].payload.empty());
}

TEST(FileHistoryLogTest, RepeatsOfARoomsSequenceAreSkipped) {
    TempDir dir;
    write_records(
        log_options(dir.path()),
        {make_record("/topic/a", 1), make_record("/topic/a", 2), make_record("/topic/b", 1),
         make_record("/topic/a", 2), make_record("/topic/a", 1), make_record("/topic/a", 3),
         make_record("/topic/b", 1), make_record("/topic/b", 2)});
    const Recovered recovered = reopen_and_recover(log_options(dir.path()));
    expect_records(recovered.records, {make_record("/topic/a", 1), make_record("/topic/a", 2),
                                       make_record("/topic/b", 1), make_record("/topic/a", 3),
                                       make_record("/topic/b", 2)});
}

TEST(FileHistoryLogTest, StartWithoutRecoverBeginsANewSegment) {
    TempDir dir;
    write_records(log_options(dir.path()), sample_records(2));
    {
        auto log = open_log(log_options(dir.path()));
        ASSERT_TRUE(log);
        log->start();
        DoneCounter done;
        ASSERT_TRUE(log->append(make_record("/topic/z", 1), done.callback()));
        ASSERT_TRUE(done.wait_for(1));
    }
    EXPECT_TRUE(std::filesystem::exists(dir.file("00000002.seg")));
    EXPECT_EQ(reopen_and_recover(log_options(dir.path())).records.size(), 3u);
}

}  // namespace
}  // namespace stampede::storage
