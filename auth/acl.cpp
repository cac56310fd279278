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

Acl::Acl(const std::vector<broker::AclRuleConfig>& rules) {
    for (const broker::AclRuleConfig& config : rules) {
        Rule rule;
        rule.destination = config.destination;
        if (config.destination.find(kPlaceholder) == std::string::npos) {
            rule.fixed.emplace(config.destination);
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

bool Acl::grants(const std::vector<Grantee>& grantees, const Session& session) {
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
                if (!session.anonymous && !session.principal.empty()) {
                    return true;
                }
                break;
        }
    }
    return false;
}

std::optional<DestinationPattern> Acl::pattern_for(const Rule& rule, const Session& session) {
    if (rule.fixed) {
        return rule.fixed;
    }
    if (!substitutable(session.principal)) {
        return std::nullopt;
    }
    return DestinationPattern(substitute(rule.destination, session.principal));
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
    for (const Rule& rule : rules_) {
        const std::optional<DestinationPattern> pattern = pattern_for(rule, session);
        if (pattern && pattern->matches(destination)) {
            const std::vector<Grantee>& grantees =
                action == AclAction::Subscribe ? rule.subscribe : rule.send;
            return grants(grantees, session) ? AclDecision::Allow : AclDecision::Deny;
        }
    }
    return AclDecision::Deny;
}

AclDecision Acl::decide_wildcard(const Session& session,
                                 const DestinationPattern& subscription) const {
    for (const Rule& rule : rules_) {
        const std::optional<DestinationPattern> pattern = pattern_for(rule, session);
        if (!pattern || !may_overlap(*pattern, subscription)) {
            continue;  // this rule decides none of the subscription's destinations
        }
        if (!grants(rule.subscribe, session)) {
            return AclDecision::Deny;  // it may decide some of them, and would refuse
        }
        if (covers(*pattern, subscription)) {
            return AclDecision::Allow;  // it decides all that earlier rules left, allowing
        }
    }
    return AclDecision::Deny;
}

}  // namespace stampede::auth
