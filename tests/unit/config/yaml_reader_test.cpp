// Config loader indirections (yaml_reader.cpp): ${VAR} interpolation, K_file values,
// secret_env, all seen through load_config_text so messages carry file:line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"
#include "config_test_util.hpp"

namespace stampede::config {
namespace {

using testing::load;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::ScopedEnv;
using testing::TempFile;

TEST(ConfigYamlTest, EnvVarIsReplacedBeforeTyping) {
    ScopedEnv port("STAMPEDE_TEST_PORT", "8123");
    ScopedEnv host("STAMPEDE_TEST_HOST", "127.0.0.9");
    ConfigResult r = load(R"(
listeners:
  - name: web
    port: ${STAMPEDE_TEST_PORT}
    host: "${STAMPEDE_TEST_HOST}"
    path: /a$b/${STAMPEDE_TEST_PORT}$
)");
    EXPECT_THAT(r.errors, IsEmpty());
    ASSERT_NE(r.config, nullptr);
    EXPECT_EQ(r.config->listeners[0].port, 8123);
    EXPECT_EQ(r.config->listeners[0].host, "127.0.0.9");
    EXPECT_EQ(r.config->listeners[0].path, "/a$b/8123$");  // a lone '$' stays
}

TEST(ConfigYamlTest, EnvVarInAListItem) {
    ScopedEnv origin("STAMPEDE_TEST_ORIGIN", "https://app.example");
    ConfigResult r =
        load("listeners: [ { name: web, allowed_origins: [\"${STAMPEDE_TEST_ORIGIN}\"] } ]");
    ASSERT_NE(r.config, nullptr);
    EXPECT_THAT(r.config->listeners[0].allowed_origins, ElementsAre("https://app.example"));
}

TEST(ConfigYamlTest, UnsetEnvVarIsAnError) {
    ScopedEnv port("STAMPEDE_TEST_PORT", std::nullopt);
    ConfigResult r = load(R"(
listeners:
  - name: web
    port: ${STAMPEDE_TEST_PORT}
)");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors,
                ElementsAre("t.yaml:3: environment variable STAMPEDE_TEST_PORT is not set"));
}

TEST(ConfigYamlTest, EnvVarThatIsNotANumberFailsTyping) {
    ScopedEnv port("STAMPEDE_TEST_PORT", "http");
    ConfigResult r = load("listeners:\n  - name: web\n    port: ${STAMPEDE_TEST_PORT}\n");
    EXPECT_THAT(r.errors, ElementsAre("t.yaml:3: listeners[0].port must be an integer from 0 to "
                                      "65535, got 'http'"));
}

TEST(ConfigYamlTest, MalformedReferencesAreErrors) {
    ConfigResult r = load(R"(
listeners:
  - name: web
    host: "${unterminated"
    path: "/${1BAD}"
)");
    EXPECT_THAT(r.errors, ElementsAre("t.yaml:3: unterminated '${' in '${unterminated'",
                                      "t.yaml:4: invalid environment variable name '1BAD'"));
}

TEST(ConfigYamlTest, KFileIsReadWithOneTrailingNewlineStripped) {
    TempFile port("15999\n");
    TempFile secret("s3cret-with-a-long-enough-length-xx\n\n");
    ConfigResult r = load(R"(
listeners:
  - name: web
    port_file: )" + port.path() +
                          R"(
auth:
  jwt:
    - name: j
      algorithms: [HS256]
      keys: { secret_file: ")" +
                          secret.path() + R"(" }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    ASSERT_NE(r.config, nullptr);
    EXPECT_EQ(r.config->listeners[0].port, 15999);
    EXPECT_EQ(r.config->auth.jwt[0].keys.secret, "s3cret-with-a-long-enough-length-xx\n");
}

TEST(ConfigYamlTest, KFilePathMayUseAnEnvVar) {
    TempFile level("debug\r\n");
    ScopedEnv path("STAMPEDE_TEST_LEVEL_FILE", level.path());
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
logging:
  level_file: ${STAMPEDE_TEST_LEVEL_FILE}
)");
    ASSERT_NE(r.config, nullptr) << r.errors[0];
    EXPECT_EQ(r.config->logging.level, LogLevel::Debug);
}

TEST(ConfigYamlTest, KFileForAListHoldsOneItemPerLine) {
    TempFile proxies("10.0.0.0/8\n\n192.168.0.1\n");
    ConfigResult r = load(
        "listeners: [ { name: web } ]\nauth:\n  trusted_proxies_file: " + proxies.path() + "\n");
    ASSERT_NE(r.config, nullptr) << r.errors[0];
    EXPECT_THAT(r.config->auth.trusted_proxies, ElementsAre("10.0.0.0/8", "192.168.0.1"));
}

TEST(ConfigYamlTest, MissingKFileIsAnError) {
    ConfigResult r = load(R"(
listeners:
  - name: web
    port_file: /nonexistent/port
)");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors, ElementsAre("t.yaml:3: cannot read listeners[0].port_file "
                                      "'/nonexistent/port': No such file or directory"));
}

TEST(ConfigYamlTest, KAndKFileTogetherAreAnError) {
    TempFile port("1\n");
    ConfigResult r = load(R"(
listeners:
  - name: web
    port: 2
    port_file: )" + port.path() +
                          "\n");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors, ElementsAre("t.yaml:4: listeners[0].port and listeners[0].port_file are "
                                      "both given; use one"));
}

TEST(ConfigYamlTest, SecretEnvIsReadFromTheEnvironment) {
    ScopedEnv secret("STAMPEDE_TEST_SECRET", "0123456789abcdef0123456789abcdef");
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
auth:
  jwt: [ { name: j, algorithms: [HS256], keys: { secret_env: STAMPEDE_TEST_SECRET } } ]
)");
    EXPECT_THAT(r.errors, IsEmpty());
    ASSERT_NE(r.config, nullptr);
    EXPECT_EQ(r.config->auth.jwt[0].keys.secret, "0123456789abcdef0123456789abcdef");
}

TEST(ConfigYamlTest, UnsetSecretEnvIsAnError) {
    ScopedEnv secret("STAMPEDE_TEST_SECRET", std::nullopt);
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
auth:
  jwt:
    - name: j
      algorithms: [HS256]
      keys:
        secret_env: STAMPEDE_TEST_SECRET
)");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors,
                ElementsAre("t.yaml:7: environment variable STAMPEDE_TEST_SECRET is not set"));
}

TEST(ConfigYamlTest, SecretAndSecretEnvTogetherAreAnError) {
    ScopedEnv secret("STAMPEDE_TEST_SECRET", "0123456789abcdef0123456789abcdef");
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
auth:
  jwt:
    - name: j
      algorithms: [HS256]
      keys: { secret: "0123456789abcdef0123456789abcdef", secret_env: STAMPEDE_TEST_SECRET }
)");
    EXPECT_THAT(r.errors, ElementsAre("t.yaml:6: auth.jwt[0].keys needs exactly one of secret, "
                                      "secret_env, secret_file, public_key_file, jwks_file, "
                                      "jwks_url"));
}

TEST(ConfigYamlTest, AnonymousMayBeNullFromTheEnvironment) {
    ScopedEnv anon("STAMPEDE_TEST_ANON", "null");
    ConfigResult r = load("listeners: [ { name: web, anonymous: \"${STAMPEDE_TEST_ANON}\" } ]");
    ASSERT_NE(r.config, nullptr) << r.errors[0];
    EXPECT_FALSE(r.config->listeners[0].anonymous.has_value());
}

TEST(ConfigYamlTest, RevokedJtiFileIsAPathKeptBesideTheList) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
auth: { revoked_jti: [a], revoked_jti_file: /var/lib/stampede/revoked }
)");
    ASSERT_NE(r.config, nullptr) << r.errors[0];
    EXPECT_THAT(r.config->auth.revoked_jti, ElementsAre("a"));
    EXPECT_EQ(r.config->auth.revoked_jti_file, "/var/lib/stampede/revoked");
}

TEST(ConfigYamlTest, LoadConfigReadsTheFile) {
    TempFile file("listeners:\n  - name: web\n    port: 0x10\n");
    ConfigResult r = load_config(file.path());
    EXPECT_THAT(r.errors, ElementsAre(file.path() + ":3: listeners[0].port must be an integer "
                                                    "from 0 to 65535, got '0x10'"));
}

}  // namespace
}  // namespace stampede::config
