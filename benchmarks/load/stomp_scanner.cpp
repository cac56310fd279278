// Incremental STOMP frame scanner and the generator's outgoing frames.
#include "stomp_scanner.hpp"

#include <algorithm>
#include <cstring>

namespace stampede::bench {
namespace {

constexpr std::string_view kContentLength = "content-length:";
// While completing a carried frame whose size is unknown, append this much at a time.
constexpr std::size_t kCarryStep = 4096;

std::string_view strip_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    return line;
}

}  // namespace

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 19) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

std::optional<std::string_view> StompFrame::header(std::string_view name) const {
    std::string_view rest = header_block;
    while (!rest.empty()) {
        const auto end = rest.find('\n');
        const std::string_view line = strip_cr(rest.substr(0, end));
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (line.size() > name.size() && line[name.size()] == ':' &&
            line.substr(0, name.size()) == name) {
            return line.substr(name.size() + 1);
        }
    }
    return std::nullopt;
}

StompScanner::Scan StompScanner::scan_one(std::string_view data, StompSink& sink, std::size_t& used,
                                          std::size_t& want) {
    const char* const base = data.data();
    const char* const end = base + data.size();
    const char* p = base;
    want = 0;
    while (p < end && (*p == '\n' || *p == '\r')) {
        ++p;  // heart-beats
    }
    if (p == end) {
        used = data.size();
        return Scan::Frame;  // only heart-beats: consumed, nothing to report
    }
    const char* const frame_start = p;
    const char* line_end = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (line_end == nullptr) {
        return Scan::Incomplete;
    }
    std::string_view command(p, static_cast<std::size_t>(line_end - p));
    command = strip_cr(command);
    p = line_end + 1;
    const char* const headers_start = p;
    std::optional<std::size_t> content_length;
    while (true) {
        line_end = static_cast<const char*>(std::memchr(p, '\n', end - p));
        if (line_end == nullptr) {
            return Scan::Incomplete;
        }
        const std::size_t length = static_cast<std::size_t>(line_end - p);
        if (length == 0 || (length == 1 && *p == '\r')) {
            break;
        }
        if (!content_length && length > kContentLength.size() && *p == 'c' &&
            std::string_view(p, kContentLength.size()) == kContentLength) {
            const std::string_view value = strip_cr(
                std::string_view(p + kContentLength.size(), length - kContentLength.size()));
            content_length = parse_decimal(value);
            if (!content_length) {
                error_ = "bad content-length";
                return Scan::Error;
            }
        }
        p = line_end + 1;
    }
    const std::string_view header_block(headers_start, static_cast<std::size_t>(p - headers_start));
    const char* const body_start = line_end + 1;
    const char* body_end = nullptr;
    if (content_length) {
        const std::size_t total = static_cast<std::size_t>(body_start - base) + *content_length + 1;
        if (total > static_cast<std::size_t>(end - base)) {
            want = total;
            return Scan::Incomplete;
        }
        body_end = body_start + *content_length;
        if (*body_end != '\0') {
            error_ = "no NUL after content-length bytes";
            return Scan::Error;
        }
    } else {
        body_end = static_cast<const char*>(std::memchr(body_start, '\0', end - body_start));
        if (body_end == nullptr) {
            return Scan::Incomplete;
        }
    }
    if (static_cast<std::size_t>(body_end - frame_start) > max_frame_) {
        error_ = "frame too large";
        return Scan::Error;
    }
    used = static_cast<std::size_t>(body_end + 1 - base);
    sink.on_stomp_frame(
        StompFrame{command, header_block,
                   std::string_view(body_start, static_cast<std::size_t>(body_end - body_start))});
    return Scan::Frame;
}

bool StompScanner::feed(std::string_view bytes, StompSink& sink) {
    std::size_t used = 0;
    std::size_t want = 0;
    // First finish the frame carried over from earlier reads, copying only what it needs.
    while (!carry_.empty() && !bytes.empty()) {
        const std::size_t before = carry_.size();
        std::size_t step = want > before ? want - before : kCarryStep;
        step = std::min(step, bytes.size());
        carry_.append(bytes.substr(0, step));
        const Scan result = scan_one(carry_, sink, used, want);
        if (result == Scan::Error) {
            return false;
        }
        if (result == Scan::Incomplete) {
            bytes.remove_prefix(step);
            if (carry_.size() > max_frame_ + 4096) {
                error_ = "frame too large";
                return false;
            }
            continue;
        }
        // The carried frame ended `used - before` bytes into this step; the rest is rescanned
        // from `bytes` directly.
        bytes.remove_prefix(used - before);
        carry_.clear();
    }
    while (!bytes.empty()) {
        const Scan result = scan_one(bytes, sink, used, want);
        if (result == Scan::Error) {
            return false;
        }
        if (result == Scan::Incomplete) {
            if (bytes.size() > max_frame_ + 4096) {
                error_ = "frame too large";
                return false;
            }
            carry_.assign(bytes);
            return true;
        }
        bytes.remove_prefix(used);
    }
    return true;
}

std::string connect_frame(std::string_view host, std::string_view login,
                          std::string_view passcode) {
    std::string frame = "CONNECT\naccept-version:1.2\nheart-beat:0,0\nhost:";
    frame.append(host).append("\n");
    if (!login.empty()) {
        frame.append("login:").append(login).append("\n");
    }
    if (!passcode.empty()) {
        frame.append("passcode:").append(passcode).append("\n");
    }
    frame.append("\n");
    frame.push_back('\0');
    return frame;
}

std::string subscribe_frame(std::string_view destination, std::string_view id,
                            std::string_view ack_mode, std::string_view receipt,
                            std::uint32_t prefetch) {
    std::string frame = "SUBSCRIBE\ndestination:";
    frame.append(destination).append("\nid:").append(id).append("\nack:").append(ack_mode);
    if (prefetch > 0) {
        frame.append("\nprefetch-count:").append(std::to_string(prefetch));
    }
    if (!receipt.empty()) {
        frame.append("\nreceipt:").append(receipt);
    }
    frame.append("\n\n");
    frame.push_back('\0');
    return frame;
}

void append_send_head(std::string& out, std::string_view destination, std::size_t body_size) {
    out.append("SEND\ndestination:").append(destination);
    out.append("\ncontent-type:text/plain\ncontent-length:");
    char digits[24];
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + body_size % 10);
        body_size /= 10;
    } while (body_size > 0);
    while (n > 0) {
        out.push_back(digits[--n]);
    }
    out.append("\n\n");
}

std::string ack_frame(std::string_view ack_id) {
    std::string frame = "ACK\nid:";
    frame.append(ack_id).append("\n\n");
    frame.push_back('\0');
    return frame;
}

std::string disconnect_frame(std::string_view receipt) {
    std::string frame = "DISCONNECT\nreceipt:";
    frame.append(receipt).append("\n\n");
    frame.push_back('\0');
    return frame;
}

}  // namespace stampede::bench
