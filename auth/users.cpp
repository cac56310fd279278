// PBKDF2 passcode hashes and service-account lookup. create() runs on the main thread;
// check() on a worker; lookup() anywhere. No state is shared or mutated after create().
#include "auth/users.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>

#include "auth/base64url.hpp"

namespace stampede::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256$";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Below this a hash is cheap to brute-force offline; accepted, but the operator is told.
constexpr std::uint32_t kWeakIterations = 100000;

bool pbkdf2(std::string_view passcode, std::string_view salt, std::uint32_t iterations,
            unsigned char* out, std::size_t length) {
    const bool ok = PKCS5_PBKDF2_HMAC(passcode.data(), static_cast<int>(passcode.size()),
                                      reinterpret_cast<const unsigned char*>(salt.data()),
                                      static_cast<int>(salt.size()), static_cast<int>(iterations),
                                      EVP_sha256(), static_cast<int>(length), out) == 1;
    ERR_clear_error();
    return ok;
}

// Equal-length digests of both sides, compared in constant time: neither the content nor
// the length of the configured passcode leaks through timing.
bool equal_plain(std::string_view expected, std::string_view given) {
    unsigned char a[EVP_MAX_MD_SIZE];
    unsigned char b[EVP_MAX_MD_SIZE];
    unsigned int a_length = 0;
    unsigned int b_length = 0;
    const bool ok =
        EVP_Digest(expected.data(), expected.size(), a, &a_length, EVP_sha256(), nullptr) == 1 &&
        EVP_Digest(given.data(), given.size(), b, &b_length, EVP_sha256(), nullptr) == 1;
    ERR_clear_error();
    return ok && a_length == b_length && CRYPTO_memcmp(a, b, a_length) == 0;
}

}  // namespace

std::optional<PasscodeHash> parse_passcode_hash(std::string_view text) {
    if (!text.starts_with(kScheme)) {
        return std::nullopt;
    }
    text.remove_prefix(kScheme.size());
    const std::size_t first = text.find('$');
    const std::size_t second = first == std::string_view::npos ? first : text.find('$', first + 1);
    if (second == std::string_view::npos || text.find('$', second + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    PasscodeHash hash;
    const std::string_view iterations = text.substr(0, first);
    const auto [end, error] =
        std::from_chars(iterations.data(), iterations.data() + iterations.size(), hash.iterations);
    if (error != std::errc() || end != iterations.data() + iterations.size() ||
        iterations.starts_with('0') || hash.iterations == 0 ||
        hash.iterations > kMaxPbkdf2Iterations) {
        return std::nullopt;
    }
    std::optional<std::string> salt = base64_decode(text.substr(first + 1, second - first - 1));
    std::optional<std::string> derived = base64_decode(text.substr(second + 1));
    if (!salt || salt->empty() || !derived || derived->size() < 16 || derived->size() > 64) {
        return std::nullopt;
    }
    hash.salt = std::move(*salt);
    hash.hash = std::move(*derived);
    return hash;
}

bool verify_passcode(const PasscodeHash& hash, std::string_view passcode) {
    unsigned char derived[64];
    if (hash.hash.size() > sizeof(derived) ||
        !pbkdf2(passcode, hash.salt, hash.iterations, derived, hash.hash.size())) {
        return false;
    }
    return CRYPTO_memcmp(derived, hash.hash.data(), hash.hash.size()) == 0;
}

std::optional<std::string> hash_passcode(std::string_view passcode, std::uint32_t iterations) {
    if (iterations == 0 || iterations > kMaxPbkdf2Iterations) {
        return std::nullopt;
    }
    unsigned char salt[kSaltBytes];
    unsigned char derived[kHashBytes];
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    const std::string_view salt_view(reinterpret_cast<const char*>(salt), sizeof(salt));
    if (!pbkdf2(passcode, salt_view, iterations, derived, sizeof(derived))) {
        return std::nullopt;
    }
    return fmt::format(
        "{}{}${}${}", kScheme, iterations, base64_encode(salt_view),
        base64_encode(std::string_view(reinterpret_cast<const char*>(derived), sizeof(derived))));
}

bool ServiceAccount::check(std::string_view passcode) const {
    if (hash_) {
        return verify_passcode(*hash_, passcode);
    }
    return equal_plain(plain_, passcode);
}

AuthResult<Principal> ServiceAccount::authenticate(std::string_view passcode) const {
    if (!check(passcode)) {
        return AuthResult<Principal>::failure(AuthError::BadCredentials,
                                              fmt::format("wrong passcode for {}", login_));
    }
    Principal principal;
    principal.name = login_;
    principal.roles = roles_;
    principal.issuer = std::string(kUsersIssuer);
    return AuthResult<Principal>::success(std::move(principal));
}

ServiceAccountsResult ServiceAccounts::create(const std::vector<config::UserConfig>& users) {
    ServiceAccountsResult result;
    std::vector<ServiceAccount> accounts;
    for (const config::UserConfig& user : users) {
        std::optional<PasscodeHash> hash;
        if (!user.passcode_hash.empty()) {
            hash = parse_passcode_hash(user.passcode_hash);
            if (!hash) {
                result.errors.push_back(fmt::format(
                    "user {}: passcode_hash is not pbkdf2-sha256$<iterations 1..{}>$<salt "
                    "base64>$<hash base64, 16 to 64 bytes>",
                    user.login, kMaxPbkdf2Iterations));
                continue;
            }
            if (hash->iterations < kWeakIterations) {
                result.warnings.push_back(fmt::format(
                    "user {}: passcode_hash uses only {} PBKDF2 iterations (recommended {})",
                    user.login, hash->iterations, kDefaultPbkdf2Iterations));
            }
        } else if (user.passcode.empty()) {
            result.errors.push_back(fmt::format("user {}: no passcode_hash", user.login));
            continue;
        }
        std::string plain = hash ? std::string() : user.passcode;
        accounts.emplace_back(user.login, user.roles, std::move(hash), std::move(plain));
    }
    if (result.errors.empty()) {
        result.accounts = std::make_shared<const ServiceAccounts>(std::move(accounts));
    }
    return result;
}

ServiceAccounts::ServiceAccounts(std::vector<ServiceAccount> accounts)
    : accounts_(std::move(accounts)) {
    // The dummy costs what the dearest account costs: PBKDF2-HMAC-SHA256 work is iterations x
    // 32-byte blocks of output. No passcode derives to all zero bytes.
    std::uint64_t dearest = 0;
    for (const ServiceAccount& account : accounts_) {
        if (const auto* hash = account.passcode_hash()) {
            const std::uint64_t cost =
                std::uint64_t{hash->iterations} * ((hash->hash.size() + 31) / 32);
            if (cost > dearest) {
                dearest = cost;
                dummy_ = PasscodeHash{hash->iterations, std::string(16, '\x5a'),
                                      std::string(hash->hash.size(), '\0')};
            }
        }
    }
}

AuthResult<Principal> ServiceAccounts::authenticate(std::string_view login,
                                                    std::string_view passcode) const {
    if (const ServiceAccount* account = lookup(login)) {
        return account->authenticate(passcode);
    }
    if (dummy_) {
        (void)verify_passcode(*dummy_, passcode);
    }
    return AuthResult<Principal>::failure(AuthError::BadCredentials, "no such account");
}

const ServiceAccount* ServiceAccounts::lookup(std::string_view login) const {
    for (const ServiceAccount& account : accounts_) {
        if (account.login() == login) {
            return &account;
        }
    }
    return nullptr;
}

}  // namespace stampede::auth
