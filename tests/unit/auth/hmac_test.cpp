// HMAC-SHA256 as hex, for the offline hook's X-Stampede-Signature: RFC 4231's test vectors,
// and a receiver's view (the same body and secret give the same signature, any change not).
#include "auth/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::auth {
namespace {

TEST(HmacSha256Hex, Rfc4231Vectors) {
    // Test case 1: key 0x0b x 20, "Hi There".
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: key "Jefe", "what do ya want for nothing?".
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block size (131 bytes of 0xaa).
    EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                              "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Hex, AnyChangeChangesIt) {
    const std::string body = R"({"room":"/topic/room.42","seq":7,"users":["bob"],"preview":"hi"})";
    const std::string signature = hmac_sha256_hex("s3cret", body);
    EXPECT_EQ(signature.size(), 64U);
    EXPECT_EQ(hmac_sha256_hex("s3cret", body), signature);
    EXPECT_NE(hmac_sha256_hex("s3cret!", body), signature);
    EXPECT_NE(hmac_sha256_hex("s3cret", body + " "), signature);
    // An empty key and an empty body are valid HMAC inputs (RFC 2104), not errors.
    EXPECT_EQ(hmac_sha256_hex("", ""),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
}  // namespace stampede::auth
