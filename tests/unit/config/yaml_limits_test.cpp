// What keeps a hostile or broken config file cheap to load: a stray ',' that yaml-cpp 0.7
// never gets past (the config_fuzz finding: memory past 2 GB within one input), YAML anchors
// and aliases refused before any tree is built, and at most 100 errors (and 100 warnings)
// kept, the first ones in file order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::load;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kRefusal =
    ": anchors and aliases are not allowed in a config file; write the value out";

// yaml-cpp yields an empty document for a ',' it does not consume, again and again at the
// same place; YAML::LoadAll kept every one of them until memory ran out.
TEST(ConfigYamlLimitsTest, AStrayCommaIsAnErrorNotAnEndlessStream) {
    EXPECT_THAT(load(",").errors, ElementsAre("t.yaml:1: unexpected ',': YAML cannot be read "
                                              "past it"));
    // The fuzzer's input, byte for byte.
    EXPECT_THAT(load(std::string(",\x88(t", 4)).errors,
                ElementsAre("t.yaml:1: unexpected ',': YAML cannot be read past it"));
    EXPECT_THAT(load("listeners: [ { name: web } ]\n---\n,x\n").errors,
                ElementsAre("t.yaml:3: unexpected ',': YAML cannot be read past it"));
}

TEST(ConfigYamlLimitsTest, ASecondDocumentIsStillReportedAndTheFirstChecked) {
    EXPECT_THAT(
        load("listeners: [ { name: web, port: x } ]\n---\nlogging: {}\n---\na: 1\n").errors,
        ElementsAre("t.yaml:1: listeners[0].port must be an integer from 0 to 65535, got 'x'",
                    "t.yaml:3: only one YAML document is allowed"));
}

TEST(ConfigYamlLimitsTest, AnchorsAndAliasesAreRefusedAtTheirLine) {
    ConfigResult r = load(R"(
listeners:
  - &web { name: web }
  - *web
logging:
  level: &lvl info
  format: text
)");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors, ElementsAre(std::string("t.yaml:2: YAML anchor '&web'") + kRefusal,
                                      std::string("t.yaml:3: YAML alias '*web'") + kRefusal,
                                      std::string("t.yaml:5: YAML anchor '&lvl'") + kRefusal));
}

TEST(ConfigYamlLimitsTest, AnAnchorOnAMapAndAMergeKeyAreRefused) {
    ConfigResult r = load(R"(
base: &base
  host: 127.0.0.1
listeners:
  - <<: *base
    name: web
)");
    EXPECT_EQ(r.config, nullptr);
    // Nothing else of the file is read: no "unknown key 'base'".
    EXPECT_THAT(r.errors, ElementsAre(std::string("t.yaml:1: YAML anchor '&base'") + kRefusal,
                                      std::string("t.yaml:4: YAML alias '*base'") + kRefusal));
}

// The shape the fuzzer likely found: one map of many bad keys, aliased many times where a
// list of sections is read. It used to give 903,001 errors (250 MB) from 15 KB of text.
TEST(ConfigYamlLimitsTest, AnAliasBombIsRefusedWithBoundedErrors) {
    std::string text = "m: &m {";
    for (int i = 0; i < 300; ++i) {
        text += (i == 0 ? "k" : ", k") + std::to_string(i) + ": 1";
    }
    text += "}\nlisteners: [";
    for (int i = 0; i < 3000; ++i) {
        text += i == 0 ? "*m" : ", *m";
    }
    text += "]\n";
    ConfigResult r = load(text);
    EXPECT_EQ(r.config, nullptr);
    ASSERT_EQ(r.errors.size(), 101U);
    EXPECT_EQ(r.errors[0], std::string("t.yaml:1: YAML anchor '&m'") + kRefusal);
    EXPECT_EQ(r.errors[1], std::string("t.yaml:2: YAML alias '*m'") + kRefusal);
    EXPECT_EQ(r.errors[99], std::string("t.yaml:2: YAML alias '*m'") + kRefusal);
    EXPECT_EQ(r.errors[100], "t.yaml:2: too many errors: 2901 more not shown");
}

// Nested aliases: nine of the level below at each of twelve levels (9^12 leaves if expanded).
TEST(ConfigYamlLimitsTest, NestedAliasesAreRefusedWithoutExpanding) {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level <= 12; ++level) {
        text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int i = 0; i < 9; ++i) {
            text += (i == 0 ? "*a" : ", *a") + std::to_string(level - 1);
        }
        text += "]\n";
    }
    text += "listeners: *a12\n";
    ConfigResult r = load(text);
    EXPECT_EQ(r.config, nullptr);
    // 13 anchors and 12 x 9 + 1 aliases, one error each, capped.
    ASSERT_EQ(r.errors.size(), 101U);
    EXPECT_EQ(r.errors[0], std::string("t.yaml:1: YAML anchor '&a0'") + kRefusal);
    EXPECT_EQ(r.errors[100], "t.yaml:11: too many errors: 22 more not shown");
}

TEST(ConfigYamlLimitsTest, TenThousandBadKeysGiveAtMostTheCap) {
    std::string text = "listeners: [ { name: web } ]\nlimits:\n";
    for (int i = 0; i < 10000; ++i) {
        text += "  bad" + std::to_string(i) + ": 1\n";
    }
    ConfigResult r = load(text);
    EXPECT_EQ(r.config, nullptr);
    ASSERT_EQ(r.errors.size(), 101U);
    EXPECT_EQ(r.errors[0], "t.yaml:3: unknown key 'bad0' in limits");
    EXPECT_EQ(r.errors[99], "t.yaml:102: unknown key 'bad99' in limits");
    EXPECT_EQ(r.errors[100], "t.yaml:103: too many errors: 9900 more not shown");
}

// The sections are not read in file order (node first, logging late): the errors kept are
// still the first ones in the file, and one found early further down is the one left out.
TEST(ConfigYamlLimitsTest, TheErrorsKeptAreTheFirstInFileOrder) {
    std::string text = "listeners: [ { name: web } ]\nlogging:\n";
    for (int i = 0; i < 150; ++i) {
        text += "  bad" + std::to_string(i) + ": 1\n";
    }
    text += "node: { shards: x }\n";  // line 153, read before logging
    ConfigResult r = load(text);
    ASSERT_EQ(r.errors.size(), 101U);
    EXPECT_EQ(r.errors[0], "t.yaml:3: unknown key 'bad0' in logging");
    EXPECT_EQ(r.errors[99], "t.yaml:102: unknown key 'bad99' in logging");
    EXPECT_EQ(r.errors[100], "t.yaml:103: too many errors: 51 more not shown");
}

TEST(ConfigYamlLimitsTest, WarningsAreCappedToo) {
    std::string text = "auth: { anonymous: true }\nlisteners:\n";
    for (int i = 0; i < 150; ++i) {
        text += "  - { name: l" + std::to_string(i) + ", host: 10.0.0.1 }\n";
    }
    ConfigResult r = load(text);
    ASSERT_NE(r.config, nullptr);
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->listeners.size(), 150U);
    ASSERT_EQ(r.warnings.size(), 101U);
    EXPECT_EQ(r.warnings[0],
              "t.yaml:3: listener 'l0' allows anonymous clients on non-loopback host 10.0.0.1");
    EXPECT_EQ(r.warnings[100], "t.yaml:103: too many warnings: 50 more not shown");
}

TEST(ConfigYamlLimitsTest, ExactlyTheCapHasNoExtraLine) {
    std::string text = "listeners: [ { name: web } ]\nlimits:\n";
    for (int i = 0; i < 100; ++i) {
        text += "  bad" + std::to_string(i) + ": 1\n";
    }
    ConfigResult r = load(text);
    ASSERT_EQ(r.errors.size(), 100U);
    EXPECT_EQ(r.errors[99], "t.yaml:102: unknown key 'bad99' in limits");
}

}  // namespace
}  // namespace stampede::config
