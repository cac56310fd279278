// See chunked_body.hpp.
#include "http/chunked_body.hpp"

#include <algorithm>

#include "http/http_values.hpp"

namespace stampede::broker {
namespace {

constexpr unsigned kMaxSizeDigits = 15;  // a chunk of up to 2^60 bytes: no overflow
constexpr std::size_t kMaxTrailerLine = 8192;

}  // namespace

ChunkedBody::Status ChunkedBody::feed(std::string_view raw, std::string& out) {
    std::size_t i = 0;
    while (i < raw.size() && state_ != State::Done && state_ != State::Broken) {
        const char c = raw[i];
        switch (state_) {
            case State::Size: {
                const int digit = hex_value(c);
                if (digit >= 0 && size_digits_ < kMaxSizeDigits) {
                    remaining_ = remaining_ * 16 + static_cast<unsigned>(digit);
                    ++size_digits_;
                } else if (size_digits_ > 0 && c == ';') {
                    state_ = State::Extension;
                } else if (size_digits_ > 0 && c == '\r') {
                    state_ = State::SizeLf;
                } else {
                    state_ = State::Broken;
                }
                ++i;
                break;
            }
            case State::Extension:
                state_ = c == '\r' ? State::SizeLf : State::Extension;
                ++i;
                break;
            case State::SizeLf:
                state_ = c != '\n' ? State::Broken : remaining_ > 0 ? State::Data : State::Trailer;
                trailer_line_ = 0;
                ++i;
                break;
            case State::Data: {
                const std::size_t take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, raw.size() - i));
                const std::size_t room = out.size() < limit_ ? limit_ - out.size() : 0;
                if (take > room) {
                    overflowed_ = true;
                }
                out.append(raw.substr(i, std::min(take, room)));
                remaining_ -= take;
                i += take;
                if (remaining_ == 0) {
                    state_ = State::DataCr;
                }
                break;
            }
            case State::DataCr:
                state_ = c == '\r' ? State::DataLf : State::Broken;
                ++i;
                break;
            case State::DataLf:
                state_ = c == '\n' ? State::Size : State::Broken;
                size_digits_ = 0;
                ++i;
                break;
            case State::Trailer:
                // Trailer fields are skipped; an empty line ends the body.
                if (c == '\r') {
                    state_ = State::TrailerLf;
                } else if (++trailer_line_ > kMaxTrailerLine) {
                    state_ = State::Broken;
                }
                ++i;
                break;
            case State::TrailerLf:
                if (c != '\n') {
                    state_ = State::Broken;
                } else {
                    state_ = trailer_line_ == 0 ? State::Done : State::Trailer;
                    trailer_line_ = 0;
                }
                ++i;
                break;
            case State::Done:
            case State::Broken:
                break;
        }
    }
    return state_ == State::Done     ? Status::Done
           : state_ == State::Broken ? Status::Broken
                                     : Status::More;
}

}  // namespace stampede::broker
