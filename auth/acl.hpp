// The ACL (auth.acl): ordered rules deciding who may SUBSCRIBE to and SEND to a destination.
// Built on the main thread at start and on SIGHUP; immutable and read from any shard, which
// caches decisions per destination.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/acl_pattern.hpp"
#include "auth/principal.hpp"
#include "config/config.hpp"

namespace stampede::auth {

enum class AclAction : std::uint8_t { Subscribe, Send };
enum class AclDecision : std::uint8_t { Allow, Deny };

class Acl {
   public:
    Acl() = default;  // no rules: everything allowed
    explicit Acl(const std::vector<config::AclRuleConfig>& rules);

    /// DESIGN.md, "Identity and access":
    /// - No rules: Allow.
    /// - A concrete destination (every SEND; a SUBSCRIBE without a '*' or '#' segment): the
    ///   first rule whose pattern matches decides; the action must be listed there for one of
    ///   the session's grantees, else Deny. No rule matches: Deny.
    /// - A wildcard SUBSCRIBE is allowed only if every destination it can match is allowed.
    ///   Rules are walked in order: a rule that may overlap the subscription and does not
    ///   grant subscribe denies it (it would decide some destination of it); a granting rule
    ///   that covers the whole subscription allows it; a granting rule that covers only part
    ///   lets the walk go on. The end of the list denies. Overlap is over-approximated and
    ///   coverage under-approximated (acl_pattern.hpp), so this errs towards Deny only.
    /// Grantees: a bare name is a role (so is `role:NAME`), `user:NAME` a principal,
    /// `user:{principal}` the session's own principal; anonymous sessions match only roles.
    /// `{principal}` in a rule's destination is replaced by the principal; a principal that
    /// contains '/', '.', '*' or '#' (or is empty) never matches such a rule.
    AclDecision decide(std::string_view principal, std::span<const std::string> roles,
                       bool anonymous, AclAction action, std::string_view destination) const;

    AclDecision decide(const Principal& principal, AclAction action,
                       std::string_view destination) const {
        return decide(principal.name, principal.roles, principal.anonymous, action, destination);
    }

    bool empty() const { return rules_.empty(); }

   private:
    struct Grantee {
        enum class Kind : std::uint8_t { Role, User, OwnPrincipal };
        Kind kind = Kind::Role;
        std::string name;
    };
    struct Rule {
        std::string destination;                  // as configured, {principal} unexpanded
        std::optional<DestinationPattern> fixed;  // compiled once when it has no {principal}
        // With {principal}: the rule with it widened to '*', for wildcard subscriptions.
        std::optional<DestinationPattern> widened;
        std::vector<Grantee> subscribe;
        std::vector<Grantee> send;
    };
    struct Session {
        std::string_view principal;
        std::span<const std::string> roles;
        bool anonymous;
    };

    static std::vector<Grantee> parse_grantees(const std::vector<std::string>& entries);
    /// `owner`: the value {principal} captured in the destination (empty: none, or a
    /// wildcard decision, where user:{principal} grants nothing).
    static bool grants(const std::vector<Grantee>& grantees, const Session& session,
                       std::string_view owner);
    /// Whether the rule matches `destination`, and what its {principal} captured.
    static bool rule_matches(const Rule& rule, std::string_view destination, std::string& owner);
    AclDecision decide_concrete(const Session& session, AclAction action,
                                std::string_view destination) const;
    AclDecision decide_wildcard(const Session& session,
                                const DestinationPattern& subscription) const;

    std::vector<Rule> rules_;
};

}  // namespace stampede::auth
