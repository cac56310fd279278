// Incremental STOMP frame scanner for the load generator: finds frame boundaries in a byte
// stream (several frames per read, frames split across reads), jumping over bodies with
// content-length and looking for the NUL otherwise. It does not unescape header values: the
// generator only reads ids it sent or the broker made. Also the few frames the generator sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stampede::bench {

/// One frame as found in the stream; views are valid only inside the callback.
struct StompFrame {
    std::string_view command;
    std::string_view header_block;  // header lines, each ending in '\n' (or "\r\n")
    std::string_view body;

    /// The first header called `name`, if any (a linear scan of the header block).
    std::optional<std::string_view> header(std::string_view name) const;
};

class StompSink {
   public:
    virtual ~StompSink() = default;
    virtual void on_stomp_frame(const StompFrame& frame) = 0;
};

class StompScanner {
   public:
    explicit StompScanner(std::size_t max_frame_bytes = 64u << 20) : max_frame_(max_frame_bytes) {}

    /// Feeds bytes; calls the sink once per complete frame. Returns false on a malformed
    /// stream (error() says why).
    bool feed(std::string_view bytes, StompSink& sink);
    const std::string& error() const { return error_; }
    std::size_t carried() const { return carry_.size(); }

   private:
    enum class Scan { Frame, Incomplete, Error };
    /// Scans one frame at the start of `data`. On Frame, `used` is its size including any
    /// heart-beat EOLs before it; on Incomplete, `want` is the total size needed when known.
    Scan scan_one(std::string_view data, StompSink& sink, std::size_t& used, std::size_t& want);

    std::string carry_;  // the start of a frame that did not fit in earlier reads
    std::size_t max_frame_;
    std::string error_;
};

/// Frames the generator sends (STOMP 1.2 encoding; values carry no special characters).
std::string connect_frame(std::string_view host, std::string_view login, std::string_view passcode);
std::string subscribe_frame(std::string_view destination, std::string_view id,
                            std::string_view ack_mode, std::string_view receipt,
                            std::uint32_t prefetch);
void append_send_head(std::string& out, std::string_view destination, std::size_t body_size);
std::string ack_frame(std::string_view ack_id);
std::string disconnect_frame(std::string_view receipt);

/// Parses an unsigned decimal; nullopt when it is not one.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace stampede::bench
