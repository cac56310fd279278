// ACL decisions: first matching rule wins, default deny once any rule exists, and the
// conservative wildcard-SUBSCRIBE check. Pure and const after construction: any thread.
#include "auth/acl.hpp"

#include <algorithm>

namespace stampede::auth {
namespace {

constexpr std::string_view kPlaceholder = "{principal}";
constexpr std::string_view kUserPrefix = "user:";
constexpr std::string_view kRolePrefix = "role:";

// A principal with pattern syntax in it could widen a {principal} rule to other users'
// destinations ("a.#" in /queue/user.{principal}), so such a principal never matches one.
bool substitutable(std::string_view principal) {
    return !principal.empty() && principal.find_first_of("/.*#") == std::string_view::npos;
}

std::string substitute(std::string_view text, std::string_view principal) {
    std::string out;
    for (;;) {
        const std::size_t at = text.find(kPlaceholder);
        out.append(text.substr(0, at));
        if (at == std::string_view::npos) {
            return out;
        }
        out.append(principal);
        text.remove_prefix(at + kPlaceholder.size());
    }
}

}  // namespace

Acl::Acl(const std::vector<config::AclRuleConfig>& rules) {
    for (const config::AclRuleConfig& config : rules) {
        Rule rule;
        rule.destination = config.destination;
        if (config.destination.find(kPlaceholder) == std::string::npos) {
            rule.fixed.emplace(config.destination);
        } else {
            rule.widened.emplace(substitute(config.destination, "*"));
        }
        rule.subscribe = parse_grantees(config.subscribe);
        rule.send = parse_grantees(config.send);
        rules_.push_back(std::move(rule));
    }
}

std::vector<Acl::Grantee> Acl::parse_grantees(const std::vector<std::string>& entries) {
    std::vector<Grantee> grantees;
    for (const std::string& entry : entries) {
        Grantee grantee;
        if (entry == "user:{principal}") {
            grantee.kind = Grantee::Kind::OwnPrincipal;
        } else if (entry.starts_with(kUserPrefix)) {
            grantee.kind = Grantee::Kind::User;
            grantee.name = entry.substr(kUserPrefix.size());
        } else if (entry.starts_with(kRolePrefix)) {
            grantee.name = entry.substr(kRolePrefix.size());
        } else {
            grantee.name = entry;
        }
        grantees.push_back(std::move(grantee));
    }
    return grantees;
}

bool Acl::grants(const std::vector<Grantee>& grantees, const Session& session,
                 std::string_view owner) {
    for (const Grantee& grantee : grantees) {
        switch (grantee.kind) {
            case Grantee::Kind::Role:
                if (std::find(session.roles.begin(), session.roles.end(), grantee.name) !=
                    session.roles.end()) {
                    return true;
                }
                break;
            case Grantee::Kind::User:
                if (!session.anonymous && !grantee.name.empty() &&
                    session.principal == grantee.name) {
                    return true;
                }
                break;
            case Grantee::Kind::OwnPrincipal:
                if (!session.anonymous && !owner.empty() && session.principal == owner) {
                    return true;
                }
                break;
        }
    }
    return false;
}

// `{principal}` captures the destination's owner: "/queue/user.{principal}" matches
// "/queue/user.alice" with owner "alice", whoever asks; `user:{principal}` then grants only
// alice, while a role listed on the same rule (a backend) may act on every user's queue.
// The owner is one run of characters without '/', '.', '*' or '#', so a principal holding
// any of those never owns a destination. Candidates are the destination's segments.
bool Acl::rule_matches(const Rule& rule, std::string_view destination, std::string& owner) {
    owner.clear();
    if (rule.fixed) {
        return rule.fixed->matches(destination);
    }
    std::size_t start = 0;
    while (start <= destination.size()) {
        const std::size_t end =
            std::min(destination.find_first_of("/.", start), destination.size());
        const std::string_view candidate = destination.substr(start, end - start);
        if (substitutable(candidate) &&
            DestinationPattern(substitute(rule.destination, candidate)).matches(destination)) {
            owner.assign(candidate);
            return true;
        }
        start = end + 1;
    }
    return false;
}

AclDecision Acl::decide(std::string_view principal, std::span<const std::string> roles,
                        bool anonymous, AclAction action, std::string_view destination) const {
    if (rules_.empty()) {
        return AclDecision::Allow;
    }
    const Session session{principal, roles, anonymous};
    if (action == AclAction::Subscribe) {
        const DestinationPattern subscription(destination);
        if (subscription.has_wildcards()) {
            return decide_wildcard(session, subscription);
        }
    }
    return decide_concrete(session, action, destination);
}

AclDecision Acl::decide_concrete(const Session& session, AclAction action,
                                 std::string_view destination) const {
    std::string owner;
    for (const Rule& rule : rules_) {
        if (rule_matches(rule, destination, owner)) {
            const std::vector<Grantee>& grantees =
                action == AclAction::Subscribe ? rule.subscribe : rule.send;
            return grants(grantees, session, owner) ? AclDecision::Allow : AclDecision::Deny;
        }
    }
    return AclDecision::Deny;
}

AclDecision Acl::decide_wildcard(const Session& session,
                                 const DestinationPattern& subscription) const {
    for (const Rule& rule : rules_) {
        // A {principal} rule may decide any owner's destinations here: it is taken widened,
        // and user:{principal} grants nothing (a wildcard could reach other owners).
        if (!rule.fixed && substitutable(session.principal)) {
            // Every destination of the subscription is the session's own: decided as such.
            const DestinationPattern own(substitute(rule.destination, session.principal));
            if (covers(own, subscription)) {
                return grants(rule.subscribe, session, session.principal) ? AclDecision::Allow
                                                                          : AclDecision::Deny;
            }
        }
        const std::optional<DestinationPattern>& pattern = rule.fixed ? rule.fixed : rule.widened;
        if (!pattern || !may_overlap(*pattern, subscription)) {
            continue;  // this rule decides none of the subscription's destinations
        }
        if (!grants(rule.subscribe, session, {})) {
            return AclDecision::Deny;  // it may decide some of them, and would refuse
        }
        if (covers(*pattern, subscription)) {
            return AclDecision::Allow;  // it decides all that earlier rules left, allowing
        }
    }
    return AclDecision::Deny;
}

}  // namespace stampede::auth
