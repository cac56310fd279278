// Credentials: where a client's credentials are, before anyone judges them (the
// Authenticator does): a CONNECT frame's headers (DESIGN.md "Identity and access" gives the
// order) or an HTTP Authorization header. Pure; shard thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stampede::broker {

struct Security;

/// Where a CONNECT's credentials are (DESIGN.md "Identity and access"): a bearer token, a
/// login/passcode pair, or nothing.
struct Credentials {
    enum class Kind { None, Token, Login, Malformed };  // Malformed: e.g. Basic not base64
    Kind kind = Kind::None;
    std::string_view token;
    std::string_view login;
    std::string_view passcode;
};
/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
std::optional<std::string_view> bearer_token(std::string_view authorization);
/// An HTTP Authorization header's credentials: Bearer (a token) or Basic (login:passcode,
/// decoded into `decoded`, which the views point into).
Credentials http_credentials(std::string_view authorization, std::string& decoded);

template <typename Frame>
Credentials find_credentials(const Frame& frame, const Security& security);

}  // namespace stampede::broker

#include "core/credentials_inl.hpp"
