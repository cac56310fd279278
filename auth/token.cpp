// Compact JWS parsing. Pure, any thread. Everything here is attacker-controlled input, so
// every step is bounded by the token size check that comes first.
#include "auth/token.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "auth/base64url.hpp"

namespace stampede::auth {
namespace {

using Result = AuthResult<ParsedToken>;

// Two members with one name let two JSON parsers disagree on a claim's value (one takes the
// first, another the last); RFC 7519 section 4 allows refusing such a token, and we do.
bool has_duplicate_members(const rapidjson::Value& object) {
    std::vector<std::string_view> names;
    names.reserve(object.MemberCount());
    for (const auto& member : object.GetObject()) {
        names.emplace_back(member.name.GetString(), member.name.GetStringLength());
    }
    std::sort(names.begin(), names.end());
    return std::adjacent_find(names.begin(), names.end()) != names.end();
}

// Decodes one segment into a JSON object. `what` names it in the detail.
bool decode_object(std::string_view segment, rapidjson::Document& out, std::string_view what,
                   std::string& why) {
    const std::optional<std::string> json = base64url_decode(segment);
    if (!json) {
        why = fmt::format("{} is not base64url", what);
        return false;
    }
    // Iterative: deep nesting costs heap (bounded by the token size), never stack.
    out.Parse<rapidjson::kParseIterativeFlag>(json->data(), json->size());
    if (out.HasParseError()) {
        why = fmt::format("{} is not JSON", what);
        return false;
    }
    if (!out.IsObject()) {
        why = fmt::format("{} is not a JSON object", what);
        return false;
    }
    if (has_duplicate_members(out)) {
        why = fmt::format("{} has a duplicate member", what);
        return false;
    }
    return true;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

// Header checks that need no key. A string member when present, else a wrong type.
bool header_string(const rapidjson::Value& header, const char* name,
                   std::optional<std::string>& out) {
    const auto member = header.FindMember(name);
    if (member == header.MemberEnd()) {
        return true;
    }
    if (!member->value.IsString()) {
        return false;
    }
    out.emplace(member->value.GetString(), member->value.GetStringLength());
    return true;
}

}  // namespace

AuthResult<ParsedToken> parse_token(std::string_view token, std::size_t max_bytes) {
    if (token.size() > max_bytes) {
        return Result::failure(AuthError::TokenTooLarge,
                               fmt::format("{} bytes, limit {}", token.size(), max_bytes));
    }
    const std::size_t first = token.find('.');
    const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return Result::failure(AuthError::InvalidToken, "not three dot-separated segments");
    }
    ParsedToken parsed;
    std::string why;
    if (!decode_object(token.substr(0, first), parsed.header, "header", why)) {
        return Result::failure(AuthError::InvalidToken, why);
    }
    std::optional<std::string> alg;
    std::optional<std::string> typ;
    if (!header_string(parsed.header, "alg", alg) || !alg) {
        return Result::failure(AuthError::InvalidToken, "header has no string alg");
    }
    if (equals_ignoring_case(*alg, "none")) {
        return Result::failure(AuthError::AlgorithmNotAllowed, "alg none");
    }
    const std::optional<Algorithm> algorithm = parse_algorithm(*alg);
    if (!algorithm) {
        return Result::failure(AuthError::AlgorithmNotAllowed,
                               fmt::format("unsupported alg {}", *alg));
    }
    parsed.alg = *algorithm;
    if (!header_string(parsed.header, "kid", parsed.kid) ||
        !header_string(parsed.header, "typ", typ)) {
        return Result::failure(AuthError::InvalidToken, "kid and typ must be strings");
    }
    // RFC 7515 4.1.11: an extension we do not understand listed in crit must be refused, and
    // we understand none.
    if (parsed.header.HasMember("crit")) {
        return Result::failure(AuthError::InvalidToken, "crit header not supported");
    }
    if (!decode_object(token.substr(first + 1, second - first - 1), parsed.payload, "payload",
                       why)) {
        return Result::failure(AuthError::InvalidToken, why);
    }
    if (!header_string(parsed.payload, "iss", parsed.issuer)) {
        return Result::failure(AuthError::InvalidToken, "iss is not a string");
    }
    std::optional<std::string> signature = base64url_decode(token.substr(second + 1));
    if (!signature) {
        return Result::failure(AuthError::InvalidToken, "signature is not base64url");
    }
    parsed.signature = std::move(*signature);
    parsed.signing_input = token.substr(0, second);
    return Result::success(std::move(parsed));
}

}  // namespace stampede::auth
