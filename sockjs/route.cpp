// See route.hpp.
#include "sockjs/route.hpp"

namespace stampede::sockjs {
namespace {

bool valid_id(std::string_view id) { return !id.empty() && id.find('.') == std::string_view::npos; }

Target session_transport(std::string_view name) {
    if (name == "websocket") {
        return Target::Websocket;
    }
    if (name == "xhr") {
        return Target::Xhr;
    }
    if (name == "xhr_send") {
        return Target::XhrSend;
    }
    if (name == "xhr_streaming") {
        return Target::XhrStreaming;
    }
    if (name == "eventsource") {
        return Target::EventSource;
    }
    return Target::NotFound;
}

}  // namespace

Route route(std::string_view path, std::string_view prefix) {
    if (path.substr(0, prefix.size()) != prefix) {
        return {};
    }
    std::string_view rest = path.substr(prefix.size());
    if (rest.empty() || rest == "/") {
        return {Target::Greeting, {}};
    }
    if (rest.front() != '/') {
        return {};  // /ws-sockjsX is not under /ws-sockjs
    }
    rest.remove_prefix(1);
    if (rest == "info") {
        return {Target::Info, {}};
    }
    if (rest == "websocket") {
        return {Target::RawWebsocket, {}};
    }
    // <server>/<session>/<transport>, exactly three segments.
    const auto first = rest.find('/');
    if (first == std::string_view::npos) {
        return {};
    }
    const auto second = rest.find('/', first + 1);
    if (second == std::string_view::npos) {
        return {};
    }
    const std::string_view server = rest.substr(0, first);
    const std::string_view session = rest.substr(first + 1, second - first - 1);
    const std::string_view transport = rest.substr(second + 1);
    if (!valid_id(server) || !valid_id(session) || session.size() > kMaxSessionIdBytes ||
        transport.find('/') != std::string_view::npos) {
        return {};
    }
    const Target target = session_transport(transport);
    if (target == Target::NotFound) {
        return {};
    }
    return {target, session};
}

}  // namespace stampede::sockjs
