// find_credentials, templated on the frame type so unit tests can use a plain header list.
#pragma once

#include <cctype>

#include "core/security.hpp"

namespace stampede::broker {
namespace detail {

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace detail

template <typename Frame>
Credentials find_credentials(const Frame& frame, const Security& security) {
    Credentials found;
    if (const auto authorization = frame.header("Authorization")) {
        if (const auto token = bearer_token(*authorization)) {
            found.kind = Credentials::Kind::Token;
            found.token = *token;
            return found;
        }
    }
    if (!security.token_header.empty()) {
        if (const auto token = frame.header(security.token_header); token && !token->empty()) {
            found.kind = Credentials::Kind::Token;
            found.token = *token;
            return found;
        }
    }
    const auto login = frame.header("login");
    const auto passcode = frame.header("passcode");
    const bool no_login = !login || login->empty() || detail::iequals(*login, "bearer");
    // A passcode carries a token only where tokens can be checked: with no issuer configured,
    // clients that always send some passcode (stomp.py) would otherwise be refused.
    if (no_login && passcode && !passcode->empty() && security.guards != nullptr) {
        found.kind = Credentials::Kind::Token;
        found.token = *passcode;
        return found;
    }
    if (login && !login->empty()) {
        found.kind = Credentials::Kind::Login;
        found.login = *login;
        found.passcode = passcode.value_or(std::string_view{});
    }
    return found;
}

}  // namespace stampede::broker
