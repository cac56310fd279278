// Trusted reverse proxies (auth.trusted_proxies): only their X-Forwarded-For is believed.
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stampede::broker {

/// True when `address` is one of `proxies` (exact IP, or IPv4 CIDR "10.0.0.0/8").
bool is_trusted_proxy(std::string_view address, const std::vector<std::string>& proxies);

}  // namespace stampede::broker
