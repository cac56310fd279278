// The jti deny-list (auth.revoked_jti plus auth.revoked_jti_file): tokens a user logged out
// of. Built on the main thread at start and on SIGHUP, then shared immutable and read from
// any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace stampede::auth {

class RevocationList {
   public:
    RevocationList() = default;
    explicit RevocationList(const std::vector<std::string>& jtis);

    /// Adds one jti per line (a revoked_jti_file): surrounding spaces, tabs and CR trimmed;
    /// blank lines and lines starting with '#' skipped.
    void add_lines(std::string_view text);
    void add(std::string_view jti);

    /// True when `jti` is listed. An empty jti (a token without one) is never revoked.
    bool contains(std::string_view jti) const;
    std::size_t size() const { return jtis_.size(); }

   private:
    std::set<std::string, std::less<>> jtis_;
};

struct RevocationListResult {
    std::shared_ptr<const RevocationList> list;  // null when error is set
    std::string error;
};

/// The config's list plus the lines of `file` ("" = none). A file that cannot be read is an
/// error, so a reload keeps the previous list rather than forgetting every revocation.
RevocationListResult load_revocation_list(const std::vector<std::string>& revoked,
                                          const std::string& file);

}  // namespace stampede::auth
