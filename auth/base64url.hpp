// Strict base64url (RFC 4648 section 5, JOSE form: no padding) and standard base64 (section 4,
// for PBKDF2 salts and hashes). Decoders refuse anything a canonical encoder would not write,
// so a token has exactly one spelling. Pure functions, any thread. Bytes travel in std::string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stampede::auth {

/// Decodes unpadded base64url. Refuses '=', characters outside [A-Za-z0-9_-], a length that
/// no encoding has (len % 4 == 1), and non-zero bits left over in the last character.
std::optional<std::string> base64url_decode(std::string_view text);

/// Encodes bytes as unpadded base64url.
std::string base64url_encode(std::string_view bytes);

/// Decodes standard base64 ([A-Za-z0-9+/]). Padding is optional but, when present, must be
/// exactly what the length needs; leftover bits must be zero; no whitespace.
std::optional<std::string> base64_decode(std::string_view text);

/// Encodes bytes as padded standard base64.
std::string base64_encode(std::string_view bytes);

}  // namespace stampede::auth
