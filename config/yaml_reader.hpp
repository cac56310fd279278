// Config reading helpers: YAML maps read as Sections with a known-keys check, ${VAR}
// interpolation, K_file indirection and typed scalars, each problem reported as
// "file:line: message". Internal to the config loader; main thread only (start and SIGHUP).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stampede::config {
struct AuthConfig;
struct Config;
struct PresenceConfig;
struct LaravelIngress;
}  // namespace stampede::config

namespace stampede::config::yaml {

/// Errors and warnings of one file, each kept with its 1-based line so they come out in
/// file order whatever order the sections were read in. At most kMaxShown of each are kept
/// (the first ones in file order), so a file with a bad line per node cannot grow them
/// without bound; the rest are counted into one last "too many ..." line.
class Diagnostics {
   public:
    static constexpr std::size_t kMaxShown = 100;

    explicit Diagnostics(std::string file) : file_(std::move(file)) {}

    void error(const YAML::Mark& mark, const std::string& message);
    void warn(const YAML::Mark& mark, const std::string& message);
    bool has_errors() const { return !errors_.kept.empty(); }
    /// "file:line: message" lines, sorted by line (stable within a line); past kMaxShown a
    /// last line "file:line: too many errors: N more not shown" (line: the first not shown).
    std::vector<std::string> errors() const;
    std::vector<std::string> warnings() const;

   private:
    struct Entry {
        int line;
        std::size_t order;  // report order, for stability within a line
        std::string message;
    };
    // A max-heap by (line, order) of the kMaxShown first entries in file order.
    struct List {
        std::vector<Entry> kept;
        std::size_t reported = 0;
        std::size_t dropped = 0;
        int first_dropped_line = 0;
    };
    static bool before(const Entry& a, const Entry& b);
    static void add(List& list, int line, const std::string& message);
    std::vector<std::string> format(const List& list, std::string_view what) const;

    std::string file_;
    List errors_;
    List warnings_;
};

/// Parses the config text: exactly one YAML document (an empty text gives a null node).
/// YAML anchors and aliases are refused, each at its line: a config file has no need for
/// them, and an alias chain makes a small file a huge tree. Every problem is reported;
/// nullopt when the text is not usable (bad YAML, anchors), and then nothing of it is read.
/// A second document is an error, and the first is still returned to be checked.
std::optional<YAML::Node> parse_document(const std::string& text, Diagnostics& diag);

/// A value found under a key: either written in the file, or read from the file that
/// `K_file` names (then `file_text` holds its contents, one trailing newline stripped).
struct Field {
    std::string name;  // dotted path used in messages, e.g. "listeners[0].port"
    YAML::Node node;   // the value as written; unused when file_text is set
    YAML::Mark mark;   // the key's position
    std::optional<std::string> file_text;
    bool failed = false;  // a K_file that could not be read (already reported)
};

/// Where a key was written, when it was.
using Where = std::optional<YAML::Mark>;

/// One YAML map. Every lookup marks its key (and K_file) as known; check_unknown() then
/// reports whatever the file holds beyond that, so the readers are the list of known keys.
class Section {
   public:
    /// `node` undefined or null means an absent section: every key reads as absent.
    Section(const YAML::Node& node, std::string name, const YAML::Mark& mark, Diagnostics& diag);

    bool present() const { return present_; }
    const std::string& name() const { return name_; }
    const YAML::Mark& mark() const { return mark_; }
    Diagnostics& diag() const { return *diag_; }
    /// "limits.max_frame_bytes"; just the key at the top level.
    std::string qualify(std::string_view key) const;
    /// Where `key` (or `key_file`) is written, without marking it as known.
    Where where(const std::string& key) const;
    /// Whether `key` is written and holds a map (for keys that are a scalar or a map).
    bool holds_map(const std::string& key) const;

    /// The value under `key`, or read from the file named by `key_file` when `allow_file`.
    std::optional<Field> field(const std::string& key, bool allow_file = true);
    /// A nested map; an absent key gives an absent section. Not a map: an error.
    Section section(const std::string& key);
    /// A list of maps, each as a Section named "key[i]"; bad items are reported and skipped.
    std::vector<Section> list(const std::string& key);

    /// The keys written in this map, in file order (for maps whose keys are data, not names).
    std::vector<std::string> keys() const;
    /// Reports a required key that is absent, at this section's line.
    void missing(std::string_view key);
    /// Reports every key that no field()/section()/list() call asked for.
    void check_unknown();

   private:
    struct Entry {
        std::string key;
        YAML::Mark mark;
        YAML::Node value;
        bool used = false;
    };
    Entry* take(const std::string& key);
    const Entry* find(const std::string& key) const;

    std::string name_;
    YAML::Mark mark_;
    Diagnostics* diag_;
    bool present_ = false;
    std::vector<Entry> entries_;
};

/// Replaces every ${NAME} in `text` from the environment. A lone `$` stays literal.
/// nullopt (reported) when a variable is unset or a reference is malformed.
std::optional<std::string> interpolate_env(std::string_view text, const YAML::Mark& mark,
                                           Diagnostics& diag);

/// A field's scalar text after ${VAR} interpolation (file contents are taken verbatim).
/// nullopt (reported as "<name> must be <expected>, got ...") when it is not a scalar.
std::optional<std::string> scalar_text(const Field& f, std::string_view expected,
                                       Diagnostics& diag);

/// The text of a scalar key, as scalar_text().
struct Text {
    YAML::Mark mark;
    std::optional<std::string> value;  // nullopt: present but unusable (already reported)
};
std::optional<Text> read_text(Section& s, const std::string& key, std::string_view expected,
                              bool allow_file = true);

// Typed readers: absent keys leave `out` at its default and return nullopt; present keys
// return where they are, and a bad value is reported and leaves `out` unchanged.
Where read_string(Section& s, const std::string& key, std::string& out, bool allow_file = true);
/// A string that must be present and non-empty.
Where read_required_string(Section& s, const std::string& key, std::string& out);
/// A string that may be absent (the default stays) but not empty.
Where read_nonempty_string(Section& s, const std::string& key, std::string& out);
Where read_strings(Section& s, const std::string& key, std::vector<std::string>& out,
                   bool allow_file = true);
/// A string or a list of strings (JWT audience).
Where read_string_or_list(Section& s, const std::string& key, std::vector<std::string>& out);
Where read_bool(Section& s, const std::string& key, bool& out);
/// null, true or false.
Where read_optional_bool(Section& s, const std::string& key, std::optional<bool>& out);
Where read_double(Section& s, const std::string& key, double& out, double min);
Where read_u64(Section& s, const std::string& key, std::uint64_t& out, std::uint64_t min,
               std::uint64_t max);

template <class T>
Where read_uint(Section& s, const std::string& key, T& out, std::uint64_t min = 0,
                std::uint64_t max = std::numeric_limits<T>::max()) {
    std::uint64_t value = out;
    Where where = read_u64(s, key, value, min, max);
    out = static_cast<T>(value);  // in range: read_u64 checked it against max
    return where;
}

/// Reports "<name> must be a, b or c, got 'x'".
void report_bad_choice(Diagnostics& diag, const YAML::Mark& mark, const std::string& name,
                       const std::vector<std::string_view>& choices, const std::string& got);

template <class E>
Where read_enum(Section& s, const std::string& key, E& out,
                std::initializer_list<std::pair<std::string_view, E>> choices) {
    std::optional<Text> text = read_text(s, key, "a string");
    if (!text) {
        return std::nullopt;
    }
    if (text->value) {
        std::vector<std::string_view> names;
        for (const auto& [name, value] : choices) {
            if (name == *text->value) {
                out = value;
                return text->mark;
            }
            names.push_back(name);
        }
        report_bad_choice(s.diag(), text->mark, s.qualify(key), names, *text->value);
    }
    return text->mark;
}

/// A key whose feature is not built yet. It stays parsed, so the error points at the line
/// that sets it and the key can come back with its issue; set to anything but its default,
/// it is refused, so nobody runs a config that only looks as if it worked.
void refuse_unsupported(Diagnostics& diag, const YAML::Mark& mark, std::string_view what,
                        std::string_view planned);

/// The `offline_hook` section (offline_hook_section.cpp), checked against the rest of `c`
/// (storage, cluster, rooms), which is read before it.
void read_offline_hook(Section s, Config& c);

/// The `auth` section (auth_section.cpp).
void read_auth(Section s, AuthConfig& auth);
/// A room's `presence` key in `room` (presence_section.cpp): true, false or a map;
/// `captures` are the room pattern's capture names, which its templates may use.
void read_presence(Section& room, PresenceConfig& presence,
                   const std::vector<std::string>& captures);
/// cluster.redis.laravel (laravel_section.cpp): the prefix and the channel -> destination map.
void read_laravel(Section s, LaravelIngress& laravel);

}  // namespace stampede::config::yaml
