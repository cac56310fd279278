// Randomised checks with a fixed seed (reproducible): streams of STOMP-ish bytes must parse the
// same however they are cut, and frames the writer produces must parse back unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "parser_harness.hpp"
#include "protocol/writer.hpp"

namespace stampede::protocol::testing {
namespace {

// Pieces chosen to hit every branch: EOLs, NULs, escapes, colons, content-length headers.
std::string random_stream(std::mt19937& random) {
    static const std::vector<std::string> pieces = {
        "SEND\n",
        "MESSAGE\r\n",
        "CONNECT\n",
        "X\n",
        "a:b\n",
        "k:v:w\r\n",
        "\n",
        "\r\n",
        "\r",
        std::string(1, '\0'),
        "body",
        "\\c",
        "\\n",
        "\\t",
        "\\",
        ":",
        "content-length:0\n",
        "content-length:3\n",
        "content-length:x\n",
        "nocolon\n",
        "0123456789",
    };
    std::uniform_int_distribution<std::size_t> count(1, 40);
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::string stream;
    for (std::size_t i = count(random); i > 0; --i) {
        stream += pieces[pick(random)];
    }
    return stream;
}

TEST(ParserProperty, RandomStreamsParseTheSameAtAnyCuts) {
    std::mt19937 random(20240611);
    ParserLimits small;
    small.max_frame_bytes = 60;
    small.max_headers = 4;
    small.max_header_line_bytes = 12;
    for (int round = 0; round < 3000; ++round) {
        const std::string stream = random_stream(random);
        for (const ParserLimits& limits : {ParserLimits{}, small}) {
            for (const Version version : {Version::V1_0, Version::V1_2}) {
                const Outcome whole = feed_whole(stream, version, limits);
                std::uniform_int_distribution<std::size_t> cut(0, stream.size());
                std::vector<std::size_t> cuts = {cut(random), cut(random), cut(random)};
                std::sort(cuts.begin(), cuts.end());
                ASSERT_EQ(feed_cut(stream, cuts, version, limits), whole)
                    << printable(stream) << " cuts " << cuts[0] << "," << cuts[1] << "," << cuts[2];
            }
        }
    }
}

std::string random_text(std::mt19937& random, std::size_t max_length, bool allow_line_breaks) {
    // Whole characters: headers must be UTF-8, so "\xC3\xA9" is never split.
    static const std::vector<std::string> alphabet = {
        "a", "b", ":", "\\", "c", " ", "n", "\r", "\n", "\xC3\xA9", "-", std::string(1, '\0')};
    std::uniform_int_distribution<std::size_t> length(0, max_length);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string text;
    for (std::size_t i = length(random); i > 0; --i) {
        const std::string& c = alphabet[pick(random)];
        if (c[0] == '\0' || (!allow_line_breaks && (c[0] == '\r' || c[0] == '\n'))) {
            continue;
        }
        text += c;
    }
    return text;
}

TEST(ParserProperty, Version12WriterOutputParsesBackExactly) {
    std::mt19937 random(7);
    for (int round = 0; round < 2000; ++round) {
        Pairs headers;
        for (int i = 0; i < 5; ++i) {
            std::string name = random_text(random, 6, true);
            if (name.empty()) {
                name = "n";
            }
            headers.emplace_back(std::move(name), random_text(random, 10, true));
        }
        std::string body = random_text(random, 30, true);
        body.push_back('\0');  // with content-length a body may hold NULs
        std::vector<OwnedHeader> views;
        for (const auto& [name, value] : headers) {
            if (name != "content-length") {
                views.push_back({name, value});
            }
        }
        std::string out;
        append_frame(out, Command::Send, views, body, Version::V1_2);
        const Outcome outcome = feed_whole(out + out, Version::V1_2);
        ASSERT_EQ(outcome.frames.size(), 2U) << printable(out) << outcome;
        Pairs expected;
        for (const OwnedHeader& header : views) {
            expected.emplace_back(header.name, header.value);
        }
        expected.emplace_back("content-length", std::to_string(body.size()));
        EXPECT_EQ(outcome.frames[0].headers, expected);
        EXPECT_EQ(outcome.frames[0].body, body);
        EXPECT_EQ(outcome.frames[1], outcome.frames[0]);
    }
}

}  // namespace
}  // namespace stampede::protocol::testing
