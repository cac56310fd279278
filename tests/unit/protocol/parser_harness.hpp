// Test support for the parser tests: a recording sink, owned copies of frames (views die with
// on_frame), and feeding helpers that cut one byte stream in every way the network could.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/parser.hpp"

namespace stampede::protocol::testing {

using Pairs = std::vector<std::pair<std::string, std::string>>;

/// Frames in test sources are written as in the spec: "^@" stands for the NUL octet.
inline std::string wire(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 2) == "^@") {
            out.push_back('\0');
            ++i;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

struct OwnedFrame {
    Command command = Command::Unknown;
    std::string command_text;
    Pairs headers;
    std::string body;
    bool has_content_length = false;

    bool operator==(const OwnedFrame&) const = default;
};

inline OwnedFrame own(const Frame& frame) {
    OwnedFrame owned{frame.command,
                     std::string(frame.command_text),
                     {},
                     std::string(frame.body),
                     frame.has_content_length};
    for (const Header& header : frame.headers) {
        owned.headers.emplace_back(header.name, header.value);
    }
    return owned;
}

inline std::string printable(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\0') {
            out += "^@";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

inline std::ostream& operator<<(std::ostream& os, const OwnedFrame& frame) {
    os << "{" << printable(frame.command_text) << " [";
    for (const auto& [name, value] : frame.headers) {
        os << printable(name) << "=" << printable(value) << "; ";
    }
    return os << "] body(" << frame.body.size() << ")=" << printable(frame.body)
              << (frame.has_content_length ? " cl" : "") << "}";
}

/// Records everything in order: `events` holds 'F' per frame and 'H' per heart-beat.
class RecordingSink : public FrameSink {
   public:
    std::vector<OwnedFrame> frames;
    std::size_t heartbeats = 0;
    std::string events;
    /// Optional: decides the return value of on_frame (default: keep going).
    std::function<bool(const Frame&)> on_frame_hook;

    bool on_frame(const Frame& frame) override {
        frames.push_back(own(frame));
        events.push_back('F');
        return on_frame_hook ? on_frame_hook(frame) : true;
    }
    void on_heartbeat() override {
        ++heartbeats;
        events.push_back('H');
    }
};

struct Outcome {
    std::vector<OwnedFrame> frames;
    std::string events;
    ProtocolError error = ProtocolError::None;
    std::size_t buffered = 0;

    bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& outcome) {
    os << "events=" << outcome.events << " error=" << error_message(outcome.error)
       << " buffered=" << outcome.buffered << " frames:";
    for (const OwnedFrame& frame : outcome.frames) {
        os << "\n  " << frame;
    }
    return os;
}

/// Feeds `bytes` cut at `cuts` (ascending offsets); stops feeding at the first error.
inline Outcome feed_cut(std::string_view bytes, const std::vector<std::size_t>& cuts,
                        Version version = Version::V1_2, ParserLimits limits = {}) {
    FrameParser parser(limits);
    parser.set_version(version);
    RecordingSink sink;
    Outcome outcome;
    std::size_t start = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(bytes.size());
    for (const std::size_t end : ends) {
        const FeedResult result =
            parser.feed(std::span<const char>(bytes.data() + start, end - start), sink);
        start = end;
        if (result.error != ProtocolError::None) {
            outcome.error = result.error;
            break;
        }
    }
    outcome.frames = std::move(sink.frames);
    outcome.events = std::move(sink.events);
    outcome.buffered = outcome.error == ProtocolError::None ? parser.buffered() : 0;
    return outcome;
}

inline Outcome feed_whole(std::string_view bytes, Version version = Version::V1_2,
                          ParserLimits limits = {}) {
    return feed_cut(bytes, {}, version, limits);
}

/// The outcome must not depend on how the stream is cut: whole, in two pieces at every byte
/// boundary, and one byte per feed. Returns the whole-feed outcome.
inline Outcome expect_split_invariant(std::string_view bytes, Version version = Version::V1_2,
                                      ParserLimits limits = {}) {
    const Outcome whole = feed_whole(bytes, version, limits);
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        const Outcome split = feed_cut(bytes, {cut}, version, limits);
        EXPECT_EQ(split, whole) << "cut at byte " << cut << " of " << printable(bytes);
        if (::testing::Test::HasFailure()) {
            return whole;
        }
    }
    std::vector<std::size_t> every;
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        every.push_back(cut);
    }
    EXPECT_EQ(feed_cut(bytes, every, version, limits), whole) << "byte by byte";
    return whole;
}

}  // namespace stampede::protocol::testing
