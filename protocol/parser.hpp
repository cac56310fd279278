// Incremental, resumable STOMP frame parser: bytes in, frames out. No I/O.
// One parser per connection; it may be fed any split of the byte stream (a frame may span
// several feeds, one feed may hold several frames and heart-beat EOLs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

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
    /// feed() then returns without consuming more. The bytes after that frame stay buffered
    /// and the next feed() (an empty span will do) parses them first.
    virtual bool on_frame(const Frame& frame) = 0;
    /// One EOL ("\n" or "\r\n") between frames: a heart-beat.
    virtual void on_heartbeat() = 0;
};

struct FeedResult {
    ProtocolError error = ProtocolError::None;  // set: the stream is broken, stop feeding
    bool stopped = false;                       // the sink returned false
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
    /// Frames that lie whole in `bytes` are parsed there; only what is left unfinished is
    /// copied, so `bytes` need not outlive the call.
    FeedResult feed(std::span<const char> bytes, FrameSink& sink);

    /// Bytes buffered for a frame not yet complete.
    std::size_t buffered() const;

    /// After an error: the `receipt` header of the frame it interrupted, when that header
    /// had been read (the ERROR frame then carries it as receipt-id).
    const std::optional<std::string>& error_receipt() const { return error_receipt_; }
    /// After an error: what exactly was wrong, for the ERROR body; empty when the error's
    /// message says it all.
    const std::string& error_detail() const { return error_detail_; }

   private:
    // Implementation detail: the buffer of the current partial frame plus parse state.
    // (Filled in by parser.cpp; fields may be added freely.)
    enum class State : std::uint8_t { Idle, CommandLine, HeaderLines, BodyToNul, BodyFixed };
    enum class LineScan : std::uint8_t { NeedMore, Complete, NulAtLineStart, Failed };
    // Header positions relative to the frame's first byte, so they survive buffer compaction.
    struct HeaderSpan {
        std::size_t name_offset;
        std::size_t name_length;
        std::size_t value_offset;
        std::size_t value_length;
    };

    FeedResult parse(FrameSink& sink, bool until_frame_end);
    bool skip_heartbeats(FrameSink& sink);
    LineScan scan_line(std::size_t& eol);
    static std::size_t scan_line_bytes(const char* line, std::size_t from, std::size_t to,
                                       std::size_t& colon, bool& backslash);
    void start_line(std::size_t at);
    bool finish_command_line(std::size_t eol);
    bool finish_header_line(std::size_t eol);
    bool start_body();
    bool emit_frame(std::size_t nul, FrameSink& sink);
    FeedResult fail(ProtocolError error);
    void parse_buffer();
    void rebase(std::size_t removed);
    void copy_frame_to_buffer();
    void keep_unparsed();

    ParserLimits limits_;
    Version version_ = Version::V1_2;
    std::string buffer_;
    // The bytes being parsed: buffer_, or during feed() the caller's bytes where they lie
    // (borrowed_), when no frame was left unfinished by the previous feed.
    const char* data_ = nullptr;
    std::size_t size_ = 0;
    bool borrowed_ = false;
    bool more_input_ = false;  // the buffer holds a piece of the feed; the rest follows
    State state_ = State::Idle;
    ProtocolError error_ = ProtocolError::None;
    std::size_t pos_ = 0;          // Idle: first byte not yet consumed
    std::size_t frame_start_ = 0;  // the current frame's command byte
    std::size_t line_start_ = 0;   // the command or header line being read
    std::size_t scan_pos_ = 0;     // where the delimiter search resumes
    // What the scan of the current line found so far, so no byte is looked at twice.
    static constexpr std::size_t kNoColon = static_cast<std::size_t>(-1);
    std::size_t colon_offset_ = kNoColon;  // its first ':', from line_start_
    bool line_has_backslash_ = false;
    std::size_t body_start_ = 0;
    std::size_t command_length_ = 0;
    std::uint64_t content_length_ = 0;
    bool has_content_length_ = false;
    bool unescape_ = false;  // this frame's headers are escaped (version and command)
    Command command_ = Command::Unknown;
    std::vector<HeaderSpan> spans_;
    Frame frame_;  // reused so that steady-state parsing allocates nothing
    std::optional<std::string> error_receipt_;
    std::string error_detail_;
};

}  // namespace stampede::protocol
