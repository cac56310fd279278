// Config loader, `auth` section: service accounts, JWT issuers and their keys, ACL rules.
// Checks what can be known without I/O (algorithms, key kinds, formats); the auth module
// loads PEM and JWKS files itself. Main thread only.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace stampede::config::yaml {
namespace {

constexpr std::array<std::string_view, 13> kAlgorithms = {
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
    "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};

// RFC 7518 3.2: an HMAC key should be at least as long as the hash; HS256 is the floor.
constexpr std::size_t kMinSecretBytes = 32;

// Each tracked IP costs about 100 bytes; past ten million it is a typo, not a need.
constexpr std::uint32_t kMaxTrackedIps = 10000000;

// A warning a day ahead covers every token lifetime seen in practice (Cognito: 1 h, Keycloak:
// 5 min to 10 h); a larger value is a unit mix-up (milliseconds?), not a need.
constexpr std::uint32_t kMaxTokenWarningS = 86400;

bool is_ip_or_cidr(const std::string& text) {
    std::size_t slash = text.find('/');
    std::string ip = text.substr(0, slash);
    unsigned char buf[sizeof(in6_addr)];
    int max_bits = 0;
    if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
        max_bits = 32;
    } else if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
        max_bits = 128;
    } else {
        return false;
    }
    if (slash == std::string::npos) {
        return true;
    }
    std::string bits = text.substr(slash + 1);
    return !bits.empty() && bits.size() <= 3 &&
           std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(bits) <= max_bits;
}

// "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"; the users module checks the base64.
bool looks_like_passcode_hash(const std::string& text) {
    constexpr std::string_view kScheme = "pbkdf2-sha256$";
    if (!text.starts_with(kScheme) || std::count(text.begin(), text.end(), '$') != 3) {
        return false;
    }
    std::string_view rest = std::string_view(text).substr(kScheme.size());
    std::string_view iterations = rest.substr(0, rest.find('$'));
    std::string_view salt_and_hash = rest.substr(iterations.size() + 1);
    return !iterations.empty() && iterations[0] != '0' &&
           std::all_of(iterations.begin(), iterations.end(),
                       [](char c) { return c >= '0' && c <= '9'; }) &&
           !salt_and_hash.starts_with('$') && !salt_and_hash.ends_with('$');
}

UserConfig read_user(Section& s) {
    UserConfig u;
    read_required_string(s, "login", u.login);
    if (u.login == "bearer") {
        s.diag().error(s.where("login").value_or(s.mark()),
                       "login 'bearer' is reserved: it marks a JWT sent as the passcode");
    }
    std::string who = u.login.empty() ? s.name() : fmt::format("user '{}'", u.login);
    Where hash = read_string(s, "passcode_hash", u.passcode_hash);
    Where plain = read_string(s, "passcode", u.passcode);
    if (hash && plain) {
        s.diag().error(*plain, fmt::format("{} has both passcode_hash and passcode; use one", who));
    } else if (!hash && !plain) {
        s.diag().error(s.mark(), fmt::format("{} needs passcode_hash (or passcode)", who));
    } else if (hash && !looks_like_passcode_hash(u.passcode_hash)) {
        s.diag().error(*hash, fmt::format("{} must look like "
                                          "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>",
                                          s.qualify("passcode_hash")));
    } else if (plain) {
        s.diag().warn(*plain,
                      fmt::format("user '{}' has a plain passcode (development only)", u.login));
    }
    read_strings(s, "roles", u.roles);
    s.check_unknown();
    return u;
}

void read_algorithms(Section& s, std::vector<std::string>& out) {
    Where where = read_strings(s, "algorithms", out);
    if (!where) {
        s.missing("algorithms");
        return;
    }
    if (out.empty()) {
        s.diag().error(*where, fmt::format("{} must not be empty", s.qualify("algorithms")));
    }
    for (const std::string& alg : out) {
        std::string lower = alg;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower == "none") {
            s.diag().error(*where, fmt::format("{}: 'none' is never allowed (unsigned tokens "
                                               "would be accepted)",
                                               s.qualify("algorithms")));
        } else if (std::find(kAlgorithms.begin(), kAlgorithms.end(), alg) == kAlgorithms.end()) {
            report_bad_choice(s.diag(), *where, s.qualify("algorithms") + " entry",
                              {kAlgorithms.begin(), kAlgorithms.end()}, alg);
        }
    }
}

// A key is tied to its algorithm family: never let a token's alg pick the key type.
void check_key_kind(Section& keys, const std::string& kind, const JwtIssuerConfig& j) {
    bool secret = kind == "secret";
    bool public_key = kind == "public_key_file";
    for (const std::string& alg : j.algorithms) {
        bool hmac = alg.starts_with("HS");
        if (secret && !hmac) {
            keys.diag().error(keys.mark(), fmt::format("{}: a secret only works with HS256, "
                                                       "HS384 or HS512, not {}",
                                                       keys.qualify("secret"), alg));
        } else if (public_key && hmac) {
            keys.diag().error(keys.mark(), fmt::format("{}: {} needs a secret, not a public key",
                                                       keys.qualify("public_key_file"), alg));
        }
    }
}

// secret, secret_file and secret_env all resolve into keys.secret. Returns where the
// secret was given when its value could be had; counts each way it was given in `given`.
Where read_secret(Section& s, JwtKeysConfig& k, std::vector<std::string>& given) {
    Where secret;
    if (std::optional<Text> text = read_text(s, "secret", "a string"); text) {
        given.emplace_back("secret");
        if (text->value) {
            k.secret = *text->value;
            secret = text->mark;
        }
    }
    std::string env_name;
    if (Where w = read_string(s, "secret_env", env_name, false); w) {
        given.emplace_back("secret");
        secret.reset();
        if (env_name.empty()) {
            s.diag().error(*w, fmt::format("{} must not be empty", s.qualify("secret_env")));
        } else if (const char* value = std::getenv(env_name.c_str()); value == nullptr) {
            s.diag().error(*w, fmt::format("environment variable {} is not set", env_name));
        } else {
            k.secret = value;
            secret = w;
        }
    }
    return secret;
}

void read_keys(Section s, JwtIssuerConfig& j, Section& issuer) {
    if (!s.present()) {
        issuer.missing("keys");
        return;
    }
    JwtKeysConfig& k = j.keys;
    std::vector<std::string> given;
    Where secret = read_secret(s, k, given);
    for (auto [key, out] :
         {std::pair{"public_key_file", &k.public_key_file}, std::pair{"jwks_file", &k.jwks_file},
          std::pair{"jwks_url", &k.jwks_url}}) {
        if (read_nonempty_string(s, key, *out)) {
            given.emplace_back(key);
        }
    }
    read_uint(s, "jwks_refresh_s", k.jwks_refresh_s, 1);
    if (given.size() != 1) {
        s.diag().error(s.mark(), fmt::format("{} needs exactly one of secret, secret_env, "
                                             "secret_file, public_key_file, jwks_file, jwks_url",
                                             issuer.qualify("keys")));
    } else {
        check_key_kind(s, given[0], j);
    }
    if (!k.jwks_url.empty() && !k.jwks_url.starts_with("https://") &&
        !k.jwks_url.starts_with("http://")) {
        s.diag().error(*s.where("jwks_url"), fmt::format("{} must start with https:// or http://",
                                                         s.qualify("jwks_url")));
    }
    if (secret && given.size() == 1) {
        if (k.secret.empty()) {
            s.diag().error(*secret, fmt::format("{} must not be empty", s.qualify("secret")));
        } else if (k.secret.size() < kMinSecretBytes) {
            s.diag().warn(*secret, fmt::format("{} is shorter than {} bytes (weak for HS256)",
                                               s.qualify("secret"), kMinSecretBytes));
        }
    }
    s.check_unknown();
}

// The prefix becomes part of every principal of the issuer: a control character could forge
// headers where the principal is stamped (x-sender), and a '/', '.', '*' or '#' would make
// every one of them unable to own a {principal} ACL destination (auth/acl.hpp).
void read_principal_prefix(Section& s, std::string& out) {
    const Where where = read_string(s, "principal_prefix", out);
    if (!where) {
        return;
    }
    const bool control = std::any_of(out.begin(), out.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
    if (control) {
        s.diag().error(*where, fmt::format("{} must not hold control characters",
                                           s.qualify("principal_prefix")));
    } else if (out.find_first_of("/.*#") != std::string::npos) {
        s.diag().error(*where,
                       fmt::format("{} '{}' must not hold '/', '.', '*' or '#': a principal "
                                   "holding one never matches a {{principal}} ACL rule "
                                   "(e.g. \"member:\" is fine)",
                                   s.qualify("principal_prefix"), out));
    }
}

JwtIssuerConfig read_issuer(Section& s) {
    JwtIssuerConfig j;
    read_required_string(s, "name", j.name);
    read_string(s, "issuer", j.issuer);
    read_string_or_list(s, "audience", j.audience);
    read_algorithms(s, j.algorithms);
    read_keys(s.section("keys"), j, s);
    read_nonempty_string(s, "principal_claim", j.principal_claim);
    read_principal_prefix(s, j.principal_prefix);
    read_string(s, "roles_claim", j.roles_claim);
    read_uint(s, "leeway_s", j.leeway_s);
    read_enum(s, "on_expiry", j.disconnect_on_expiry, {{"disconnect", true}, {"ignore", false}});
    s.check_unknown();
    return j;
}

AclRuleConfig read_acl_rule(Section& s) {
    AclRuleConfig r;
    read_required_string(s, "destination", r.destination);
    if (!r.destination.empty() && !r.destination.starts_with('/')) {
        s.diag().error(s.where("destination").value_or(s.mark()),
                       fmt::format("{} must start with '/', got '{}'", s.qualify("destination"),
                                   r.destination));
    }
    read_strings(s, "subscribe", r.subscribe);
    read_strings(s, "send", r.send);
    s.check_unknown();
    return r;
}

/// Reports a name already seen in this list.
void check_unique(Section& s, const std::string& key, const std::string& value,
                  std::set<std::string>& seen, std::string_view what) {
    if (!value.empty() && !seen.insert(value).second) {
        s.diag().error(s.where(key).value_or(s.mark()),
                       fmt::format("duplicate {} '{}'", what, value));
    }
}

}  // namespace

void read_auth(Section s, AuthConfig& a) {
    read_bool(s, "anonymous", a.anonymous);
    read_string(s, "token_header", a.token_header);
    read_uint(s, "token_warning_s", a.token_warning_s, 0, kMaxTokenWarningS);
    read_uint(s, "max_failures_per_minute", a.max_failures_per_minute);
    read_uint(s, "max_tracked_ips", a.max_tracked_ips, 1, kMaxTrackedIps);
    // revoked_jti_file is a file of its own (one jti a line, re-read on reload) that adds
    // to revoked_jti, not the generic K_file replacing it.
    read_strings(s, "revoked_jti", a.revoked_jti, false);
    read_string(s, "revoked_jti_file", a.revoked_jti_file);
    if (read_strings(s, "trusted_proxies", a.trusted_proxies)) {
        for (const std::string& proxy : a.trusted_proxies) {
            if (!is_ip_or_cidr(proxy)) {
                s.diag().error(*s.where("trusted_proxies"),
                               fmt::format("auth.trusted_proxies entry '{}' is not an IP address "
                                           "or CIDR range",
                                           proxy));
            }
        }
    }
    std::set<std::string> logins;
    for (Section& user : s.list("users")) {
        a.users.push_back(read_user(user));
        check_unique(user, "login", a.users.back().login, logins, "user login");
    }
    std::set<std::string> issuers;
    for (Section& issuer : s.list("jwt")) {
        a.jwt.push_back(read_issuer(issuer));
        check_unique(issuer, "name", a.jwt.back().name, issuers, "jwt issuer name");
    }
    for (Section& rule : s.list("acl")) {
        a.acl.push_back(read_acl_rule(rule));
    }
    s.check_unknown();
}

}  // namespace stampede::config::yaml
