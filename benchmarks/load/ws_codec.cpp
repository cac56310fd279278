// WebSocket framing for the load generator (RFC 6455, client side plus a test server side).
#include "ws_codec.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace stampede::bench {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// XORs `size` bytes with the 4-byte mask, eight bytes at a time where it can.
void apply_mask(char* data, std::size_t size, std::uint32_t mask_key) {
    std::uint8_t mask[4];
    std::memcpy(mask, &mask_key, 4);
    std::uint64_t wide;
    std::uint8_t wide_bytes[8];
    for (int i = 0; i < 8; ++i) {
        wide_bytes[i] = mask[i % 4];
    }
    std::memcpy(&wide, wide_bytes, 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        word ^= wide;
        std::memcpy(data + i, &word, 8);
    }
    for (; i < size; ++i) {
        data[i] = static_cast<char>(data[i] ^ mask[i % 4]);
    }
}

void append_length(std::string& out, std::uint8_t first, std::size_t size, bool masked) {
    const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
    out.push_back(static_cast<char>(first));
    if (size < 126) {
        out.push_back(static_cast<char>(mask_bit | size));
    } else if (size <= 0xFFFF) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>(size >> 8));
        out.push_back(static_cast<char>(size & 0xFF));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
        }
    }
}

}  // namespace

std::string make_websocket_key() {
    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        for (auto& byte : nonce) {
            byte = static_cast<unsigned char>(std::rand());
        }
    }
    return base64(nonce, sizeof nonce);
}

std::string websocket_accept_for(std::string_view key) {
    std::string joined(key);
    joined += kGuid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
    return base64(digest, sizeof digest);
}

std::string make_upgrade_request(std::string_view host, std::uint16_t port, std::string_view path,
                                 std::string_view key, std::string_view subprotocol) {
    std::string request;
    request.reserve(256);
    request.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
    request.append(":").append(std::to_string(port));
    request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    request.append(key).append("\r\nSec-WebSocket-Version: 13\r\n");
    if (!subprotocol.empty()) {
        request.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
    }
    request.append("\r\n");
    return request;
}

std::string check_upgrade_response(std::string_view head, std::string_view key) {
    const auto line_end = head.find("\r\n");
    const std::string_view status = head.substr(0, line_end);
    if (status.size() < 12 || status.substr(0, 5) != "HTTP/" ||
        status.substr(status.find(' ') + 1, 3) != "101") {
        return "upgrade refused: " + std::string(status);
    }
    const std::string expected = websocket_accept_for(key);
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
        const auto end = head.find("\r\n", pos);
        const std::string_view line = head.substr(pos, end - pos);
        pos = end == std::string_view::npos ? head.size() : end + 2;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        if (iequals(trim(line.substr(0, colon)), "sec-websocket-accept")) {
            return trim(line.substr(colon + 1)) == expected ? "" : "bad Sec-WebSocket-Accept";
        }
    }
    return "no Sec-WebSocket-Accept";
}

void append_client_frame(std::string& out, WsOpcode opcode, std::string_view payload,
                         std::uint32_t mask_key, bool fin) {
    const std::uint8_t first =
        static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
    append_length(out, first, payload.size(), true);
    out.append(reinterpret_cast<const char*>(&mask_key), 4);
    const std::size_t start = out.size();
    out.append(payload);
    apply_mask(out.data() + start, payload.size(), mask_key);
}

std::size_t begin_client_frame(std::string& out, WsOpcode opcode, std::size_t payload_size,
                               std::uint32_t mask_key) {
    append_length(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode)),
                  payload_size, true);
    out.append(reinterpret_cast<const char*>(&mask_key), 4);
    return out.size();
}

void finish_client_frame(std::string& out, std::size_t payload_start, std::uint32_t mask_key) {
    apply_mask(out.data() + payload_start, out.size() - payload_start, mask_key);
}

void append_server_frame(std::string& out, WsOpcode opcode, std::string_view payload) {
    append_length(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode)),
                  payload.size(), false);
    out.append(payload);
}

std::size_t server_frame_header_size(std::size_t size) {
    return size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
}

// ---------------------------------------------------------------------------------------

bool WsDecoder::parse_header(WsSink& sink) {
    const std::uint8_t first = header_[0];
    const std::uint8_t second = header_[1];
    if ((first & 0x70) != 0) {
        error_ = "reserved bits set (no extension was negotiated)";
        return false;
    }
    if ((second & 0x80) != 0) {
        error_ = "masked frame from the server";
        return false;
    }
    const auto opcode = static_cast<WsOpcode>(first & 0x0F);
    const bool fin = (first & 0x80) != 0;
    std::uint64_t length = second & 0x7F;
    if (length == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
    } else if (length == 127) {
        length = 0;
        for (int i = 2; i < 10; ++i) {
            length = (length << 8) | header_[i];
        }
    }
    control_ = (static_cast<std::uint8_t>(opcode) & 0x08) != 0;
    if (control_) {
        if (!fin || length > 125) {
            error_ = "bad control frame";
            return false;
        }
        control_payload_.clear();
    } else if (opcode == WsOpcode::Continuation) {
        if (!in_message_) {
            error_ = "continuation without a message";
            return false;
        }
        in_message_ = !fin;
    } else if (opcode == WsOpcode::Text || opcode == WsOpcode::Binary) {
        if (in_message_) {
            error_ = "new message inside a fragmented one";
            return false;
        }
        in_message_ = !fin;
    } else {
        error_ = "unknown opcode " + std::to_string(static_cast<int>(opcode));
        return false;
    }
    opcode_ = opcode;
    payload_left_ = length;
    in_payload_ = true;
    if (control_ && length == 0) {
        in_payload_ = false;
        sink.on_ws_control(opcode_, {});
    }
    return true;
}

bool WsDecoder::feed(std::string_view bytes, WsSink& sink) {
    while (!bytes.empty()) {
        if (in_payload_) {
            const std::size_t take =
                static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size()));
            const std::string_view piece = bytes.substr(0, take);
            bytes.remove_prefix(take);
            payload_left_ -= take;
            if (control_) {
                control_payload_.append(piece);
                if (payload_left_ == 0) {
                    in_payload_ = false;
                    sink.on_ws_control(opcode_, control_payload_);
                }
            } else {
                if (take > 0) {
                    sink.on_ws_data(piece);
                }
                if (payload_left_ == 0) {
                    in_payload_ = false;
                }
            }
            continue;
        }
        // Header: two bytes, then 0, 2 or 8 bytes of extended length.
        const auto size_for = [](std::uint8_t second) -> std::size_t {
            const std::uint8_t length = second & 0x7F;
            return length == 126 ? 4 : length == 127 ? 10 : 2;
        };
        const auto needed = [this, &size_for]() -> std::size_t {
            return header_size_ < 2 ? 2 : size_for(header_[1]);
        };
        if (header_size_ == 0 && bytes.size() >= 10) {
            // Fast path: the whole header is here.
            header_[0] = static_cast<std::uint8_t>(bytes[0]);
            header_[1] = static_cast<std::uint8_t>(bytes[1]);
            const std::size_t size = size_for(header_[1]);
            std::memcpy(header_ + 2, bytes.data() + 2, size - 2);
            bytes.remove_prefix(size);
        } else {
            while (header_size_ < needed() && !bytes.empty()) {
                header_[header_size_++] = static_cast<std::uint8_t>(bytes.front());
                bytes.remove_prefix(1);
            }
            if (header_size_ < needed()) {
                return true;  // the rest of the header comes with the next read
            }
            header_size_ = 0;
        }
        if (!parse_header(sink)) {
            return false;
        }
    }
    return true;
}

}  // namespace stampede::bench
