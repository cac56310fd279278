// KeySet: the verification keys of one issuer ("guard"), from a raw HMAC secret, one PEM
// public key, or a JWKS document (RFC 7517) with several keys for rotation. Built at start,
// on SIGHUP or after a JWKS fetch (never on a shard thread: files and parsing), then shared
// immutable (shared_ptr<const KeySet>) and read from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/algorithm.hpp"
#include "auth/error.hpp"
#include "auth/pkey.hpp"
#include "config/config.hpp"

namespace stampede::auth {

struct Key {
    std::string kid;  // "" = none: the key then serves any token kid
    KeyType type = KeyType::Secret;
    std::optional<Algorithm> algorithm;  // JWK "alg": this key verifies only that one
    std::string secret;                  // Secret keys: the raw HMAC key bytes
    PublicKeyPtr public_key;             // every other type

    /// The compatibility table (algorithm.hpp) plus the key's own "alg" restriction.
    bool compatible_with(Algorithm alg) const {
        return type == key_type_for(alg) && (!algorithm || *algorithm == alg);
    }
};

class KeySet;

struct KeySetResult {
    std::shared_ptr<const KeySet> keys;  // null when error is set
    std::string error;                   // why the whole set was refused (caller keeps old keys)
    std::vector<std::string> warnings;   // keys skipped (e.g. "use":"enc", unknown kty)
    bool ok() const { return keys != nullptr; }
};

/// The keys that may verify one token, or why there are none.
struct KeySelection {
    std::vector<const Key*> keys;
    AuthError error = AuthError::None;  // UnknownKeyId or AlgorithmNotAllowed when empty
};

class KeySet {
   public:
    explicit KeySet(std::vector<Key> keys) : keys_(std::move(keys)) {}

    /// The raw bytes of an HMAC secret (HS256/384/512 only). Empty is refused.
    static KeySetResult from_secret(std::string_view secret);
    /// One PEM public key (RSA, EC P-256/384/521, Ed25519), or a certificate's key.
    static KeySetResult from_pem(std::string_view pem);
    /// A JWK Set {"keys":[...]} (or one bare JWK). Keys for other uses or of types we do
    /// not verify with are skipped with a warning; a malformed supported key refuses the
    /// whole set, as does a document that does not parse or has no usable key.
    static KeySetResult from_jwks(std::string_view json);

    static KeySetResult from_pem_file(const std::string& path);
    static KeySetResult from_jwks_file(const std::string& path);

    /// Keys for a token signed with `alg`. With a kid: the keys carrying exactly that kid
    /// (none -> UnknownKeyId, unless kid-less keys exist, which then stand in); without one:
    /// every key. Either way only keys compatible with `alg` are returned; if that leaves
    /// none -> AlgorithmNotAllowed (algorithm confusion lands here).
    KeySelection select(Algorithm alg, std::optional<std::string_view> kid) const;

    /// True when some key could verify `alg`.
    bool supports(Algorithm alg) const;

    const std::vector<Key>& keys() const { return keys_; }

   private:
    std::vector<Key> keys_;
};

/// Loads an issuer's configured keys: secret, public_key_file or jwks_file. A jwks_url issuer
/// gets an empty set and a warning: the broker fetches the document off the shard threads and
/// builds it with KeySet::from_jwks.
KeySetResult load_key_set(const config::JwtKeysConfig& config);

}  // namespace stampede::auth
