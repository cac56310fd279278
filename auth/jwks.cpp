// KeySet construction (secret, PEM, JWKS) and key selection by kid and algorithm. Load time
// runs on the main thread or a worker; select() is const and runs on any shard.
#include "auth/jwks.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <fstream>
#include <iterator>

#include "auth/base64url.hpp"

namespace stampede::auth {
namespace {

// Key files and JWKS documents are small; a bound keeps a wrong path (a log, a device) from
// being read whole.
constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

KeySetResult refuse(std::string why) {
    KeySetResult result;
    result.error = std::move(why);
    return result;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = fmt::format("cannot open {}", path);
        return std::nullopt;
    }
    std::string text;
    char chunk[4096];
    while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
        text.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxKeyFileBytes) {
            error = fmt::format("{} is larger than {} bytes", path, kMaxKeyFileBytes);
            return std::nullopt;
        }
    }
    if (in.bad()) {
        error = fmt::format("cannot read {}", path);
        return std::nullopt;
    }
    return text;
}

using Json = rapidjson::Value;

// A member that must be a string when present. Returns false when present with another type.
bool optional_string(const Json& object, const char* name, std::optional<std::string>& out) {
    const auto member = object.FindMember(name);
    if (member == object.MemberEnd()) {
        return true;
    }
    if (!member->value.IsString()) {
        return false;
    }
    out.emplace(member->value.GetString(), member->value.GetStringLength());
    return true;
}

// A required base64url member, decoded.
std::optional<std::string> required_bytes(const Json& object, const char* name) {
    std::optional<std::string> text;
    if (!optional_string(object, name, text) || !text) {
        return std::nullopt;
    }
    return base64url_decode(*text);
}

enum class JwkOutcome { Added, Skipped, Refused };

struct JwkReader {
    std::vector<Key>& keys;
    std::vector<std::string>& warnings;
    std::string& error;

    JwkOutcome refuse_key(const std::string& where, std::string_view why) {
        error = fmt::format("{}: {}", where, why);
        return JwkOutcome::Refused;
    }
    JwkOutcome skip(const std::string& where, std::string_view why) {
        warnings.push_back(fmt::format("{} skipped: {}", where, why));
        return JwkOutcome::Skipped;
    }

    // The key itself, by kty: the secret of an "oct" key, or an OpenSSL public key.
    JwkOutcome read_material(const Json& jwk, const std::string& kty,
                             const std::optional<std::string>& crv, const std::string& where,
                             Key& key) {
        if (kty == "oct") {
            std::optional<std::string> secret = required_bytes(jwk, "k");
            if (!secret || secret->empty()) {
                return refuse_key(where, "oct key needs a non-empty base64url k");
            }
            key.type = KeyType::Secret;
            key.secret = std::move(*secret);
            return JwkOutcome::Added;
        }
        PublicKeyResult built;
        if (kty == "RSA") {
            const std::optional<std::string> n = required_bytes(jwk, "n");
            const std::optional<std::string> e = required_bytes(jwk, "e");
            if (!n || !e) {
                return refuse_key(where, "RSA key needs base64url n and e");
            }
            built = rsa_public_key(*n, *e);
        } else if (kty == "EC") {
            const KeyType curve = !crv              ? KeyType::Secret
                                  : *crv == "P-256" ? KeyType::EcP256
                                  : *crv == "P-384" ? KeyType::EcP384
                                  : *crv == "P-521" ? KeyType::EcP521
                                                    : KeyType::Secret;
            if (curve == KeyType::Secret) {
                return skip(where, fmt::format("EC curve {} not supported", crv.value_or("?")));
            }
            const std::optional<std::string> x = required_bytes(jwk, "x");
            const std::optional<std::string> y = required_bytes(jwk, "y");
            if (!x || !y) {
                return refuse_key(where, "EC key needs base64url x and y");
            }
            built = ec_public_key(curve, *x, *y);
        } else if (kty == "OKP") {
            if (!crv || *crv != "Ed25519") {
                return skip(where, fmt::format("OKP curve {} not supported", crv.value_or("?")));
            }
            const std::optional<std::string> x = required_bytes(jwk, "x");
            if (!x) {
                return refuse_key(where, "OKP key needs base64url x");
            }
            built = ed25519_public_key(*x);
        } else {
            return skip(where, fmt::format("kty {} not supported", kty));
        }
        if (!built.key) {
            return refuse_key(where, built.error);
        }
        key.type = built.type;
        key.public_key = std::move(built.key);
        if (jwk.HasMember("d")) {
            warnings.push_back(
                fmt::format("{} carries private key material; only the public "
                            "part is used, and it should not be in this file",
                            where));
        }
        return JwkOutcome::Added;
    }

    // One JWK. `where` names it in messages ("key 2 (kid abc)").
    JwkOutcome read(const Json& jwk, std::size_t index) {
        std::string where = fmt::format("key {}", index);
        if (!jwk.IsObject()) {
            return refuse_key(where, "not a JSON object");
        }
        std::optional<std::string> kty, kid, use, alg, crv;
        if (!optional_string(jwk, "kty", kty) || !optional_string(jwk, "kid", kid) ||
            !optional_string(jwk, "use", use) || !optional_string(jwk, "alg", alg) ||
            !optional_string(jwk, "crv", crv)) {
            return refuse_key(where, "kty, kid, use, alg and crv must be strings");
        }
        if (kid) {
            where += fmt::format(" (kid {})", *kid);
        }
        if (!kty) {
            return refuse_key(where, "no kty");
        }
        if (use && *use != "sig") {
            return skip(where, fmt::format("use is {}, not sig", *use));
        }
        Key key;
        key.kid = kid.value_or("");
        if (alg) {
            key.algorithm = parse_algorithm(*alg);
            if (!key.algorithm) {
                return skip(where,
                            fmt::format("alg {} is not a signature algorithm we verify", *alg));
            }
        }
        const JwkOutcome material = read_material(jwk, *kty, crv, where, key);
        if (material != JwkOutcome::Added) {
            return material;
        }
        // A JWK whose own alg contradicts its key type is a broken document, not a skip.
        if (key.algorithm && key_type_for(*key.algorithm) != key.type) {
            return refuse_key(
                where, fmt::format("alg {} does not fit a {} key", algorithm_name(*key.algorithm),
                                   key_type_name(key.type)));
        }
        keys.push_back(std::move(key));
        return JwkOutcome::Added;
    }
};

}  // namespace

KeySetResult KeySet::from_secret(std::string_view secret) {
    if (secret.empty()) {
        return refuse("the HMAC secret is empty");
    }
    Key key;
    key.type = KeyType::Secret;
    key.secret = std::string(secret);
    KeySetResult result;
    result.keys = std::make_shared<const KeySet>(std::vector<Key>{std::move(key)});
    return result;
}

KeySetResult KeySet::from_pem(std::string_view pem) {
    PublicKeyResult built = public_key_from_pem(pem);
    if (!built.key) {
        return refuse(built.error);
    }
    Key key;
    key.type = built.type;
    key.public_key = std::move(built.key);
    KeySetResult result;
    result.keys = std::make_shared<const KeySet>(std::vector<Key>{std::move(key)});
    return result;
}

KeySetResult KeySet::from_jwks(std::string_view json) {
    if (json.size() > kMaxKeyFileBytes) {
        return refuse(fmt::format("JWKS larger than {} bytes", kMaxKeyFileBytes));
    }
    rapidjson::Document document;
    // Iterative: nesting depth costs heap, not stack, whatever the document holds.
    document.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
    if (document.HasParseError()) {
        return refuse(fmt::format("JWKS does not parse: {} at offset {}",
                                  rapidjson::GetParseError_En(document.GetParseError()),
                                  document.GetErrorOffset()));
    }
    if (!document.IsObject()) {
        return refuse("JWKS is not a JSON object");
    }
    KeySetResult result;
    std::vector<Key> keys;
    JwkReader reader{keys, result.warnings, result.error};
    const auto members = document.FindMember("keys");
    if (members == document.MemberEnd()) {
        if (!document.HasMember("kty")) {
            return refuse("JWKS has no \"keys\" array");
        }
        if (reader.read(document, 0) == JwkOutcome::Refused) {
            return refuse(result.error);
        }
    } else {
        if (!members->value.IsArray()) {
            return refuse("JWKS \"keys\" is not an array");
        }
        std::size_t index = 0;
        for (const Json& jwk : members->value.GetArray()) {
            if (reader.read(jwk, index++) == JwkOutcome::Refused) {
                return refuse(result.error);
            }
        }
    }
    if (keys.empty()) {
        return refuse("JWKS has no usable signature key");
    }
    result.keys = std::make_shared<const KeySet>(std::move(keys));
    return result;
}

KeySetResult KeySet::from_pem_file(const std::string& path) {
    std::string error;
    const std::optional<std::string> text = read_file(path, error);
    if (!text) {
        return refuse(error);
    }
    KeySetResult result = from_pem(*text);
    if (!result.ok()) {
        result.error = fmt::format("{}: {}", path, result.error);
    }
    return result;
}

KeySetResult KeySet::from_jwks_file(const std::string& path) {
    std::string error;
    const std::optional<std::string> text = read_file(path, error);
    if (!text) {
        return refuse(error);
    }
    KeySetResult result = from_jwks(*text);
    if (!result.ok()) {
        result.error = fmt::format("{}: {}", path, result.error);
    }
    return result;
}

KeySelection KeySet::select(Algorithm alg, std::optional<std::string_view> kid) const {
    KeySelection selection;
    bool named = false;  // some key carries the token's kid
    if (kid) {
        for (const Key& key : keys_) {
            if (key.kid == *kid) {
                named = true;
                if (key.compatible_with(alg)) {
                    selection.keys.push_back(&key);
                }
            }
        }
    }
    if (!named) {
        // No kid in the token, or none of ours carries it: kid-less keys stand in (a single
        // configured secret or PEM has no kid); without a token kid every key is a candidate.
        bool any = false;
        for (const Key& key : keys_) {
            if (!kid || key.kid.empty()) {
                any = true;
                if (key.compatible_with(alg)) {
                    selection.keys.push_back(&key);
                }
            }
        }
        if (!any) {
            selection.error = AuthError::UnknownKeyId;
            return selection;
        }
    }
    if (selection.keys.empty()) {
        selection.error = AuthError::AlgorithmNotAllowed;
    }
    return selection;
}

bool KeySet::supports(Algorithm alg) const {
    for (const Key& key : keys_) {
        if (key.compatible_with(alg)) {
            return true;
        }
    }
    return false;
}

KeySetResult load_key_set(const config::JwtKeysConfig& config) {
    if (!config.public_key_file.empty()) {
        return KeySet::from_pem_file(config.public_key_file);
    }
    if (!config.jwks_file.empty()) {
        return KeySet::from_jwks_file(config.jwks_file);
    }
    if (!config.jwks_url.empty()) {
        KeySetResult result;
        result.keys = std::make_shared<const KeySet>(std::vector<Key>{});
        result.warnings.push_back(
            fmt::format("keys from {} are not fetched yet; tokens are refused until they are",
                        config.jwks_url));
        return result;
    }
    return KeySet::from_secret(config.secret);
}

}  // namespace stampede::auth
