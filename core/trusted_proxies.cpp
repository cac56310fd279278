// See trusted_proxies.hpp.
#include "core/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>

namespace stampede::broker {

bool is_trusted_proxy(std::string_view address, const std::vector<std::string>& proxies) {
    in_addr peer{};
    const std::string peer_text(address);
    const bool peer_v4 = inet_pton(AF_INET, peer_text.c_str(), &peer) == 1;
    for (const auto& proxy : proxies) {
        const auto slash = proxy.find('/');
        if (slash == std::string::npos) {
            if (proxy == address) {
                return true;
            }
            continue;
        }
        in_addr network{};
        int bits = -1;
        const std::string base = proxy.substr(0, slash);
        const auto bits_text = std::string_view(proxy).substr(slash + 1);
        std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
        if (!peer_v4 || inet_pton(AF_INET, base.c_str(), &network) != 1 || bits < 0 || bits > 32) {
            continue;
        }
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        if ((ntohl(peer.s_addr) & mask) == (ntohl(network.s_addr) & mask)) {
            return true;
        }
    }
    return false;
}

}  // namespace stampede::broker
