// The jti deny-list. Loading reads a file (main thread); lookups are const (any thread).
#include "auth/revocation.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

namespace stampede::auth {

RevocationList::RevocationList(const std::vector<std::string>& jtis) {
    for (const std::string& jti : jtis) {
        add(jti);
    }
}

void RevocationList::add(std::string_view jti) {
    if (!jti.empty()) {
        jtis_.emplace(jti);
    }
}

void RevocationList::add_lines(std::string_view text) {
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        const std::size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) {
            continue;
        }
        line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        if (!line.starts_with('#')) {
            add(line);
        }
    }
}

bool RevocationList::contains(std::string_view jti) const {
    return !jti.empty() && jtis_.find(jti) != jtis_.end();
}

RevocationListResult load_revocation_list(const std::vector<std::string>& revoked,
                                          const std::string& file) {
    RevocationListResult result;
    auto list = std::make_shared<RevocationList>(revoked);
    if (!file.empty()) {
        std::ifstream in(file, std::ios::binary);
        std::string text(std::istreambuf_iterator<char>(in), {});
        if (!in.is_open() || in.bad()) {
            result.error = fmt::format("cannot read revoked_jti_file {}", file);
            return result;
        }
        list->add_lines(text);
    }
    result.list = std::move(list);
    return result;
}

}  // namespace stampede::auth
