// Strict base64url and base64: RFC 4648 section 10 vectors, and every non-canonical spelling
// refused.
#include "auth/base64url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::auth {
namespace {

struct Vector {
    std::string plain;
    std::string url;       // unpadded base64url
    std::string standard;  // padded base64
};

const std::vector<Vector> kRfc4648 = {
    {"", "", ""},
    {"f", "Zg", "Zg=="},
    {"fo", "Zm8", "Zm8="},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg", "Zm9vYg=="},
    {"fooba", "Zm9vYmE", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64Url, Rfc4648VectorsBothWays) {
    for (const Vector& v : kRfc4648) {
        EXPECT_EQ(base64url_encode(v.plain), v.url);
        EXPECT_EQ(base64url_decode(v.url), v.plain) << v.url;
        EXPECT_EQ(base64_encode(v.plain), v.standard);
        EXPECT_EQ(base64_decode(v.standard), v.plain) << v.standard;
        EXPECT_EQ(base64_decode(v.url), v.plain) << "unpadded standard " << v.url;
    }
}

TEST(Base64Url, UsesTheUrlAlphabet) {
    const std::string bytes("\xfb\xff\xbf", 3);
    EXPECT_EQ(base64url_encode(bytes), "-_-_");
    EXPECT_EQ(base64_encode(bytes), "+/+/");
    EXPECT_EQ(base64url_decode("-_-_"), bytes);
    EXPECT_FALSE(base64url_decode("+/+/"));
    EXPECT_FALSE(base64_decode("-_-_"));
}

TEST(Base64Url, RefusesPaddingInBase64Url) {
    EXPECT_FALSE(base64url_decode("Zg=="));
    EXPECT_FALSE(base64url_decode("Zm8="));
    EXPECT_FALSE(base64url_decode("="));
}

TEST(Base64Url, RefusesCharactersOutsideTheAlphabet) {
    for (const char* text :
         {"Zm9v YmFy", "Zm9v\nYmFy", "Zm9v.", "Zm9v\x01", "Zm9v\xc3\xa9", "Zm*v"}) {
        EXPECT_FALSE(base64url_decode(text)) << text;
        EXPECT_FALSE(base64_decode(text)) << text;
    }
    EXPECT_FALSE(base64url_decode(std::string("Zm9v\0YmFy", 9)));
}

TEST(Base64Url, RefusesImpossibleLengths) {
    EXPECT_FALSE(base64url_decode("Z"));
    EXPECT_FALSE(base64url_decode("Zm9vY"));
    EXPECT_FALSE(base64_decode("Zm9vY"));
}

TEST(Base64Url, RefusesNonZeroTrailingBits) {
    // "Zg" is canonical for "f"; "Zh".."Zv" decode to "f" too in a lax decoder.
    EXPECT_TRUE(base64url_decode("Zg"));
    EXPECT_FALSE(base64url_decode("Zh"));
    EXPECT_FALSE(base64url_decode("Zv"));
    EXPECT_TRUE(base64url_decode("Zm8"));
    EXPECT_FALSE(base64url_decode("Zm9"));
    EXPECT_FALSE(base64_decode("Zh=="));
}

TEST(Base64, PaddingMustBeExact) {
    EXPECT_FALSE(base64_decode("Zg="));    // half padded
    EXPECT_FALSE(base64_decode("Zm8=="));  // too much
    EXPECT_FALSE(base64_decode("Zm9v===="));
    EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
    EXPECT_FALSE(base64_decode("===="));
}

TEST(Base64Url, RoundTripsEveryByteValueAtEveryLength) {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        bytes.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
        EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
    }
}

}  // namespace
}  // namespace stampede::auth
