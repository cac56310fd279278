// See publish_form.hpp.
#include "core/publish_form.hpp"

#include <rapidjson/document.h>

#include "auth/base64url.hpp"

namespace stampede::broker {

const char* read_publish_form(std::string_view json, PublishForm& form, FormStrictness strictness) {
    const bool strict = strictness == FormStrictness::Strict;
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        json.data(), json.size());
    if (document.HasParseError() || !document.IsObject()) {
        return "the body is not a JSON object";
    }
    const auto destination = document.FindMember("destination");
    if (destination == document.MemberEnd() || !destination->value.IsString()) {
        return "destination must be a string";
    }
    form.destination.assign(destination->value.GetString(), destination->value.GetStringLength());
    const auto b64 = document.FindMember("body_base64");
    const auto body = document.FindMember("body");
    const bool has_b64 = b64 != document.MemberEnd() && (strict || b64->value.IsString());
    if (has_b64) {
        if (!b64->value.IsString()) {
            return "body_base64 must be a string";
        }
        auto decoded = auth::base64_decode(
            std::string_view(b64->value.GetString(), b64->value.GetStringLength()));
        if (!decoded) {
            return "body_base64 is not base64";
        }
        form.body = std::move(*decoded);
    } else if (body != document.MemberEnd() && (strict || body->value.IsString())) {
        if (!body->value.IsString()) {
            return "body must be a string";
        }
        form.body.assign(body->value.GetString(), body->value.GetStringLength());
    }
    if (const auto headers = document.FindMember("headers");
        headers != document.MemberEnd() && (strict || headers->value.IsObject())) {
        if (!headers->value.IsObject()) {
            return "headers must be an object of strings";
        }
        for (const auto& member : headers->value.GetObject()) {
            if (!member.value.IsString()) {
                if (!strict) {
                    continue;
                }
                return "headers must be an object of strings";
            }
            form.headers.emplace_back(
                std::string(member.name.GetString(), member.name.GetStringLength()),
                std::string(member.value.GetString(), member.value.GetStringLength()));
        }
    }
    return nullptr;
}

}  // namespace stampede::broker
