// Destination patterns as the ACL reads them, and the pattern algebra the wildcard-SUBSCRIBE
// check needs. Pure values, any thread.
//
// A pattern is a literal prefix - everything through the last '/' before the first '.', e.g.
// "/topic/" in "/topic/room.*" - followed by '.'-separated segments where a segment that is
// exactly "*" matches one segment and "#" matches zero or more (RabbitMQ style, as in
// protocol/destination). Splitting the prefix off lets "/topic/#" mean "every topic", since the
// '/' ends the literal part; wildcards elsewhere inside a segment ("a*") are literal text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stampede::auth {

struct PatternSegment {
    enum class Kind : std::uint8_t { Literal, Star, Hash };
    Kind kind = Kind::Literal;
    std::string text;  // Literal only
};

class DestinationPattern {
   public:
    explicit DestinationPattern(std::string_view text);

    /// True when the concrete `destination` is one this pattern names.
    bool matches(std::string_view destination) const;
    bool has_wildcards() const;

    const std::string& prefix() const { return prefix_; }
    const std::vector<PatternSegment>& segments() const { return segments_; }

   private:
    DestinationPattern() = default;
    friend DestinationPattern widen(const DestinationPattern&, std::size_t);

    std::string prefix_;
    std::vector<PatternSegment> segments_;  // never empty: "" is one empty segment
};

/// May some destination match both patterns? Over-approximates: a "true" can be wrong, a
/// "false" never is. Used to find rules that could decide part of a subscription.
bool may_overlap(const DestinationPattern& a, const DestinationPattern& b);

/// Does `outer` match every destination `inner` matches? Under-approximates: a "false" can be
/// wrong, a "true" never is. Used to prove a rule decides all of a subscription.
bool covers(const DestinationPattern& outer, const DestinationPattern& inner);

}  // namespace stampede::auth
