// Service accounts (auth.users): login + PBKDF2-SHA256 passcode hash (or a plain passcode in
// development) + roles, for backend services. Built on the main thread, then shared
// immutable. The passcode check is deliberately slow (PBKDF2) and pure: run it on a worker
// thread, never on a shard (DESIGN.md, "Threads and the event loop").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/error.hpp"
#include "auth/principal.hpp"
#include "config/config.hpp"

namespace stampede::auth {

/// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
inline constexpr std::uint32_t kDefaultPbkdf2Iterations = 600000;
/// Refused above this: a typo in the file must not make every login take minutes.
inline constexpr std::uint32_t kMaxPbkdf2Iterations = 10000000;

/// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` (standard base64, padding optional).
struct PasscodeHash {
    std::uint32_t iterations = 0;
    std::string salt;  // raw bytes
    std::string hash;  // raw bytes, 16 to 64 of them
};

std::optional<PasscodeHash> parse_passcode_hash(std::string_view text);

/// Recomputes PBKDF2-HMAC-SHA256 and compares in constant time. Slow on purpose.
bool verify_passcode(const PasscodeHash& hash, std::string_view passcode);

/// A new hash string with a random 16-byte salt and a 32-byte derived key, for
/// `stampede --hash-passcode`. nullopt if the random generator or PBKDF2 fails.
std::optional<std::string> hash_passcode(std::string_view passcode,
                                         std::uint32_t iterations = kDefaultPbkdf2Iterations);

class ServiceAccount {
   public:
    ServiceAccount(std::string login, std::vector<std::string> roles,
                   std::optional<PasscodeHash> hash, std::string plain)
        : login_(std::move(login)),
          roles_(std::move(roles)),
          hash_(std::move(hash)),
          plain_(std::move(plain)) {}

    /// True when `passcode` is this account's. Constant time in the passcode's content;
    /// PBKDF2 for hashed accounts (about 0.1 s at 600000 iterations): worker thread only.
    bool check(std::string_view passcode) const;

    /// check() plus the principal: name = login, roles, issuer "users". BadCredentials when
    /// the passcode is wrong.
    AuthResult<Principal> authenticate(std::string_view passcode) const;

    const std::string& login() const { return login_; }
    const std::vector<std::string>& roles() const { return roles_; }
    bool has_plain_passcode() const { return !hash_.has_value(); }
    /// The parsed hash, or null for a plain passcode.
    const PasscodeHash* passcode_hash() const { return hash_ ? &*hash_ : nullptr; }

   private:
    std::string login_;
    std::vector<std::string> roles_;
    std::optional<PasscodeHash> hash_;
    std::string plain_;
};

class ServiceAccounts;

struct ServiceAccountsResult {
    std::shared_ptr<const ServiceAccounts> accounts;  // null when errors is non-empty
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};

class ServiceAccounts {
   public:
    explicit ServiceAccounts(std::vector<ServiceAccount> accounts);

    /// Parses every passcode_hash; a malformed one is an error naming the login.
    static ServiceAccountsResult create(const std::vector<config::UserConfig>& users);

    /// The account with this login, or null. Cheap: fine on a shard, before handing the
    /// check() to a worker.
    const ServiceAccount* lookup(std::string_view login) const;

    /// lookup() + ServiceAccount::authenticate(). An unknown login costs what the dearest
    /// hashed account does (a PBKDF2 of its iterations and output length against a dummy
    /// hash), so timing does not tell which hashed logins exist. Plain-passcode accounts
    /// (development only, warned about) answer at once and can be told apart. Worker thread
    /// only.
    AuthResult<Principal> authenticate(std::string_view login, std::string_view passcode) const;

    /// PBKDF2 iterations spent on an unknown login (0 when no account has a hash).
    std::uint32_t unknown_login_iterations() const { return dummy_ ? dummy_->iterations : 0; }

    std::size_t size() const { return accounts_.size(); }

   private:
    std::vector<ServiceAccount> accounts_;
    std::optional<PasscodeHash> dummy_;
};

}  // namespace stampede::auth
