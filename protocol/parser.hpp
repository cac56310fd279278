// Incremental, resumable STOMP frame parser: bytes in, frames out. No I/O.
// One parser per connection; it may be fed any split of the byte stream (a frame may span
// several feeds, one feed may hold several frames and heart-beat EOLs).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "protocol/error.hpp"
#include "protocol/frame.hpp"

namespace stampede::protocol {

struct ParserLimits {
    std::size_t max_frame_bytes = 1048576;  // command's first byte through the NUL
    std::size_t max_headers = 64;
    std::size_t max_header_line_bytes = 8192;  // one header line, without its EOL
};

/// Receives what the parser finds. Views in the Frame are valid only during on_frame.
class FrameSink {
   public:
    virtual ~FrameSink() = default;
    /// Returns false to stop parsing (e.g. after DISCONNECT or an error the session raised);
    /// feed() then returns without consuming more.
    virtual bool on_frame(const Frame& frame) = 0;
    /// One EOL ("\n" or "\r\n") between frames: a heart-beat.
    virtual void on_heartbeat() = 0;
};

struct FeedResult {
    ProtocolError error = ProtocolError::None;  // set: the stream is broken, stop feeding
    bool stopped = false;                        // the sink returned false
};

class FrameParser {
   public:
    explicit FrameParser(ParserLimits limits = {});

    /// Header escaping follows the negotiated version: 1.0 none, 1.1 \n \c \\, 1.2 also \r.
    /// CONNECT, STOMP and CONNECTED frames are never unescaped (spec). Before CONNECT the
    /// version is 1.2 rules for non-CONNECT frames (the session rejects them anyway).
    void set_version(Version version) { version_ = version; }
    void set_limits(ParserLimits limits) { limits_ = limits; }

    /// Parses as much as possible. EOL may be "\n" or "\r\n" everywhere. A body is read by
    /// content-length when present (it may contain NULs and must be followed by NUL), else up
    /// to the first NUL. Limits are checked while bytes arrive, not after the frame ends.
    FeedResult feed(std::span<const char> bytes, FrameSink& sink);

    /// Bytes buffered for a frame not yet complete.
    std::size_t buffered() const;

   private:
    // Implementation detail: the buffer of the current partial frame plus parse state.
    // (Filled in by parser.cpp; fields may be added freely.)
    ParserLimits limits_;
    Version version_ = Version::V1_2;
    std::string buffer_;
    std::size_t scan_pos_ = 0;
    int state_ = 0;
    std::size_t header_count_ = 0;
    std::size_t line_start_ = 0;
    std::size_t body_start_ = 0;
    long long content_length_ = -1;
};

}  // namespace stampede::protocol
