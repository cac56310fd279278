// See hmac.hpp. OpenSSL 3's one-shot MAC (EVP_Q_mac), as the HS256 verifier uses.
#include "auth/hmac.hpp"

#include <openssl/evp.h>

#include <array>

namespace stampede::auth {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t length = 0;
    // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
    static constexpr unsigned char kEmpty = 0;
    const void* key_bytes = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_bytes, key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
                  mac.size(), &length) == nullptr) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (std::size_t i = 0; i < length; ++i) {
        out += kHex[mac[i] >> 4];
        out += kHex[mac[i] & 0x0f];
    }
    return out;
}

}  // namespace stampede::auth
