// See credentials.hpp.
#include "core/credentials.hpp"

#include "auth/base64url.hpp"

namespace stampede::broker {

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    if (authorization.size() > 7 && detail::iequals(authorization.substr(0, 7), "bearer ")) {
        return authorization.substr(7);
    }
    return std::nullopt;
}

Credentials http_credentials(std::string_view authorization, std::string& decoded) {
    Credentials found;
    if (const auto token = bearer_token(authorization)) {
        found.kind = Credentials::Kind::Token;
        found.token = *token;
    } else if (authorization.size() > 6 && detail::iequals(authorization.substr(0, 6), "basic ")) {
        auto text = auth::base64_decode(authorization.substr(6));
        const auto colon = text ? text->find(':') : std::string::npos;
        if (colon == std::string::npos) {
            found.kind = Credentials::Kind::Malformed;
            return found;
        }
        decoded = std::move(*text);
        found.kind = Credentials::Kind::Login;
        found.login = std::string_view(decoded).substr(0, colon);
        found.passcode = std::string_view(decoded).substr(colon + 1);
    }
    return found;
}

}  // namespace stampede::broker
