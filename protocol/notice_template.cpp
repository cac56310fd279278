// See notice_template.hpp.
#include "protocol/notice_template.hpp"

#include <fmt/format.h>

namespace stampede::protocol {
namespace {

bool starts_name(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool continues_name(char c) { return starts_name(c) || (c >= '0' && c <= '9'); }

// The placeholder name at `text[at]` (which is '{'), or empty when the brace is literal.
std::string_view name_at(std::string_view text, std::size_t at) {
    std::size_t end = at + 1;
    if (end >= text.size() || !starts_name(text[end])) {
        return {};
    }
    while (end < text.size() && continues_name(text[end])) {
        ++end;
    }
    if (end >= text.size() || text[end] != '}') {
        return {};
    }
    return text.substr(at + 1, end - at - 1);
}

}  // namespace

std::vector<std::string> template_placeholders(std::string_view text) {
    std::vector<std::string> names;
    for (std::size_t at = text.find('{'); at != std::string_view::npos;
         at = text.find('{', at + 1)) {
        if (const std::string_view name = name_at(text, at); !name.empty()) {
            names.emplace_back(name);
        }
    }
    return names;
}

std::string render_template(
    std::string_view text,
    const std::function<std::optional<std::string>(std::string_view name)>& value) {
    std::string out;
    out.reserve(text.size() + 32);
    std::size_t done = 0;
    for (std::size_t at = text.find('{'); at != std::string_view::npos;
         at = text.find('{', at + 1)) {
        const std::string_view name = name_at(text, at);
        if (name.empty()) {
            continue;
        }
        const std::optional<std::string> replacement = value(name);
        if (!replacement) {
            continue;
        }
        out.append(text.substr(done, at - done));
        out.append(*replacement);
        done = at + name.size() + 2;
        at = done - 1;
    }
    out.append(text.substr(done));
    return out;
}

}  // namespace stampede::protocol
