// What the HTTP endpoints share: the status codes they answer with, a one-field JSON object
// (`{"error": "..."}`), and a hex digit's value (percent-decoding, chunk sizes). Pure.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace stampede::broker::http_status {

inline constexpr unsigned kOk = 200;
inline constexpr unsigned kAccepted = 202;
inline constexpr unsigned kBadRequest = 400;
inline constexpr unsigned kUnauthorized = 401;
inline constexpr unsigned kForbidden = 403;
inline constexpr unsigned kNotFound = 404;
inline constexpr unsigned kMethodNotAllowed = 405;
inline constexpr unsigned kConflict = 409;
inline constexpr unsigned kTooLarge = 413;
inline constexpr unsigned kUnsupportedMediaType = 415;
inline constexpr unsigned kTooManyRequests = 429;
inline constexpr unsigned kUnavailable = 503;

}  // namespace stampede::broker::http_status

namespace stampede::broker {

/// `{"<key>": "<value>"}`, the value JSON-escaped.
inline std::string json_object(std::string_view key, std::string_view value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    writer.EndObject();
    return buffer.GetString();
}

/// 0-15 for a hex digit (either case), -1 for anything else.
inline int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace stampede::broker
