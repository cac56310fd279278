// Pattern matching, overlap and inclusion over '.'-segments. Pure, any thread.
//
// Inclusion ("covers") is decided symbolically: `inner` is read as a word over the tokens
// {literal, *, #}, and `outer` must match that word where its literal matches only the same
// literal, its '*' matches a literal or a '*', and its '#' matches any run of tokens. Every
// destination of `inner` is then matched by `outer` (sound); some true inclusions are missed,
// e.g. "*.#" covers "#.*" (both mean "one or more"), which only costs a refused subscription.
// Overlap walks both patterns together (a product automaton) looking for a common word.
// When the literal prefixes differ, one pattern is rewritten over the other's prefix (see
// widen and narrow); where that cannot be exact the rewrite errs wide, which keeps overlap an
// over- and inclusion an under-approximation.
#include "auth/acl_pattern.hpp"

#include <algorithm>

namespace stampede::auth {
namespace {

using Kind = PatternSegment::Kind;

// Two-dimensional tables beyond this (a rule with many segments against a huge subscription)
// are not built; the answer is the conservative one instead.
constexpr std::size_t kMaxCells = std::size_t{1} << 20;

std::vector<std::string_view> split(std::string_view name) {
    std::vector<std::string_view> segments;
    for (;;) {
        const std::size_t dot = name.find('.');
        segments.push_back(name.substr(0, dot));
        if (dot == std::string_view::npos) {
            return segments;
        }
        name.remove_prefix(dot + 1);
    }
}

// Can `outer`'s token stand for `inner`'s (one segment each; '#' is handled by the caller)?
bool stands_for(const PatternSegment& outer, Kind inner_kind, std::string_view inner_text) {
    if (outer.kind == Kind::Star) {
        return inner_kind != Kind::Hash;
    }
    return inner_kind == Kind::Literal && outer.text == inner_text;
}

// One row at a time: row[j] says outer[0..i) matches inner[0..j).
template <typename InnerKind, typename InnerText>
bool symbolic_match(const std::vector<PatternSegment>& outer, std::size_t inner_size,
                    InnerKind kind_at, InnerText text_at) {
    std::vector<char> row(inner_size + 1, 0);
    std::vector<char> next(inner_size + 1, 0);
    row[0] = 1;
    for (const PatternSegment& token : outer) {
        if (token.kind == Kind::Hash) {
            char seen = 0;
            for (std::size_t j = 0; j <= inner_size; ++j) {
                seen = static_cast<char>(seen | row[j]);
                next[j] = seen;
            }
        } else {
            next[0] = 0;
            for (std::size_t j = 1; j <= inner_size; ++j) {
                next[j] = static_cast<char>(row[j - 1] &&
                                            stands_for(token, kind_at(j - 1), text_at(j - 1)));
            }
        }
        row.swap(next);
    }
    return row[inner_size] != 0;
}

bool match_segments(const std::vector<PatternSegment>& outer,
                    const std::vector<PatternSegment>& inner) {
    return symbolic_match(
        outer, inner.size(), [&](std::size_t j) { return inner[j].kind; },
        [&](std::size_t j) { return std::string_view(inner[j].text); });
}

bool overlap_segments(const std::vector<PatternSegment>& a, const std::vector<PatternSegment>& b) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    if ((n + 1) * (m + 1) > kMaxCells) {
        return true;
    }
    // reach[i][j]: some word prefix is matched by a[0..i) and by b[0..j).
    std::vector<char> reach((n + 1) * (m + 1), 0);
    const auto at = [&](std::size_t i, std::size_t j) -> char& { return reach[i * (m + 1) + j]; };
    at(0, 0) = 1;
    for (std::size_t i = 0; i <= n; ++i) {
        for (std::size_t j = 0; j <= m; ++j) {
            if (!at(i, j)) {
                continue;
            }
            const bool a_hash = i < n && a[i].kind == Kind::Hash;
            const bool b_hash = j < m && b[j].kind == Kind::Hash;
            if (a_hash) {
                at(i + 1, j) = 1;  // '#' takes nothing
                if (j < m) {
                    at(i, j + 1) = 1;  // '#' takes b[j]'s segment (or b's '#' takes nothing)
                }
            }
            if (b_hash) {
                at(i, j + 1) = 1;
                if (i < n) {
                    at(i + 1, j) = 1;
                }
            }
            if (i < n && j < m && !a_hash && !b_hash) {
                const bool compatible =
                    a[i].kind == Kind::Star || b[j].kind == Kind::Star || a[i].text == b[j].text;
                if (compatible) {
                    at(i + 1, j + 1) = 1;
                }
            }
        }
    }
    return at(n, m) != 0;
}

}  // namespace

DestinationPattern::DestinationPattern(std::string_view text) {
    const std::size_t dot = text.find('.');
    const std::size_t slash = text.substr(0, dot).rfind('/');
    const std::size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
    prefix_ = std::string(text.substr(0, name_start));
    for (const std::string_view segment : split(text.substr(name_start))) {
        PatternSegment token;
        if (segment == "*") {
            token.kind = Kind::Star;
        } else if (segment == "#") {
            token.kind = Kind::Hash;
        } else {
            token.text = std::string(segment);
        }
        segments_.push_back(std::move(token));
    }
}

bool DestinationPattern::matches(std::string_view destination) const {
    if (!destination.starts_with(prefix_)) {
        return false;
    }
    const std::vector<std::string_view> name = split(destination.substr(prefix_.size()));
    return symbolic_match(
        segments_, name.size(), [](std::size_t) { return Kind::Literal; },
        [&](std::size_t j) { return name[j]; });
}

bool DestinationPattern::has_wildcards() const {
    return std::any_of(segments_.begin(), segments_.end(),
                       [](const PatternSegment& s) { return s.kind != Kind::Literal; });
}

// `pattern` rewritten over its first `length` prefix bytes, for inclusion. The rest of the
// old prefix (no '.', ends in '/') joins the first segment: exact for a literal; a '*' stays
// '*' and a '#' becomes a lone '#', both wider than the original, which keeps covers() sound.
DestinationPattern widen(const DestinationPattern& pattern, std::size_t length) {
    DestinationPattern wider;
    wider.prefix_ = pattern.prefix_.substr(0, length);
    const std::string extra = pattern.prefix_.substr(length);
    wider.segments_ = pattern.segments_;
    if (extra.empty()) {
        return wider;
    }
    PatternSegment& first = wider.segments_.front();
    if (first.kind == Kind::Literal) {
        first.text = extra + first.text;
    } else if (first.kind == Kind::Hash) {
        wider.segments_.assign(1, first);
    }
    return wider;
}

// The part of `pattern` whose destinations start with `longer` (which extends its prefix),
// written over `longer`, for overlap. The extra prefix text ends in '/' and a pattern's first
// segment holds no '/' when literal (its prefix runs to the last '/' before the first '.'),
// so a literal first segment leaves nothing; '*' stays '*' (exact); '#' becomes a lone '#'
// (wider, which keeps may_overlap an over-approximation). Empty = no common destination.
std::vector<PatternSegment> narrow(const DestinationPattern& pattern) {
    const PatternSegment& first = pattern.segments().front();
    if (first.kind == Kind::Literal) {
        return {};
    }
    if (first.kind == Kind::Hash) {
        return {first};
    }
    return pattern.segments();
}

bool may_overlap(const DestinationPattern& a, const DestinationPattern& b) {
    if (a.prefix() == b.prefix()) {
        return overlap_segments(a.segments(), b.segments());
    }
    if (b.prefix().starts_with(a.prefix())) {
        const std::vector<PatternSegment> narrowed = narrow(a);
        return !narrowed.empty() && overlap_segments(narrowed, b.segments());
    }
    if (a.prefix().starts_with(b.prefix())) {
        const std::vector<PatternSegment> narrowed = narrow(b);
        return !narrowed.empty() && overlap_segments(a.segments(), narrowed);
    }
    return false;  // neither prefix extends the other: no string starts with both
}

bool covers(const DestinationPattern& outer, const DestinationPattern& inner) {
    if (outer.prefix() == inner.prefix()) {
        return match_segments(outer.segments(), inner.segments());
    }
    if (inner.prefix().starts_with(outer.prefix())) {
        return match_segments(outer.segments(), widen(inner, outer.prefix().size()).segments());
    }
    // outer's literal prefix is longer: inner's first segment has no '/', so it cannot
    // spell out outer's extra prefix for every destination.
    return false;
}

}  // namespace stampede::auth
