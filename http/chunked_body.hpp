// ChunkedBody: decodes a request body sent with `Transfer-Encoding: chunked`. libwebsockets
// 4.1.6 passes such a body to LWS_CALLBACK_HTTP_BODY as it came, chunk sizes included, and
// never reports its end (it knows no length); Node's http client, which sockjs-client uses
// for xhr_send, always sends chunked. Pure; one per request, on that request's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stampede::broker {

class ChunkedBody {
   public:
    enum class Status { More, Done, Broken };

    /// Keeps at most `limit` decoded bytes; what is beyond is read, dropped, and remembered
    /// (overflowed()).
    explicit ChunkedBody(std::size_t limit) : limit_(limit) {}

    /// Decodes `raw` (any split) into `out`. Done once the last chunk and the trailer are in;
    /// bytes after that are ignored. Broken on anything that is not chunked framing.
    Status feed(std::string_view raw, std::string& out);
    bool overflowed() const { return overflowed_; }

   private:
    enum class State {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        Trailer,
        TrailerLf,
        Done,
        Broken
    };
    std::size_t limit_;
    State state_ = State::Size;
    std::uint64_t remaining_ = 0;
    unsigned size_digits_ = 0;
    std::size_t trailer_line_ = 0;  // bytes of the current trailer line
    bool overflowed_ = false;
};

}  // namespace stampede::broker
