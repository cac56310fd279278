// A compact JWS split and decoded, before any key is involved: three base64url segments,
// header and payload JSON objects, a supported `alg`. Internal to auth/ (it exposes RapidJSON);
// the broker uses Guards. Pure, any thread.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "auth/algorithm.hpp"
#include "auth/error.hpp"

namespace stampede::auth {

struct ParsedToken {
    std::string_view signing_input;  // "header.payload", a view into the caller's token
    std::string signature;           // decoded bytes
    rapidjson::Document header;
    rapidjson::Document payload;
    Algorithm alg = Algorithm::HS256;
    std::optional<std::string> kid;
    std::optional<std::string> issuer;  // the iss claim
};

/// Splits and decodes `token`. Errors: TokenTooLarge (over max_bytes), InvalidToken (not
/// three segments, bad base64url, JSON that does not parse or is not an object, duplicate
/// member names, header fields of the wrong type, a `crit` header), AlgorithmNotAllowed
/// (`none` in any case, or an alg we do not implement).
AuthResult<ParsedToken> parse_token(std::string_view token, std::size_t max_bytes);

}  // namespace stampede::auth
