// ACL decisions as truth tables: first match wins, default deny, roles, user:NAME,
// user:{principal}, {principal} substitution and its refusals, anonymous sessions, and the
// wildcard-SUBSCRIBE rule ("allowed only if every destination it can match is allowed").
#include "auth/acl.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::auth {
namespace {

config::AclRuleConfig rule(std::string destination, std::vector<std::string> subscribe,
                           std::vector<std::string> send) {
    return {std::move(destination), std::move(subscribe), std::move(send)};
}

// The rules every table below runs against.
Acl chat_acl() {
    return Acl({
        rule("/topic/admin/#", {"admin"}, {"admin"}),
        rule("/topic/room.*", {"member", "admin"}, {"member"}),
        rule("/queue/user.{principal}", {"user:{principal}"}, {"role:backend"}),
        rule("/queue/user.*", {}, {"backend"}),  // backends may write to every user's queue
        rule("/topic/public.#", {"anonymous", "member"}, {}),
        rule("/topic/ops.alerts", {"user:carol"}, {"user:carol", "ops"}),
    });
}

Principal who(std::string name, std::vector<std::string> roles) {
    Principal p;
    p.name = std::move(name);
    p.roles = std::move(roles);
    return p;
}

const Principal kAlice = who("alice", {"member"});
const Principal kBob = who("bob", {"member"});
const Principal kRoot = who("root", {"admin"});
const Principal kCarol = who("carol", {});
const Principal kBackend = who("svc", {"backend"});
const Principal kAnon = anonymous_principal("0-17");

struct Row {
    const Principal* principal;
    AclAction action;
    const char* destination;
    AclDecision expected;
};

constexpr AclAction Sub = AclAction::Subscribe;
constexpr AclAction Send = AclAction::Send;
constexpr AclDecision Allow = AclDecision::Allow;
constexpr AclDecision Deny = AclDecision::Deny;

void check(const Acl& acl, const std::vector<Row>& rows) {
    for (const Row& row : rows) {
        EXPECT_EQ(acl.decide(*row.principal, row.action, row.destination), row.expected)
            << row.principal->name << (row.action == Sub ? " SUBSCRIBE " : " SEND ")
            << row.destination;
    }
}

TEST(AclTest, NoRulesAllowsEverything) {
    const Acl acl;
    EXPECT_TRUE(acl.empty());
    check(acl, {{&kAnon, Sub, "/topic/#", Allow}, {&kAnon, Send, "/queue/x", Allow}});
}

TEST(AclTest, ConcreteDestinations) {
    check(chat_acl(), {
                          {&kAlice, Sub, "/topic/room.1", Allow},
                          {&kAlice, Send, "/topic/room.1", Allow},
                          {&kRoot, Sub, "/topic/room.1", Allow},
                          {&kRoot, Send, "/topic/room.1", Deny},  // send lists member only
                          {&kAlice, Sub, "/topic/admin/log", Deny},
                          {&kRoot, Sub, "/topic/admin/log", Allow},
                          {&kRoot, Send, "/topic/admin/a.b.c", Allow},
                          {&kAlice, Sub, "/topic/room.1.2", Deny},  // no rule: default deny
                          {&kAlice, Sub, "/topic/lobby", Deny},
                          {&kAlice, Send, "/topic/public.news", Deny},  // empty send list
                          {&kAlice, Sub, "/topic/public.news", Allow},
                          {&kAnon, Sub, "/topic/public", Allow},
                          {&kAnon, Sub, "/topic/room.1", Deny},
                          {&kAnon, Send, "/topic/public.x", Deny},
                      });
}

TEST(AclTest, UserEntriesAndRolePrefix) {
    check(chat_acl(), {
                          {&kCarol, Sub, "/topic/ops.alerts", Allow},
                          {&kCarol, Send, "/topic/ops.alerts", Allow},
                          {&kAlice, Sub, "/topic/ops.alerts", Deny},
                          {&kBackend, Send, "/queue/user.alice", Allow},  // role:backend / backend
                      });
    const Principal ops = who("dave", {"ops"});
    check(chat_acl(),
          {{&ops, Send, "/topic/ops.alerts", Allow}, {&ops, Sub, "/topic/ops.alerts", Deny}});
    // An anonymous session whose generated name happens to be listed gets nothing by name.
    const Acl by_name({rule("/topic/x", {"user:anonymous:0-17"}, {})});
    check(by_name, {{&kAnon, Sub, "/topic/x", Deny}});
}

TEST(AclTest, PrincipalSubstitution) {
    check(chat_acl(), {
                          {&kAlice, Sub, "/queue/user.alice", Allow},
                          {&kBob, Sub, "/queue/user.bob", Allow},
                          {&kBob, Sub, "/queue/user.alice", Deny},  // falls to user.*: no subscribe
                          {&kAlice, Send, "/queue/user.alice", Deny},
                          {&kBackend, Sub, "/queue/user.svc", Allow},  // its own queue
                          {&kBackend, Sub, "/queue/user.alice", Deny},
                          {&kAnon, Sub, "/queue/user.anonymous:0-17", Deny},
                      });
}

TEST(AclTest, OwnPrincipalGranteeNeedsAnAuthenticatedSession) {
    const Acl acl({rule("/queue/user.{principal}", {"user:{principal}"}, {"user:{principal}"})});
    const Principal svc = who("svc", {});
    check(acl, {
                   {&svc, Sub, "/queue/user.svc", Allow},
                   {&svc, Send, "/queue/user.svc", Allow},
                   // anonymous:0-17 is substituted, matches, but never is user:{principal}.
                   {&kAnon, Sub, "/queue/user.anonymous:0-17", Deny},
               });
}

TEST(AclTest, PrincipalsWithPatternSyntaxNeverMatchPrincipalRules) {
    // With literal substitution, "a.#" would turn /queue/user.{principal} into a pattern over
    // every user's queue. Such principals skip the rule (and here fall to the catch-all).
    const Acl acl(
        {rule("/queue/user.{principal}", {"user:{principal}"}, {}), rule("/queue/#", {}, {})});
    for (const char* name : {"a.b", "a.#", "*", "#", "x/y", ""}) {
        const Principal p = who(name, {"member"});
        EXPECT_EQ(acl.decide(p, Sub, std::string("/queue/user.") + name), Deny) << name;
        EXPECT_EQ(acl.decide(p, Sub, "/queue/user.a.b"), Deny) << name;
        EXPECT_EQ(acl.decide(p, Sub, "/queue/user.z"), Deny) << name;
    }
    const Principal colon = who("auth0|123:x", {});
    EXPECT_EQ(acl.decide(colon, Sub, "/queue/user.auth0|123:x"), Allow);
}

TEST(AclTest, PlaceholderAnywhereInThePattern) {
    const Acl acl({rule("/topic/{principal}/inbox.#", {"user:{principal}"}, {}),
                   rule("/topic/pm.{principal}.{principal}", {"user:{principal}"}, {})});
    check(acl, {
                   {&kAlice, Sub, "/topic/alice/inbox.x", Allow},
                   {&kAlice, Sub, "/topic/alice/inbox.#", Allow},
                   {&kAlice, Sub, "/topic/bob/inbox.x", Deny},
                   {&kAlice, Sub, "/topic/pm.alice.alice", Allow},
                   {&kAlice, Sub, "/topic/pm.alice.bob", Deny},
               });
}

TEST(AclTest, WildcardSubscribeMustBeCoveredEntirely) {
    check(chat_acl(), {
                          {&kAlice, Sub, "/topic/room.*", Allow},
                          {&kRoot, Sub, "/topic/room.*", Allow},
                          // room.# also names /topic/room and /topic/room.a.b, which no rule
                          // allows.
                          {&kAlice, Sub, "/topic/room.#", Deny},
                          // /topic/# reaches /topic/admin/... first, which alice may not read.
                          {&kAlice, Sub, "/topic/#", Deny},
                          {&kAlice, Sub, "/topic/*", Deny},    // "admin/x" is one segment
                          {&kAlice, Sub, "/topic/*.1", Deny},  // admin/x.1 too
                          {&kRoot, Sub, "/topic/admin/#", Allow},
                          {&kRoot, Sub, "/topic/admin/x.*", Allow},
                          // admin passes rule 1 partly but public.# is not for admins.
                          {&kRoot, Sub, "/topic/#", Deny},
                          {&kAnon, Sub, "/topic/public.#", Allow},
                          {&kAnon, Sub, "/topic/public.*.*", Allow},
                          {&kAnon, Sub, "/topic/#", Deny},
                          {&kAlice, Sub, "/queue/user.*", Deny},  // other users' queues too
                          {&kAlice, Sub, "/queue/#", Deny},
                          {&kAlice, Sub, "/queue/user.alice.#", Deny},
                      });
}

TEST(AclTest, WildcardSubscribeAllowedWhenEveryRuleOnTheWayAllows) {
    const Acl acl({
        rule("/topic/news.sport", {"reader"}, {}),
        rule("/topic/news.#", {"reader"}, {}),
        rule("/topic/#", {}, {}),
    });
    const Principal reader = who("r", {"reader"});
    check(acl, {
                   // news.sport overlaps and allows but covers part; news.# covers the rest.
                   {&reader, Sub, "/topic/news.*", Allow},
                   {&reader, Sub, "/topic/news.#", Allow},
                   {&reader, Sub, "/topic/*", Deny},  // /topic/weather is decided by /topic/#
               });
    const Acl with_deny_first({
        rule("/topic/news.secret", {}, {}),
        rule("/topic/news.#", {"reader"}, {}),
    });
    check(with_deny_first, {
                               {&reader, Sub, "/topic/news.*", Deny},
                               {&reader, Sub, "/topic/news.public", Allow},
                               {&reader, Sub, "/topic/news.secret", Deny},
                           });
}

TEST(AclTest, SendIsAlwaysConcrete) {
    // A SEND destination is a name, not a pattern: '*' there is a literal segment.
    const Acl acl({rule("/topic/room.*", {}, {"member"})});
    check(acl, {{&kAlice, Send, "/topic/room.*", Allow}, {&kAlice, Send, "/topic/room.#", Allow}});
}

}  // namespace
}  // namespace stampede::auth

namespace stampede::auth {
namespace {

// {principal} captures the destination's owner: the rule decides every user's queue, not
// only the asker's, so a later, wider rule cannot hand alice bob's queue.
TEST(AclCaptureTest, PrincipalRuleDecidesEveryOwnersDestination) {
    const Acl acl({rule("/queue/user.{principal}", {"user:{principal}"}, {"backend"}),
                   rule("/queue/#", {"member"}, {"member"})});
    check(acl, {
                   {&kAlice, Sub, "/queue/user.alice", Allow},
                   {&kAlice, Sub, "/queue/user.bob", Deny},  // rule 1 decides: not alice's
                   {&kBackend, Send, "/queue/user.alice", Allow},
                   {&kBackend, Send, "/queue/user.bob", Allow},
                   {&kAlice, Send, "/queue/user.bob", Deny},
                   {&kAlice, Sub, "/queue/jobs", Allow},  // rule 2
                   {&kAlice, Sub, "/queue/#", Deny},      // would reach bob's queue
                   {&kAlice, Sub, "/queue/user.*", Deny},
                   {&kAnon, Sub, "/queue/user.anonymous:0-17", Deny},
               });
}

}  // namespace
}  // namespace stampede::auth
