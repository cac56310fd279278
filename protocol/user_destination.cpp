// User destination names: see user_destination.hpp.
#include "protocol/user_destination.hpp"

namespace stampede::protocol {

namespace {

constexpr std::string_view kQueueSegment = "/queue/";

// The byte a recognised escape stands for, or 0.
char escaped(char hi, char lo) {
    if (hi != '2') {
        return 0;
    }
    switch (lo) {
        case 'F':
        case 'f':
            return '/';
        case 'E':
        case 'e':
            return '.';
        case '5':
            return '%';
        default:
            return 0;
    }
}

}  // namespace

std::string encode_principal(std::string_view principal) {
    std::string out;
    out.reserve(principal.size());
    for (const char c : principal) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '/':
                out += "%2F";
                break;
            case '.':
                out += "%2E";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::optional<std::string> decode_principal(std::string_view encoded) {
    std::string out;
    out.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            out += encoded[i];
            continue;
        }
        if (i + 2 >= encoded.size()) {  // a truncated escape
            return std::nullopt;
        }
        const char c = escaped(encoded[i + 1], encoded[i + 2]);
        if (c == 0) {
            return std::nullopt;
        }
        out += c;
        i += 2;
    }
    if (out.empty()) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string_view> own_user_queue_name(std::string_view destination) {
    if (!destination.starts_with(kOwnUserQueuePrefix) ||
        destination.size() == kOwnUserQueuePrefix.size()) {
        return std::nullopt;
    }
    return destination.substr(kOwnUserQueuePrefix.size());
}

UserQueueAddress parse_user_send(std::string_view destination) {
    UserQueueAddress out;
    if (!is_user_destination(destination)) {
        out.error = "not a user destination";
        return out;
    }
    const std::string_view rest = destination.substr(kUserPrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !rest.substr(slash).starts_with(kQueueSegment)) {
        out.error = "a user destination is /user/PRINCIPAL/queue/NAME";
        return out;
    }
    const std::string_view name = rest.substr(slash + kQueueSegment.size());
    if (name.empty()) {
        out.error = "a user destination is /user/PRINCIPAL/queue/NAME (NAME is empty)";
        return out;
    }
    auto principal = decode_principal(rest.substr(0, slash));
    if (!principal) {
        out.error =
            "PRINCIPAL must be non-empty; its only escapes are %2F ('/'), %2E ('.') and %25 ('%')";
        return out;
    }
    out.principal = std::move(*principal);
    out.name = std::string(name);
    return out;
}

std::string user_queue_name(std::string_view principal, std::string_view name) {
    std::string out(kUserPrefix);
    out += encode_principal(principal);
    out += kQueueSegment;
    out += name;
    return out;
}

std::optional<std::string> shown_user_destination(std::string_view internal) {
    if (!is_user_destination(internal)) {
        return std::nullopt;
    }
    const std::string_view rest = internal.substr(kUserPrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !rest.substr(slash).starts_with(kQueueSegment)) {
        return std::nullopt;
    }
    std::string out(kOwnUserQueuePrefix);
    out += rest.substr(slash + kQueueSegment.size());
    return out;
}

}  // namespace stampede::protocol
