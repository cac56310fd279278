// Parser fuzz target: the first byte picks a split point and the version; every frame the
// parser yields must re-encode through the writer and parse back equal. libFuzzer entry point
// (clang, STAMPEDE_FUZZ) or replayed by replay_main.cpp under gcc in every ctest run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/parser.hpp"
#include "protocol/writer.hpp"

namespace {

using namespace stampede::protocol;

struct OwnedFrame {
    Command command;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool operator==(const OwnedFrame&) const = default;
};

struct Collect final : FrameSink {
    std::vector<OwnedFrame> frames;
    bool on_frame(const Frame& frame) override {
        OwnedFrame owned{frame.command, {}, std::string(frame.body)};
        for (const auto& h : frame.headers) {
            owned.headers.emplace_back(h.name, h.value);
        }
        frames.push_back(std::move(owned));
        return true;
    }
    void on_heartbeat() override {}
};

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::uint8_t control = data[0];
    const auto version = static_cast<Version>(control % 3);
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t split = input.empty() ? 0 : (control * 7u) % (input.size() + 1);

    FrameParser parser({4096, 16, 512});
    parser.set_version(version);
    Collect collected;
    auto result = parser.feed(std::span<const char>(input.data(), split), collected);
    if (result.error == ProtocolError::None) {
        result = parser.feed(std::span<const char>(input.data() + split, input.size() - split),
                             collected);
    }
    // Round trip: what was parsed, written again, parses to the same frames. Only frames the
    // writer can express are checked (client frames with unique header names).
    for (const OwnedFrame& frame : collected.frames) {
        if (frame.command == Command::Unknown || frame.command == Command::Connect ||
            frame.command == Command::Stomp || frame.command == Command::Connected) {
            continue;
        }
        std::vector<OwnedHeader> headers;
        bool representable = true;
        for (const auto& [name, value] : frame.headers) {
            if (name == "content-length") {
                continue;
            }
            if (version == Version::V1_0 && (value.find_first_of("\r\n") != std::string::npos ||
                                             name.find_first_of(":\r\n") != std::string::npos)) {
                representable = false;
            }
            if (name.empty() || name.find('\0') != std::string::npos ||
                value.find('\0') != std::string::npos || (!value.empty() && value.back() == '\r')) {
                representable = false;
            }
            headers.push_back({name, value});
        }
        if (!representable) {
            continue;
        }
        std::string encoded;
        append_frame(encoded, frame.command, headers, frame.body, version, true);
        FrameParser again({1 << 20, 64, 1 << 20});
        again.set_version(version);
        Collect reparsed;
        const auto second =
            again.feed(std::span<const char>(encoded.data(), encoded.size()), reparsed);
        check(second.error == ProtocolError::None);
        check(reparsed.frames.size() == 1);
        check(reparsed.frames[0].command == frame.command);
        check(reparsed.frames[0].body == frame.body);
        std::size_t i = 0;
        for (const auto& [name, value] : reparsed.frames[0].headers) {
            if (name == "content-length") {
                continue;
            }
            check(i < headers.size() && headers[i].name == name && headers[i].value == value);
            ++i;
        }
    }
    return 0;
}
