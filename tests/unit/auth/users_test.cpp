// Service accounts: PBKDF2-HMAC-SHA256 known-answer vectors (the RFC 6070 inputs with SHA-256,
// and RFC 7914 section 11), the hash string format, hash/verify round trips, plain passcodes.
#include "auth/users.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "auth/base64url.hpp"

namespace stampede::auth {
namespace {

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

struct Pbkdf2Vector {
    std::string passcode;
    std::string salt;
    std::uint32_t iterations;
    std::string derived_hex;
};

const std::vector<Pbkdf2Vector> kVectors = {
    {"password", "salt", 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"},
    {"password", "salt", 2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"},
    {"password", "salt", 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"},
    {"passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096,
     "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"},
    {std::string("pass\0word", 9), std::string("sa\0lt", 5), 4096,
     "89b69d0516f829893c696226650a8687"},
    {"passwd", "salt", 1,
     "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
     "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
};

std::string hash_string(const Pbkdf2Vector& v) {
    return "pbkdf2-sha256$" + std::to_string(v.iterations) + "$" + base64_encode(v.salt) + "$" +
           base64_encode(from_hex(v.derived_hex));
}

TEST(Pbkdf2, KnownVectors) {
    for (const Pbkdf2Vector& v : kVectors) {
        const std::optional<PasscodeHash> hash = parse_passcode_hash(hash_string(v));
        ASSERT_TRUE(hash) << hash_string(v);
        EXPECT_EQ(hash->iterations, v.iterations);
        EXPECT_EQ(hash->salt, v.salt);
        EXPECT_TRUE(verify_passcode(*hash, v.passcode)) << v.derived_hex;
        EXPECT_FALSE(verify_passcode(*hash, v.passcode + "x"));
        EXPECT_FALSE(verify_passcode(*hash, ""));
    }
}

TEST(Pbkdf2, HashStringFormatIsStrict) {
    const std::string good = hash_string(kVectors[2]);
    ASSERT_TRUE(parse_passcode_hash(good));
    const std::string salt = base64_encode("salt");
    const std::string derived = base64_encode(from_hex(kVectors[2].derived_hex));
    for (const std::string& bad : {
             std::string(),
             "pbkdf2-sha1$4096$" + salt + "$" + derived,
             "PBKDF2-SHA256$4096$" + salt + "$" + derived,
             "pbkdf2-sha256$$" + salt + "$" + derived,
             "pbkdf2-sha256$0$" + salt + "$" + derived,
             "pbkdf2-sha256$04096$" + salt + "$" + derived,
             "pbkdf2-sha256$-1$" + salt + "$" + derived,
             "pbkdf2-sha256$4096x$" + salt + "$" + derived,
             "pbkdf2-sha256$99999999999$" + salt + "$" + derived,
             "pbkdf2-sha256$10000001$" + salt + "$" + derived,  // over kMaxPbkdf2Iterations
             "pbkdf2-sha256$4096$$" + derived,                  // no salt
             "pbkdf2-sha256$4096$" + salt + "$",                // no hash
             "pbkdf2-sha256$4096$" + salt + "$" + base64_encode("short"),
             "pbkdf2-sha256$4096$" + salt + "$" + derived + "$x",
             "pbkdf2-sha256$4096$" + salt,
             "pbkdf2-sha256$4096$c2Fsd*==$" + derived,
             "pbkdf2-sha256$4096$" + salt + "$" + derived.substr(1),
         }) {
        EXPECT_FALSE(parse_passcode_hash(bad)) << bad;
    }
    // Unpadded base64 is accepted too (some tools strip '=').
    std::string unpadded = derived;
    while (unpadded.ends_with('=')) {
        unpadded.pop_back();
    }
    EXPECT_TRUE(parse_passcode_hash("pbkdf2-sha256$4096$c2FsdA$" + unpadded));
}

TEST(Pbkdf2, HashThenVerifyRoundTrip) {
    const std::optional<std::string> made = hash_passcode("correct horse battery staple", 1000);
    ASSERT_TRUE(made);
    EXPECT_TRUE(made->starts_with("pbkdf2-sha256$1000$"));
    const std::optional<PasscodeHash> hash = parse_passcode_hash(*made);
    ASSERT_TRUE(hash) << *made;
    EXPECT_EQ(hash->salt.size(), 16U);
    EXPECT_EQ(hash->hash.size(), 32U);
    EXPECT_TRUE(verify_passcode(*hash, "correct horse battery staple"));
    EXPECT_FALSE(verify_passcode(*hash, "correct horse battery stapler"));
    // A fresh salt each time.
    EXPECT_NE(hash_passcode("same", 1000), hash_passcode("same", 1000));
    EXPECT_FALSE(hash_passcode("x", 0));
    EXPECT_FALSE(hash_passcode("x", kMaxPbkdf2Iterations + 1));
}

TEST(Pbkdf2, DefaultIterationsAreTheModernFigure) {
    const std::optional<std::string> made = hash_passcode("pw");
    ASSERT_TRUE(made);
    EXPECT_TRUE(made->starts_with("pbkdf2-sha256$600000$")) << *made;
    EXPECT_TRUE(verify_passcode(*parse_passcode_hash(*made), "pw"));
}

config::UserConfig user(std::string login, std::string hash, std::string plain,
                        std::vector<std::string> roles) {
    config::UserConfig config;
    config.login = std::move(login);
    config.passcode_hash = std::move(hash);
    config.passcode = std::move(plain);
    config.roles = std::move(roles);
    return config;
}

TEST(ServiceAccountsTest, LookupAndAuthenticate) {
    const ServiceAccountsResult result = ServiceAccounts::create({
        user("backend", hash_string(kVectors[2]), "", {"publisher"}),
        user("dev", "", "plain-pass", {"publisher", "admin"}),
    });
    ASSERT_TRUE(result.accounts);
    EXPECT_EQ(result.accounts->size(), 2U);
    // 4096 iterations is weak: accepted with a warning.
    EXPECT_EQ(result.warnings.size(), 1U);

    const ServiceAccount* backend = result.accounts->lookup("backend");
    ASSERT_NE(backend, nullptr);
    EXPECT_FALSE(backend->has_plain_passcode());
    const AuthResult<Principal> ok = backend->authenticate("password");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.value->name, "backend");
    EXPECT_EQ(ok.value->roles, std::vector<std::string>{"publisher"});
    EXPECT_EQ(ok.value->issuer, "users");
    EXPECT_FALSE(ok.value->anonymous);
    EXPECT_FALSE(ok.value->expires_at);
    EXPECT_EQ(backend->authenticate("Password").error, AuthError::BadCredentials);

    const ServiceAccount* dev = result.accounts->lookup("dev");
    ASSERT_NE(dev, nullptr);
    EXPECT_TRUE(dev->has_plain_passcode());
    EXPECT_TRUE(dev->check("plain-pass"));
    EXPECT_FALSE(dev->check("plain-pas"));
    EXPECT_FALSE(dev->check("plain-passs"));
    EXPECT_FALSE(dev->check(""));

    EXPECT_EQ(result.accounts->lookup("nobody"), nullptr);
    EXPECT_EQ(result.accounts->lookup(""), nullptr);
    EXPECT_EQ(result.accounts->lookup("Backend"), nullptr);
}

TEST(ServiceAccountsTest, UnknownLoginCostsAKnownLoginsPbkdf2) {
    const std::optional<std::string> slow = hash_passcode("right", 200000);
    ASSERT_TRUE(slow);
    const std::optional<std::string> cheap = hash_passcode("other", 1000);
    ASSERT_TRUE(cheap);
    const ServiceAccountsResult result = ServiceAccounts::create({
        user("dev", "", "plain-pass", {}),
        user("cron", *cheap, "", {}),
        user("backend", *slow, "", {"publisher"}),
    });
    ASSERT_TRUE(result.accounts);
    const ServiceAccounts& accounts = *result.accounts;
    EXPECT_EQ(accounts.unknown_login_iterations(), 200000U);  // the dearest account's cost

    EXPECT_TRUE(accounts.authenticate("backend", "right").ok());
    EXPECT_EQ(accounts.authenticate("backend", "wrong").error, AuthError::BadCredentials);
    const AuthResult<Principal> unknown = accounts.authenticate("nobody", "right");
    EXPECT_EQ(unknown.error, AuthError::BadCredentials);
    EXPECT_EQ(unknown.detail, "no such account");

    // The point of the dummy: an unknown login takes about as long as a known one's wrong
    // passcode (200,000 PBKDF2 rounds, tens of milliseconds), not microseconds. The fastest of
    // three tries each, compared with a wide margin, so a busy machine cannot fail it.
    const auto fastest = [](const auto& attempt) {
        auto best = std::chrono::steady_clock::duration::max();
        for (int i = 0; i < 3; ++i) {
            const auto start = std::chrono::steady_clock::now();
            attempt();
            best = std::min(best, std::chrono::steady_clock::now() - start);
        }
        return best;
    };
    const auto known = fastest([&] { (void)accounts.authenticate("backend", "wrong"); });
    const auto nobody = fastest([&] { (void)accounts.authenticate("nobody", "wrong"); });
    EXPECT_GT(nobody * 3, known) << "unknown login answered much faster than a known one";

    // Without any hashed account there is no PBKDF2 to imitate.
    const ServiceAccountsResult plain = ServiceAccounts::create({user("dev", "", "pw", {})});
    ASSERT_TRUE(plain.accounts);
    EXPECT_EQ(plain.accounts->unknown_login_iterations(), 0U);
    EXPECT_EQ(plain.accounts->authenticate("nobody", "pw").error, AuthError::BadCredentials);
}

TEST(ServiceAccountsTest, MalformedHashIsAnErrorNamingTheLogin) {
    const ServiceAccountsResult result =
        ServiceAccounts::create({user("svc", "pbkdf2-sha256$1000$!!$!!", "", {})});
    EXPECT_FALSE(result.accounts);
    ASSERT_EQ(result.errors.size(), 1U);
    EXPECT_NE(result.errors[0].find("svc"), std::string::npos);
}

}  // namespace
}  // namespace stampede::auth
