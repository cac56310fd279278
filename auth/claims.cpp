// See claims.hpp. Parsed again at each use: a presence enter is rare next to the memory a
// parsed document would cost every session for its lifetime.
#include "auth/claims.hpp"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace stampede::auth {

std::string claim_json(std::string_view claims, std::string_view claim) {
    if (claims.empty() || claim.empty()) {
        return {};
    }
    rapidjson::Document payload;
    payload.Parse(claims.data(), claims.size());
    if (payload.HasParseError() || !payload.IsObject()) {
        return {};
    }
    const rapidjson::Value* value = nullptr;
    if (claim.starts_with('/')) {
        const rapidjson::Pointer pointer(claim.data(), claim.size());
        value = pointer.IsValid() ? pointer.Get(payload) : nullptr;
    } else {
        const auto member = payload.FindMember(rapidjson::StringRef(claim.data(), claim.size()));
        value = member == payload.MemberEnd() ? nullptr : &member->value;
    }
    if (value == nullptr) {
        return {};
    }
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    value->Accept(writer);
    return {out.GetString(), out.GetSize()};
}

}  // namespace stampede::auth
