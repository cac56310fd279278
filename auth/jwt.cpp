// JWT verification for one issuer: allow-list, key selection, EVP signature check, then the
// registered claims and the principal/roles mapping. Any thread; nothing mutable is shared.
#include "auth/jwt.hpp"

#include <fmt/format.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "auth/signature.hpp"
#include "auth/token.hpp"

namespace stampede::auth {

// How to find a claim: a top-level member name (which may contain ':' or be a URL, as
// Cognito and Auth0 write them) or, when the configured text starts with '/', an RFC 6901
// JSON Pointer into nested objects (Keycloak's /realm_access/roles).
struct ClaimPath {
    std::string name;
    std::optional<rapidjson::Pointer> pointer;

    const rapidjson::Value* find(const rapidjson::Value& payload) const {
        if (pointer) {
            return pointer->Get(payload);
        }
        const auto member = payload.FindMember(rapidjson::StringRef(name.data(), name.size()));
        return member == payload.MemberEnd() ? nullptr : &member->value;
    }
};

struct JwtVerifier::Settings {
    std::string name;
    std::string issuer;
    std::vector<std::string> audience;
    std::vector<Algorithm> algorithms;
    ClaimPath principal;
    std::string principal_prefix;    // prepended to the claim's value
    std::optional<ClaimPath> roles;  // none = roles_claim is empty: no roles from tokens
    std::int64_t leeway_s = 0;
    bool disconnect_on_expiry = true;
};

namespace {

using Result = AuthResult<Principal>;

bool compile_path(const std::string& text, ClaimPath& out) {
    out.name = text;
    if (text.starts_with('/')) {
        out.pointer.emplace(text.data(), text.size());
        return out.pointer->IsValid();
    }
    return true;
}

enum class Numeric { Absent, Valid, Invalid };

// NumericDate (RFC 7519 2): integer or fractional seconds. Fractions are floored and huge
// values saturate, so later comparisons cannot overflow.
Numeric numeric_date(const rapidjson::Value& payload, const char* name, std::int64_t& out) {
    const auto member = payload.FindMember(name);
    if (member == payload.MemberEnd()) {
        return Numeric::Absent;
    }
    const rapidjson::Value& value = member->value;
    if (value.IsInt64()) {
        out = value.GetInt64();
    } else if (value.IsUint64()) {
        out = std::numeric_limits<std::int64_t>::max();
    } else if (value.IsDouble()) {
        const double seconds = std::floor(value.GetDouble());
        if (!std::isfinite(seconds)) {
            return Numeric::Invalid;
        }
        constexpr double kLimit = 9.0e18;  // inside int64 range
        out = static_cast<std::int64_t>(std::clamp(seconds, -kLimit, kLimit));
    } else {
        return Numeric::Invalid;
    }
    return Numeric::Valid;
}

std::string_view view(const rapidjson::Value& string) {
    return {string.GetString(), string.GetStringLength()};
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// aud is one string or an array of strings (RFC 7519 4.1.3); one match with our list is
// enough.
Result check_audience(const rapidjson::Value& payload, const std::vector<std::string>& wanted) {
    const auto member = payload.FindMember("aud");
    if (member == payload.MemberEnd()) {
        return Result::failure(AuthError::AudienceMismatch, "no aud claim");
    }
    const rapidjson::Value& aud = member->value;
    if (aud.IsString()) {
        if (contains(wanted, view(aud))) {
            return Result::success({});
        }
    } else if (aud.IsArray()) {
        bool matched = false;
        for (const rapidjson::Value& item : aud.GetArray()) {
            if (!item.IsString()) {
                return Result::failure(AuthError::InvalidToken, "aud holds a non-string");
            }
            matched = matched || contains(wanted, view(item));
        }
        if (matched) {
            return Result::success({});
        }
    } else {
        return Result::failure(AuthError::InvalidToken, "aud is neither string nor array");
    }
    return Result::failure(AuthError::AudienceMismatch, "aud names none of our audiences");
}

// Roles: an array of strings, or one string of space-separated names (OAuth "scope").
bool read_roles(const rapidjson::Value* value, std::vector<std::string>& roles) {
    if (value == nullptr || value->IsNull()) {
        return true;
    }
    if (value->IsString()) {
        std::string_view rest = view(*value);
        while (!rest.empty()) {
            const std::size_t space = rest.find(' ');
            const std::string_view role = rest.substr(0, space);
            if (!role.empty()) {
                roles.emplace_back(role);
            }
            rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        }
        return true;
    }
    if (!value->IsArray()) {
        return false;
    }
    for (const rapidjson::Value& item : value->GetArray()) {
        if (!item.IsString()) {
            return false;
        }
        roles.emplace_back(view(item));
    }
    return true;
}

// exp, nbf and iat against `now` with leeway; `exp` is set when the token has one. Leeway
// arithmetic stays on the `now` side: exp and nbf may be near the int64 limits, now and
// leeway (uint32) never are.
Result check_times(const rapidjson::Value& payload, std::int64_t now, std::int64_t leeway,
                   std::optional<std::int64_t>& exp_out) {
    std::int64_t exp = 0;
    std::int64_t nbf = 0;
    std::int64_t iat = 0;
    const Numeric has_exp = numeric_date(payload, "exp", exp);
    const Numeric has_nbf = numeric_date(payload, "nbf", nbf);
    const Numeric has_iat = numeric_date(payload, "iat", iat);
    if (has_exp == Numeric::Invalid || has_nbf == Numeric::Invalid || has_iat == Numeric::Invalid) {
        return Result::failure(AuthError::InvalidToken, "exp, nbf and iat must be numbers");
    }
    if (has_exp == Numeric::Valid && now - leeway >= exp) {
        return Result::failure(AuthError::TokenExpired, fmt::format("exp {} now {}", exp, now));
    }
    if (has_nbf == Numeric::Valid && now + leeway < nbf) {
        return Result::failure(AuthError::TokenNotYetValid, fmt::format("nbf {} now {}", nbf, now));
    }
    // A token issued in the future is as unusable as one not yet valid.
    if (has_iat == Numeric::Valid && now + leeway < iat) {
        return Result::failure(AuthError::TokenNotYetValid, fmt::format("iat {} now {}", iat, now));
    }
    if (has_exp == Numeric::Valid) {
        exp_out = exp;
    }
    return Result::success({});
}

// The principal ends up in the x-sender header of every MESSAGE the session sends, and STOMP
// 1.0 has no header escaping: a control character (CR, LF, NUL...) could forge headers there.
bool acceptable_name(std::string_view name) {
    return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

}  // namespace

JwtVerifierResult JwtVerifier::create(const config::JwtIssuerConfig& config,
                                      std::shared_ptr<const KeySet> keys) {
    JwtVerifierResult result;
    auto settings = std::make_shared<Settings>();
    settings->name = config.name;
    settings->issuer = config.issuer;
    settings->audience = config.audience;
    settings->leeway_s = config.leeway_s;
    settings->disconnect_on_expiry = config.disconnect_on_expiry;
    settings->principal_prefix = config.principal_prefix;
    for (const std::string& name : config.algorithms) {
        const std::optional<Algorithm> algorithm = parse_algorithm(name);
        if (!algorithm) {
            result.error =
                fmt::format("jwt issuer {}: algorithm '{}' is not allowed", config.name, name);
            return result;
        }
        settings->algorithms.push_back(*algorithm);
    }
    if (settings->algorithms.empty()) {
        result.error = fmt::format("jwt issuer {}: no algorithms allowed", config.name);
        return result;
    }
    if (config.principal_claim.empty() ||
        !compile_path(config.principal_claim, settings->principal)) {
        result.error = fmt::format(
            "jwt issuer {}: principal_claim '{}' is not a claim name or "
            "JSON Pointer",
            config.name, config.principal_claim);
        return result;
    }
    // The config check refuses these too; a verifier built another way must not stamp them.
    if (!config.principal_prefix.empty() && !acceptable_name(config.principal_prefix)) {
        result.error =
            fmt::format("jwt issuer {}: principal_prefix holds control characters", config.name);
        return result;
    }
    if (!config.roles_claim.empty()) {
        settings->roles.emplace();
        if (!compile_path(config.roles_claim, *settings->roles)) {
            result.error = fmt::format(
                "jwt issuer {}: roles_claim '{}' is not a valid JSON "
                "Pointer",
                config.name, config.roles_claim);
            return result;
        }
    }
    if (!keys) {
        keys = std::make_shared<const KeySet>(std::vector<Key>{});
    }
    for (const Algorithm algorithm : settings->algorithms) {
        if (!keys->keys().empty() && !keys->supports(algorithm)) {
            result.warnings.push_back(fmt::format("jwt issuer {}: no key can verify {}",
                                                  config.name, algorithm_name(algorithm)));
        }
    }
    result.verifier = JwtVerifier(std::move(settings), std::move(keys));
    return result;
}

AuthResult<Principal> JwtVerifier::verify(std::string_view token, std::int64_t now,
                                          std::size_t max_token_bytes) const {
    AuthResult<ParsedToken> parsed = parse_token(token, max_token_bytes);
    if (!parsed.ok()) {
        return Result::failure(parsed.error, std::move(parsed.detail));
    }
    return verify_parsed(*parsed.value, now).result;
}

VerifyOutcome JwtVerifier::verify_parsed(const ParsedToken& token, std::int64_t now) const {
    VerifyOutcome outcome;
    const Settings& settings = *settings_;
    if (std::find(settings.algorithms.begin(), settings.algorithms.end(), token.alg) ==
        settings.algorithms.end()) {
        outcome.result = Result::failure(AuthError::AlgorithmNotAllowed,
                                         fmt::format("{} not in the allow-list of {}",
                                                     algorithm_name(token.alg), settings.name));
        return outcome;
    }
    std::optional<std::string_view> kid;
    if (token.kid) {
        kid = *token.kid;
    }
    const KeySelection selection = keys_->select(token.alg, kid);
    if (selection.keys.empty()) {
        outcome.result =
            Result::failure(selection.error, fmt::format("{}: no {} key{}{}", settings.name,
                                                         algorithm_name(token.alg),
                                                         kid ? " for kid " : "", kid.value_or("")));
        return outcome;
    }
    for (const Key* key : selection.keys) {
        if (verify_signature(token.alg, *key, token.signing_input, token.signature)) {
            outcome.signature_valid = true;
            break;
        }
    }
    if (!outcome.signature_valid) {
        outcome.result = Result::failure(
            AuthError::BadSignature, fmt::format("{}: signature does not verify", settings.name));
        return outcome;
    }
    outcome.result = check_claims(token, now);
    return outcome;
}

AuthResult<Principal> JwtVerifier::check_claims(const ParsedToken& token, std::int64_t now) const {
    const Settings& settings = *settings_;
    const rapidjson::Value& payload = token.payload;
    std::optional<std::int64_t> exp;
    Result times = check_times(payload, now, settings.leeway_s, exp);
    if (!times.ok()) {
        return times;
    }
    if (!settings.issuer.empty() && token.issuer != settings.issuer) {
        return Result::failure(
            AuthError::IssuerMismatch,
            fmt::format("iss '{}' is not '{}'", token.issuer.value_or(""), settings.issuer));
    }
    if (!settings.audience.empty()) {
        Result audience = check_audience(payload, settings.audience);
        if (!audience.ok()) {
            return audience;
        }
    }
    Principal principal;
    const rapidjson::Value* name = settings.principal.find(payload);
    if (name == nullptr || !name->IsString() || !acceptable_name(view(*name))) {
        return Result::failure(AuthError::InvalidToken,
                               fmt::format("{} is missing, empty, not a string or holds control "
                                           "characters",
                                           settings.principal.name));
    }
    // Two issuers whose ids overlap (a Laravel app's user 7 and member 7) stay two principals.
    principal.name = settings.principal_prefix + std::string(view(*name));
    if (settings.roles && !read_roles(settings.roles->find(payload), principal.roles)) {
        return Result::failure(
            AuthError::InvalidToken,
            fmt::format("{} is not a string or an array of strings", settings.roles->name));
    }
    principal.issuer = settings.name;
    principal.expires_at = exp;
    // A jti the revocation list could never name would make the token unrevocable.
    const auto jti = payload.FindMember("jti");
    if (jti != payload.MemberEnd()) {
        if (!jti->value.IsString()) {
            return Result::failure(AuthError::InvalidToken, "jti is not a string");
        }
        principal.jti = std::string(view(jti->value));
    }
    rapidjson::StringBuffer claims;
    rapidjson::Writer<rapidjson::StringBuffer> writer(claims);
    payload.Accept(writer);
    principal.claims.assign(claims.GetString(), claims.GetSize());
    return Result::success(std::move(principal));
}

JwtVerifier JwtVerifier::with_keys(std::shared_ptr<const KeySet> keys) const {
    if (!keys) {
        keys = std::make_shared<const KeySet>(std::vector<Key>{});
    }
    return JwtVerifier(settings_, std::move(keys));
}

const std::string& JwtVerifier::name() const { return settings_->name; }
const std::string& JwtVerifier::issuer() const { return settings_->issuer; }
bool JwtVerifier::disconnect_on_expiry() const { return settings_->disconnect_on_expiry; }

}  // namespace stampede::auth
