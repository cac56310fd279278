// Incremental STOMP frame parser. One instance per connection, used by its shard thread only.
// Frames that lie whole in one feed are parsed where they lie, in the caller's bytes; only a
// frame that spans feeds is gathered in the parser's buffer (and one whose headers need
// unescaping, which shrinks values in place). Positions are offsets, so the bytes may move from
// the caller's span to the buffer, and the buffer may grow or be compacted, between two steps.
// Every search resumes where the last one stopped, so each byte is scanned about once whatever
// the split of the stream. A command or header line is scanned once for all the bytes that
// matter in it (see scan_line_bytes); a body without content-length is searched with memchr.
#include "protocol/parser.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "protocol/headers.hpp"

namespace stampede::protocol {

namespace {

// Above this, an idle buffer gives its memory back: one large frame must not pin a
// max_frame_bytes allocation per connection for the connection's lifetime.
constexpr std::size_t kRetainedCapacity = 64 * 1024;
constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();
// A frame begun in an earlier feed is completed from pieces of the next bytes, doubling from
// this size (or the size already buffered), so that little more than the frame itself is copied
// into the buffer.
constexpr std::size_t kFirstPiece = 1024;

std::size_t saturating_add(std::size_t a, std::size_t b) {
    return b > kSizeMax - a ? kSizeMax : a + b;
}

// All decimal digits, no sign, no spaces, fits in 64 bits.
std::optional<std::uint64_t> parse_content_length(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

bool is_connection_command(Command command) {
    return command == Command::Connect || command == Command::Stomp ||
           command == Command::Connected;
}

std::string fmt_header_index(std::size_t index) {
    return "header " + std::to_string(index) + " (counting from 1) is not valid UTF-8";
}

}  // namespace

// Nothing is reserved up front: an idle connection's parser should cost next to nothing.
// The vectors grow to the largest header count seen and are then reused.
FrameParser::FrameParser(ParserLimits limits) : limits_(limits) {}

FeedResult FrameParser::feed(std::span<const char> bytes, FrameSink& sink) {
    if (error_ != ProtocolError::None) {
        return {error_, false};
    }
    if (state_ == State::Idle && !buffer_.empty()) {
        // Bytes left over after the sink stopped (or a heart-beat's lone '\r'): rare, so they
        // and the new bytes are simply parsed together in the buffer.
        buffer_.append(bytes.data(), bytes.size());
        parse_buffer();
        const FeedResult result = parse(sink, false);
        keep_unparsed();
        return result;
    }
    std::size_t taken = 0;
    // The more of the frame is buffered already, the more it is likely to need.
    for (std::size_t piece = std::max(kFirstPiece, buffer_.size()); state_ != State::Idle;
         piece *= 2) {
        // A frame begun in an earlier feed is completed in the buffer. Limits are judged as if
        // the feed had come whole (more_input_), so the pieces make no difference.
        if (taken == bytes.size()) {
            keep_unparsed();
            return {};
        }
        const std::size_t count = std::min(piece, bytes.size() - taken);
        buffer_.append(bytes.data() + taken, count);
        taken += count;
        parse_buffer();
        more_input_ = taken < bytes.size();
        const FeedResult result = parse(sink, true);
        more_input_ = false;
        if (result.error != ProtocolError::None || result.stopped) {
            buffer_.append(bytes.data() + taken, bytes.size() - taken);
            keep_unparsed();
            return result;
        }
    }
    if (!buffer_.empty()) {
        // The frame ended at pos_; the bytes copied after it are still in `bytes`.
        taken -= buffer_.size() - pos_;
        buffer_.clear();  // its capacity stays for the next frame; keep_unparsed may trim it
        pos_ = 0;
    }
    data_ = bytes.data() + taken;
    size_ = bytes.size() - taken;
    borrowed_ = true;
    const FeedResult result = parse(sink, false);
    keep_unparsed();
    return result;
}

std::size_t FrameParser::buffered() const {
    return buffer_.size() - (state_ == State::Idle ? pos_ : frame_start_);
}

FeedResult FrameParser::fail(ProtocolError error) {
    error_ = error;
    // Keep the broken frame's receipt (if its header was read) so the ERROR can carry a
    // receipt-id, as the spec asks, even though the frame itself never completed.
    error_receipt_.reset();
    if (state_ != State::Idle && state_ != State::CommandLine) {
        const char* base = data_ + frame_start_;
        for (const HeaderSpan& span : spans_) {
            if (std::string_view(base + span.name_offset, span.name_length) == "receipt") {
                error_receipt_.emplace(base + span.value_offset, span.value_length);
                break;
            }
        }
    }
    return {error, false};
}

FeedResult FrameParser::parse(FrameSink& sink, bool until_frame_end) {
    for (;;) {
        switch (state_) {
            case State::Idle:
                if (until_frame_end || !skip_heartbeats(sink)) {
                    return {};
                }
                break;
            case State::CommandLine:
            case State::HeaderLines: {
                std::size_t eol = 0;
                switch (scan_line(eol)) {
                    case LineScan::NeedMore:
                        return {};
                    case LineScan::Failed:
                        return {error_, false};
                    case LineScan::NulAtLineStart:
                        // "DISCONNECT\nreceipt:77\n^@" (a spec example) has no blank line:
                        // a NUL where a header line would start ends the frame, body empty.
                        if (has_content_length_ && content_length_ != 0) {
                            return fail(ProtocolError::BadContentLength);
                        }
                        body_start_ = line_start_;
                        if (!emit_frame(line_start_, sink)) {
                            return {ProtocolError::None, true};
                        }
                        break;
                    case LineScan::Complete: {
                        const bool ok = state_ == State::CommandLine ? finish_command_line(eol)
                                                                     : finish_header_line(eol);
                        if (!ok) {
                            return {error_, false};
                        }
                        break;
                    }
                }
                break;
            }
            case State::BodyToNul: {
                const char* data = data_;
                const std::size_t frame_cap = saturating_add(frame_start_, limits_.max_frame_bytes);
                const std::size_t stop = std::min(size_, frame_cap);
                const void* nul = scan_pos_ < stop
                                      ? std::memchr(data + scan_pos_, '\0', stop - scan_pos_)
                                      : nullptr;
                if (nul == nullptr) {
                    scan_pos_ = stop;
                    // Every byte the frame may hold is here and none is the NUL.
                    return stop == frame_cap ? fail(ProtocolError::FrameTooLarge) : FeedResult{};
                }
                if (!emit_frame(static_cast<std::size_t>(static_cast<const char*>(nul) - data),
                                sink)) {
                    return {ProtocolError::None, true};
                }
                break;
            }
            case State::BodyFixed: {
                const std::size_t nul = body_start_ + content_length_;
                if (size_ <= nul) {
                    return {};
                }
                if (data_[nul] != '\0') {
                    return fail(ProtocolError::MissingNul);
                }
                if (!emit_frame(nul, sink)) {
                    return {ProtocolError::None, true};
                }
                break;
            }
        }
    }
}

// Consumes heart-beat EOLs; true when a frame starts at pos_.
bool FrameParser::skip_heartbeats(FrameSink& sink) {
    const char* data = data_;
    const std::size_t end = size_;
    while (pos_ < end) {
        const char c = data[pos_];
        if (c == '\n') {
            ++pos_;
            sink.on_heartbeat();
            continue;
        }
        if (c == '\r') {
            if (pos_ + 1 == end) {
                return false;  // "\r\n" split across feeds: wait for the next byte
            }
            if (data[pos_ + 1] == '\n') {
                pos_ += 2;
                sink.on_heartbeat();
                continue;
            }
        }
        frame_start_ = pos_;
        start_line(pos_);
        state_ = State::CommandLine;
        has_content_length_ = false;
        content_length_ = 0;
        spans_.clear();
        return true;
    }
    return false;
}

// Scans a command or header line from `from` up to `to` (offsets from the line's first byte)
// and returns the offset of the first '\n' or NUL, or `to`. On the way it notes the first ':'
// (into `colon`, unless one was noted before) and whether a '\\' occurs, so that finishing the
// line needs no second look at its bytes. Header lines are short (20-50 bytes): one memchr per
// delimiter cost more in call overhead than in scanning, so this looks for all four at once,
// sixteen bytes at a time where SSE2 is available (every x86-64), with one call per line.
std::size_t FrameParser::scan_line_bytes(const char* line, std::size_t from, std::size_t to,
                                         std::size_t& colon, bool& backslash) {
#if defined(__SSE2__)
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i nul = _mm_setzero_si128();
    const __m128i colon_byte = _mm_set1_epi8(':');
    const __m128i backslash_byte = _mm_set1_epi8('\\');
    const auto mask_of = [](__m128i hits) {
        return static_cast<std::uint32_t>(_mm_movemask_epi8(hits));
    };
    while (to - from >= 16) {
        const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(line + from));
        const std::uint32_t ends =
            mask_of(_mm_or_si128(_mm_cmpeq_epi8(block, newline), _mm_cmpeq_epi8(block, nul)));
        std::uint32_t colons = mask_of(_mm_cmpeq_epi8(block, colon_byte));
        std::uint32_t backslashes = mask_of(_mm_cmpeq_epi8(block, backslash_byte));
        if (ends != 0) {
            // Only what lies before the line's end belongs to it.
            const std::uint32_t before_end = (ends & (~ends + 1)) - 1;
            colons &= before_end;
            backslashes &= before_end;
        }
        if (colons != 0 && colon == kNoColon) {
            colon = from + static_cast<std::size_t>(std::countr_zero(colons));
        }
        if (backslashes != 0) {
            backslash = true;
        }
        if (ends != 0) {
            return from + static_cast<std::size_t>(std::countr_zero(ends));
        }
        from += 16;
    }
#endif
    for (; from < to; ++from) {
        const char c = line[from];
        if (c == '\n' || c == '\0') {
            break;
        }
        if (c == ':' && colon == kNoColon) {
            colon = from;
        } else if (c == '\\') {
            backslash = true;
        }
    }
    return from;
}

// Looks for the end of the line at line_start_. On Complete, `eol` is the index of its '\n'.
// Limits are judged on what has arrived: a line or frame that can no longer fit fails now.
FrameParser::LineScan FrameParser::scan_line(std::size_t& eol) {
    const char* data = data_;
    const std::size_t end = size_;
    const bool command_line = state_ == State::CommandLine;
    const ProtocolError too_long =
        command_line ? ProtocolError::BadCommandLine : ProtocolError::HeaderLineTooLong;
    const std::size_t max_line = limits_.max_header_line_bytes;
    // The '\n' of a line of max_line bytes is at most max_line + 1 bytes in (after a '\r').
    const std::size_t line_cap = saturating_add(line_start_, saturating_add(max_line, 2));
    const std::size_t frame_cap = saturating_add(frame_start_, limits_.max_frame_bytes);
    const std::size_t stop = std::min({end, line_cap, frame_cap});
    const std::size_t from = std::min(scan_pos_, stop);

    const std::size_t at =
        line_start_ + scan_line_bytes(data + line_start_, from - line_start_, stop - line_start_,
                                      colon_offset_, line_has_backslash_);
    // A NUL inside a command or header line would let a truncated frame pass for a complete
    // one; only a NUL where a header line starts is accepted (see NulAtLineStart).
    if (at < stop && data[at] == '\0') {
        if (!command_line && at == line_start_) {
            return LineScan::NulAtLineStart;
        }
        fail(command_line ? ProtocolError::BadCommandLine : ProtocolError::MalformedHeader);
        return LineScan::Failed;
    }
    if (at < stop) {
        eol = at;
        if (eol + 1 >= frame_cap) {  // no room left for the NUL
            fail(ProtocolError::FrameTooLarge);
            return LineScan::Failed;
        }
        const std::size_t line_end = eol > line_start_ && data[eol - 1] == '\r' ? eol - 1 : eol;
        if (line_end - line_start_ > max_line) {
            fail(too_long);
            return LineScan::Failed;
        }
        return LineScan::Complete;
    }
    scan_pos_ = stop;
    if (stop == frame_cap) {
        fail(ProtocolError::FrameTooLarge);
        return LineScan::Failed;
    }
    if (more_input_) {
        // Judged on all of this feed's bytes, as if they had come in one piece: with the rest,
        // the frame limit may be reached first.
        return LineScan::NeedMore;
    }
    std::size_t pending = end - line_start_;
    if (pending > 0 && data[end - 1] == '\r') {
        --pending;  // may yet be the CR of a CRLF
    }
    if (pending > max_line) {
        fail(too_long);
        return LineScan::Failed;
    }
    return LineScan::NeedMore;
}

void FrameParser::start_line(std::size_t at) {
    line_start_ = scan_pos_ = at;
    colon_offset_ = kNoColon;
    line_has_backslash_ = false;
}

bool FrameParser::finish_command_line(std::size_t eol) {
    const char* data = data_;
    const std::size_t line_end = eol > line_start_ && data[eol - 1] == '\r' ? eol - 1 : eol;
    command_length_ = line_end - frame_start_;
    // STOMP 1.2: "commands and headers are encoded in UTF-8". Checked here, at the edge, so
    // no subscriber (a browser decoding text frames) is ever handed broken text.
    if (!is_valid_utf8({data + frame_start_, command_length_})) {
        error_detail_ = "the command is not valid UTF-8";
        fail(ProtocolError::InvalidUtf8);
        return false;
    }
    command_ = parse_command({data + frame_start_, command_length_});
    unescape_ = version_ != Version::V1_0 && !is_connection_command(command_);
    start_line(eol + 1);
    state_ = State::HeaderLines;
    return true;
}

bool FrameParser::finish_header_line(std::size_t eol) {
    if (borrowed_ && unescape_ && line_has_backslash_) {
        // Unescaping rewrites the line in place, and the caller's bytes are not ours to change.
        eol -= frame_start_;
        copy_frame_to_buffer();
    }
    const char* data = data_;
    const std::size_t start = line_start_;
    const std::size_t line_end = eol > start && data[eol - 1] == '\r' ? eol - 1 : eol;
    const std::size_t colon_offset = colon_offset_;
    const bool has_backslash = line_has_backslash_;
    start_line(eol + 1);
    if (line_end == start) {
        body_start_ = eol + 1;
        return start_body();
    }
    if (spans_.size() >= limits_.max_headers) {
        fail(ProtocolError::TooManyHeaders);
        return false;
    }
    // Split at the first ':' (scan_line noted it). A raw ':' later in the value is accepted: 1.0
    // has no escapes and lenient 1.1/1.2 senders exist.
    if (colon_offset == kNoColon || colon_offset == 0) {
        fail(ProtocolError::MalformedHeader);
        return false;
    }
    std::size_t name_length = colon_offset;
    const std::size_t value_start = start + name_length + 1;
    std::size_t value_length = line_end - value_start;
    // Without a backslash in the line there is nothing to unescape.
    if (unescape_ && has_backslash) {
        char* text = buffer_.data();
        name_length = unescape_in_place(text + start, name_length, version_, command_);
        value_length = unescape_in_place(text + value_start, value_length, version_, command_);
        if (name_length == std::string_view::npos || value_length == std::string_view::npos) {
            fail(ProtocolError::BadEscape);
            return false;
        }
    }
    if (!is_valid_utf8({data + start, name_length}) ||
        !is_valid_utf8({data + value_start, value_length})) {
        error_detail_ = fmt_header_index(spans_.size() + 1);
        fail(ProtocolError::InvalidUtf8);
        return false;
    }
    spans_.push_back({start - frame_start_, name_length, value_start - frame_start_, value_length});
    // The first content-length wins, like every repeated header; later ones are not judged.
    if (!has_content_length_ && std::string_view(data + start, name_length) == "content-length") {
        const auto length = parse_content_length({data + value_start, value_length});
        if (!length) {
            fail(ProtocolError::BadContentLength);
            return false;
        }
        has_content_length_ = true;
        content_length_ = *length;
    }
    return true;
}

bool FrameParser::start_body() {
    if (!has_content_length_) {
        state_ = State::BodyToNul;
        scan_pos_ = body_start_;
        return true;
    }
    // The declared length fixes the frame's size now: refuse it before its body arrives.
    const std::size_t head_bytes = body_start_ - frame_start_;
    if (head_bytes >= limits_.max_frame_bytes ||
        content_length_ > limits_.max_frame_bytes - head_bytes - 1) {
        fail(ProtocolError::FrameTooLarge);
        return false;
    }
    state_ = State::BodyFixed;
    // Grow once to the frame's end rather than doubling repeatedly through a large body (when
    // the frame is parsed where it lies, keep_unparsed does this if it must be kept).
    const std::size_t frame_end = body_start_ + content_length_ + 1;
    if (!borrowed_ && frame_end > buffer_.capacity()) {
        buffer_.reserve(frame_end);
        parse_buffer();
    }
    return true;
}

bool FrameParser::emit_frame(std::size_t nul, FrameSink& sink) {
    const char* data = data_;
    const char* frame = data + frame_start_;
    frame_.command = command_;
    frame_.command_text = {frame, command_length_};
    frame_.headers.clear();
    for (const HeaderSpan& span : spans_) {
        frame_.headers.push_back({{frame + span.name_offset, span.name_length},
                                  {frame + span.value_offset, span.value_length}});
    }
    frame_.body = {data + body_start_, nul - body_start_};
    frame_.has_content_length = has_content_length_;
    pos_ = nul + 1;
    state_ = State::Idle;
    return sink.on_frame(frame_);
}

void FrameParser::parse_buffer() {
    data_ = buffer_.data();
    size_ = buffer_.size();
    borrowed_ = false;
}

// Positions are offsets into the bytes parsed; `removed` bytes have gone from their front.
void FrameParser::rebase(std::size_t removed) {
    if (state_ == State::Idle) {
        pos_ -= removed;
        return;
    }
    frame_start_ -= removed;
    line_start_ -= removed;
    scan_pos_ -= removed;
    if (state_ == State::BodyToNul || state_ == State::BodyFixed) {
        body_start_ -= removed;
    }
}

// The frame being parsed in the caller's bytes, and everything after it, move to the buffer.
void FrameParser::copy_frame_to_buffer() {
    buffer_.assign(data_ + frame_start_, size_ - frame_start_);
    rebase(frame_start_);
    parse_buffer();
}

// At the end of a feed, keeps only what is still needed in the buffer: the partial frame, or
// (after the sink stopped) the unparsed rest. Consumed bytes are dropped, and bytes parsed where
// they lay are copied, since the caller's span is gone after feed() returns.
void FrameParser::keep_unparsed() {
    const std::size_t keep_from = state_ == State::Idle ? pos_ : frame_start_;
    if (borrowed_) {
        if (state_ == State::BodyFixed) {
            // Grow once to the frame's end rather than doubling repeatedly through a large body.
            buffer_.reserve(body_start_ + content_length_ + 1 - keep_from);
        }
        buffer_.assign(data_ + keep_from, size_ - keep_from);
    } else if (keep_from == buffer_.size()) {
        buffer_.clear();
    } else if (keep_from > 0) {
        buffer_.erase(0, keep_from);
    }
    rebase(keep_from);
    if (buffer_.capacity() > kRetainedCapacity && buffer_.size() <= kRetainedCapacity / 4 &&
        state_ != State::BodyFixed) {
        buffer_.shrink_to_fit();
    }
    parse_buffer();
}

}  // namespace stampede::protocol
