// Claims read after CONNECT from a session's verified JWT payload (Principal::claims): a
// presence room's info_claim, shown beside the member in snapshots. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace stampede::auth {

/// The value of `claim` (a top-level claim name, or a JSON Pointer when it starts with '/')
/// in `claims` (a JSON object's text), as compact JSON text; "" when `claims` is empty or not
/// JSON, or the claim is absent.
std::string claim_json(std::string_view claims, std::string_view claim);

}  // namespace stampede::auth
