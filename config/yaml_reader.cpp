// Config reading helpers: Sections, ${VAR} interpolation, K_file, typed scalars.
// Main thread only; getenv() here is safe because nothing calls setenv() concurrently.
#include "config/yaml_reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

namespace stampede::config::yaml {
namespace {

// A value file is a secret or a short value; past this it is surely the wrong file.
constexpr std::size_t kMaxValueFileBytes = 1 << 20;

std::string kind_of(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return fmt::format("'{}'", node.Scalar());
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            break;
    }
    return "an empty value";
}

bool is_env_name(std::string_view name) {
    if (name.empty() || (std::isdigit(static_cast<unsigned char>(name[0])) != 0)) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

// Reads a K_file value: the whole file, one trailing newline ("\n" or "\r\n") stripped.
std::optional<std::string> read_value_file(const std::string& path, const std::string& key_name,
                                           const YAML::Mark& mark, Diagnostics& diag) {
    auto fail = [&](const std::string& why) {
        diag.error(mark, fmt::format("cannot read {}_file '{}': {}", key_name, path, why));
        return std::nullopt;
    };
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return fail(std::strerror(errno));
    }
    std::string text(kMaxValueFileBytes + 1, '\0');
    std::size_t got = std::fread(text.data(), 1, text.size(), file.get());
    if (std::ferror(file.get()) != 0) {
        return fail(std::strerror(errno));
    }
    if (got > kMaxValueFileBytes) {
        return fail(fmt::format("larger than {} bytes", kMaxValueFileBytes));
    }
    text.resize(got);
    if (text.ends_with('\n')) {
        text.pop_back();
        if (text.ends_with('\r')) {
            text.pop_back();
        }
    }
    return text;
}

bool parse_bool(const std::string& text, bool& out) {
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true" || lower == "false") {
        out = lower == "true";
        return true;
    }
    return false;
}

std::string describe_range(std::uint64_t min, std::uint64_t max) {
    if (max == std::numeric_limits<std::uint64_t>::max()) {
        return min == 0 ? "a non-negative integer"
                        : (min == 1 ? "a positive integer" : fmt::format("an integer >= {}", min));
    }
    return fmt::format("an integer from {} to {}", min, max);
}

}  // namespace

Section::Section(const YAML::Node& node, std::string name, const YAML::Mark& mark,
                 Diagnostics& diag)
    : name_(std::move(name)), mark_(mark), diag_(&diag) {
    if (!node.IsDefined() || node.IsNull()) {
        return;
    }
    if (!node.IsMap()) {
        diag.error(mark, fmt::format("{} must be a map, got {}", name_.empty() ? "the file" : name_,
                                     kind_of(node)));
        return;
    }
    present_ = true;
    for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
            diag.error(kv.first.Mark(),
                       fmt::format("a key must be a plain name, got {}", kind_of(kv.first)));
            continue;
        }
        const std::string& key = kv.first.Scalar();
        if (find(key) != nullptr) {
            diag.error(kv.first.Mark(), fmt::format("duplicate key '{}'", qualify(key)));
            continue;
        }
        entries_.push_back({key, kv.first.Mark(), kv.second});
    }
}

std::string Section::qualify(std::string_view key) const {
    return name_.empty() ? std::string(key) : fmt::format("{}.{}", name_, key);
}

const Section::Entry* Section::find(const std::string& key) const {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.key == key; });
    return it == entries_.end() ? nullptr : &*it;
}

Section::Entry* Section::take(const std::string& key) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.key == key; });
    if (it == entries_.end()) {
        return nullptr;
    }
    it->used = true;
    return &*it;
}

Where Section::where(const std::string& key) const {
    for (const std::string& k : {key, key + "_file"}) {
        if (const Entry* e = find(k)) {
            return e->mark;
        }
    }
    return std::nullopt;
}

bool Section::holds_map(const std::string& key) const {
    const Entry* e = find(key);
    return e != nullptr && e->value.IsMap();
}

std::optional<Field> Section::field(const std::string& key, bool allow_file) {
    Entry* direct = take(key);
    Entry* indirect = allow_file ? take(key + "_file") : nullptr;
    if (direct != nullptr) {
        if (indirect != nullptr) {
            diag_->error(indirect->mark,
                         fmt::format("{0} and {0}_file are both given; use one", qualify(key)));
        }
        return Field{qualify(key), direct->value, direct->mark, std::nullopt, false};
    }
    if (indirect == nullptr) {
        return std::nullopt;
    }
    Field f{qualify(key), YAML::Node(), indirect->mark, std::nullopt, false};
    Field path_field{f.name + "_file", indirect->value, indirect->mark, std::nullopt, false};
    if (std::optional<std::string> path = scalar_text(path_field, "a file path", *diag_)) {
        f.file_text = read_value_file(*path, f.name, f.mark, *diag_);
    }
    f.failed = !f.file_text;
    return f;
}

Section Section::section(const std::string& key) {
    Entry* e = take(key);
    if (e == nullptr) {
        return Section(YAML::Node(), qualify(key), mark_, *diag_);
    }
    return Section(e->value, qualify(key), e->mark, *diag_);
}

std::vector<std::string> Section::keys() const {
    std::vector<std::string> out;
    for (const Entry& e : entries_) {
        out.push_back(e.key);
    }
    return out;
}

std::vector<Section> Section::list(const std::string& key) {
    std::vector<Section> items;
    Entry* e = take(key);
    if (e == nullptr || e->value.IsNull()) {
        return items;
    }
    if (!e->value.IsSequence()) {
        diag_->error(e->mark,
                     fmt::format("{} must be a list, got {}", qualify(key), kind_of(e->value)));
        return items;
    }
    const YAML::Node& sequence = e->value;
    for (std::size_t i = 0; i < sequence.size(); ++i) {
        const YAML::Node item = sequence[i];
        std::string item_name = fmt::format("{}[{}]", qualify(key), i);
        if (!item.IsMap()) {
            diag_->error(item.Mark(),
                         fmt::format("{} must be a map, got {}", item_name, kind_of(item)));
            continue;
        }
        items.emplace_back(item, std::move(item_name), item.Mark(), *diag_);
    }
    return items;
}

void Section::missing(std::string_view key) {
    diag_->error(mark_, fmt::format("{} is required", qualify(key)));
}

void Section::check_unknown() {
    for (const Entry& e : entries_) {
        if (!e.used) {
            diag_->error(e.mark, name_.empty()
                                     ? fmt::format("unknown key '{}'", e.key)
                                     : fmt::format("unknown key '{}' in {}", e.key, name_));
        }
    }
}

std::optional<std::string> interpolate_env(std::string_view text, const YAML::Mark& mark,
                                           Diagnostics& diag) {
    std::string out;
    bool ok = true;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t open = text.find("${", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        std::size_t close = text.find('}', open + 2);
        if (close == std::string_view::npos) {
            diag.error(mark, fmt::format("unterminated '${{' in '{}'", text));
            return std::nullopt;
        }
        std::string name(text.substr(open + 2, close - open - 2));
        if (!is_env_name(name)) {
            diag.error(mark, fmt::format("invalid environment variable name '{}'", name));
            ok = false;
        } else if (const char* value = std::getenv(name.c_str())) {
            out.append(value);
        } else {
            diag.error(mark, fmt::format("environment variable {} is not set", name));
            ok = false;
        }
        pos = close + 1;
    }
    return ok ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

std::optional<std::string> scalar_text(const Field& f, std::string_view expected,
                                       Diagnostics& diag) {
    if (f.failed) {
        return std::nullopt;
    }
    if (f.file_text) {
        return f.file_text;
    }
    if (!f.node.IsScalar()) {
        diag.error(f.mark, fmt::format("{} must be {}, got {}", f.name, expected, kind_of(f.node)));
        return std::nullopt;
    }
    return interpolate_env(f.node.Scalar(), f.mark, diag);
}

std::optional<Text> read_text(Section& s, const std::string& key, std::string_view expected,
                              bool allow_file) {
    std::optional<Field> f = s.field(key, allow_file);
    if (!f) {
        return std::nullopt;
    }
    return Text{f->mark, scalar_text(*f, expected, s.diag())};
}

Where read_string(Section& s, const std::string& key, std::string& out, bool allow_file) {
    std::optional<Text> text = read_text(s, key, "a string", allow_file);
    if (!text) {
        return std::nullopt;
    }
    if (text->value) {
        out = *text->value;
    }
    return text->mark;
}

Where read_nonempty_string(Section& s, const std::string& key, std::string& out) {
    std::optional<Text> text = read_text(s, key, "a string");
    if (!text) {
        return std::nullopt;
    }
    if (text->value && text->value->empty()) {
        s.diag().error(text->mark, fmt::format("{} must not be empty", s.qualify(key)));
    } else if (text->value) {
        out = *text->value;
    }
    return text->mark;
}

Where read_required_string(Section& s, const std::string& key, std::string& out) {
    Where where = read_nonempty_string(s, key, out);
    if (!where) {
        s.missing(key);
    }
    return where;
}

Where read_bool(Section& s, const std::string& key, bool& out) {
    std::optional<Text> text = read_text(s, key, "true or false");
    if (!text) {
        return std::nullopt;
    }
    if (text->value && !parse_bool(*text->value, out)) {
        s.diag().error(text->mark, fmt::format("{} must be true or false, got '{}'", s.qualify(key),
                                               *text->value));
    }
    return text->mark;
}

namespace {

// A list of strings from a field: a YAML list, or a file holding one item per line.
void strings_from_field(const Field& f, std::vector<std::string>& out, Diagnostics& diag) {
    std::vector<std::string> items;
    if (f.failed) {
        return;
    }
    if (f.file_text) {
        std::string_view text = *f.file_text;
        while (!text.empty()) {
            std::size_t eol = std::min(text.find('\n'), text.size());
            std::string_view line = text.substr(0, eol);
            if (line.ends_with('\r')) {
                line.remove_suffix(1);
            }
            if (!line.empty()) {
                items.emplace_back(line);
            }
            text.remove_prefix(std::min(eol + 1, text.size()));
        }
        out = std::move(items);
        return;
    }
    if (!f.node.IsSequence()) {
        diag.error(f.mark,
                   fmt::format("{} must be a list of strings, got {}", f.name, kind_of(f.node)));
        return;
    }
    bool ok = true;
    for (std::size_t i = 0; i < f.node.size(); ++i) {
        Field item{fmt::format("{}[{}]", f.name, i), f.node[i], f.node[i].Mark(), std::nullopt,
                   false};
        if (std::optional<std::string> text = scalar_text(item, "a string", diag)) {
            items.push_back(std::move(*text));
        } else {
            ok = false;
        }
    }
    if (ok) {
        out = std::move(items);
    }
}

}  // namespace

Where read_strings(Section& s, const std::string& key, std::vector<std::string>& out,
                   bool allow_file) {
    std::optional<Field> f = s.field(key, allow_file);
    if (!f) {
        return std::nullopt;
    }
    strings_from_field(*f, out, s.diag());
    return f->mark;
}

Where read_string_or_list(Section& s, const std::string& key, std::vector<std::string>& out) {
    std::optional<Field> f = s.field(key);
    if (!f) {
        return std::nullopt;
    }
    if (f->node.IsScalar()) {
        if (std::optional<std::string> text = scalar_text(*f, "a string", s.diag())) {
            out = {std::move(*text)};
        }
    } else {
        strings_from_field(*f, out, s.diag());
    }
    return f->mark;
}

Where read_optional_bool(Section& s, const std::string& key, std::optional<bool>& out) {
    std::optional<Field> f = s.field(key);
    if (!f) {
        return std::nullopt;
    }
    if (!f->file_text && f->node.IsNull()) {
        out.reset();
        return f->mark;
    }
    std::optional<std::string> text = scalar_text(*f, "null, true or false", s.diag());
    if (!text) {
        return f->mark;
    }
    bool value = false;
    if (*text == "null" || *text == "~" || text->empty()) {
        out.reset();
    } else if (parse_bool(*text, value)) {
        out = value;
    } else {
        s.diag().error(f->mark,
                       fmt::format("{} must be null, true or false, got '{}'", f->name, *text));
    }
    return f->mark;
}

Where read_double(Section& s, const std::string& key, double& out, double min) {
    std::optional<Text> text = read_text(s, key, "a number");
    if (!text || !text->value) {
        return text ? Where(text->mark) : std::nullopt;
    }
    const std::string& v = *text->value;
    double value = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(value) || value < min) {
        s.diag().error(text->mark, fmt::format("{} must be a number >= {:.1f}, got '{}'",
                                               s.qualify(key), min, v));
    } else {
        out = value;
    }
    return text->mark;
}

Where read_u64(Section& s, const std::string& key, std::uint64_t& out, std::uint64_t min,
               std::uint64_t max) {
    std::optional<Text> text = read_text(s, key, "an integer");
    if (!text || !text->value) {
        return text ? Where(text->mark) : std::nullopt;
    }
    const std::string& v = *text->value;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || value < min ||
        value > max) {
        s.diag().error(text->mark, fmt::format("{} must be {}, got '{}'", s.qualify(key),
                                               describe_range(min, max), v));
    } else {
        out = value;
    }
    return text->mark;
}

void report_bad_choice(Diagnostics& diag, const YAML::Mark& mark, const std::string& name,
                       const std::vector<std::string_view>& choices, const std::string& got) {
    std::string list;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) {
            list += i + 1 == choices.size() ? " or " : ", ";
        }
        list += choices[i];
    }
    diag.error(mark, fmt::format("{} must be {}, got '{}'", name, list, got));
}

void refuse_unsupported(Diagnostics& diag, const YAML::Mark& mark, std::string_view what,
                        std::string_view planned) {
    diag.error(mark, fmt::format("{} is not supported yet (planned: {})", what, planned));
}

}  // namespace stampede::config::yaml
