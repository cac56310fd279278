// Token refresh on a live session (SEND /stampede/token) and expiry warnings (SUBSCRIBE
// /stampede/token): the real authenticator and JWT issuers (HS256 with test secrets), a
// FakeTransport to read the timer the session asks for.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "../auth/jose_signer.hpp"
#include "auth/guards.hpp"
#include "core/session.hpp"
#include "fake_host.hpp"

namespace stampede::broker {
namespace {

using fakes::Client;
using fakes::FakeHost;
using fakes::frame;

using namespace std::string_literals;

constexpr std::string_view kMembersSecret = "members-secret-members-secret-members";
constexpr std::string_view kPartnersSecret = "partners-secret-partners-secret-partner";

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Two issuers with their own secrets and iss, leeway 0 so "expired" means what it says.
std::shared_ptr<const auth::Guards> two_issuers() {
    std::vector<config::JwtIssuerConfig> issuers(2);
    issuers[0].name = "members";
    issuers[0].issuer = "https://members";
    issuers[0].algorithms = {"HS256"};
    issuers[0].keys.secret = std::string(kMembersSecret);
    issuers[0].leeway_s = 0;
    issuers[1].name = "partners";
    issuers[1].issuer = "https://partners";
    issuers[1].algorithms = {"HS256"};
    issuers[1].keys.secret = std::string(kPartnersSecret);
    issuers[1].leeway_s = 0;
    auth::GuardsResult loaded = auth::load_guards(issuers, 8192);
    EXPECT_TRUE(loaded.errors.empty()) << loaded.errors.front();
    return loaded.guards;
}

struct Claims {
    std::string sub = "alice";
    std::int64_t exp = now_s() + 3600;
    std::string roles = R"(["member"])";
    std::string iss = "https://members";
};

std::string mint(const Claims& c, std::string_view secret = kMembersSecret) {
    const std::string payload = R"({"sub":")" + c.sub + R"(","iss":")" + c.iss + R"(","exp":)" +
                                std::to_string(c.exp) + R"(,"roles":)" + c.roles + "}";
    return auth::testing::mint(auth::Algorithm::HS256, nullptr, secret,
                               auth::testing::header_for(auth::Algorithm::HS256), payload);
}

std::string mint_partner(const Claims& c) {
    Claims partner = c;
    partner.iss = "https://partners";
    return mint(partner, kPartnersSecret);
}

class SessionTokenTest : public ::testing::Test {
   protected:
    SessionTokenTest() {
        host.security_.guards = two_issuers();
        // Members read rooms; only admins read /topic/admin.*; everyone may send.
        std::vector<config::AclRuleConfig> rules = {
            {"/topic/admin.#", {"admin"}, {"member", "admin"}},
            {"/topic/#", {"member", "admin"}, {"member", "admin"}}};
        host.security_.acl = std::make_shared<const auth::Acl>(rules);
    }

    /// CONNECT with `token`; returns the CONNECTED frame.
    std::string connect(Client& c, const std::string& token) {
        c.session.on_bytes(
            frame("CONNECT\naccept-version:1.2\nhost:x\nAuthorization:Bearer " + token + "\n\n"));
        return c.take();
    }
    std::string refresh(Client& c, const std::string& token) {
        c.session.on_bytes(
            frame("SEND\ndestination:/stampede/token\nreceipt:r1\nAuthorization:Bearer " + token +
                  "\n\n"));
        return c.take();
    }

    FakeHost host;
};

std::string expires_header(std::int64_t exp) {
    return "x-token-expires-at:" + std::to_string(exp * 1000) + "\n";
}

TEST_F(SessionTokenTest, ConnectedCarriesTheTokensExpiry) {
    Client c(host, 1);
    const Claims claims;
    const std::string connected = connect(c, mint(claims));
    ASSERT_TRUE(connected.starts_with("CONNECTED\n")) << connected;
    EXPECT_NE(connected.find(expires_header(claims.exp)), std::string::npos) << connected;
}

TEST_F(SessionTokenTest, RefreshAdoptsExpiryAndRolesAndMovesTheExpiryTimer) {
    Client c(host, 1);
    Claims first;
    first.exp = now_s() + 20;
    connect(c, mint(first));
    EXPECT_LE(c.transport.timer_ms, 20000U);  // on_expiry: disconnect at the first exp

    Claims second;
    second.exp = now_s() + 3600;
    second.roles = R"(["member","admin"])";
    const std::string receipt = refresh(c, mint(second));
    EXPECT_EQ(receipt, "RECEIPT\nreceipt-id:r1\n" + expires_header(second.exp) + "\n"s + '\0');
    EXPECT_EQ(c.session.state(), Session::State::Connected);
    EXPECT_EQ(c.session.principal().expires_at, second.exp);
    EXPECT_TRUE(c.session.principal().has_role("admin"));
    EXPECT_GT(c.transport.timer_ms, 3500000U);  // the deadline follows the new exp
    c.session.on_timer();  // the first token's deadline no longer ends anything
    EXPECT_EQ(c.session.state(), Session::State::Connected);

    // The new role is in force at once.
    c.session.on_bytes(frame("SUBSCRIBE\nid:s1\ndestination:/topic/admin.log\nreceipt:r2\n\n"));
    EXPECT_EQ(c.take(), "RECEIPT\nreceipt-id:r2\n\n"s + '\0');
}

TEST_F(SessionTokenTest, ARefreshToAShorterTokenMovesTheDeadlineCloser) {
    Client c(host, 1);
    connect(c, mint(Claims{}));
    Claims shorter;
    shorter.exp = now_s() + 1;
    refresh(c, mint(shorter));
    EXPECT_LE(c.transport.timer_ms, 1000U);  // the deadline moved closer too
}

struct Refusal {
    std::string name;
    std::string message;
};

// Each refused refresh: ERROR with the credential reason and the SEND's receipt-id, the
// connection closes, the principal and its expiry are untouched, and the client's address
// has a failed login counted.
void expect_refused(FakeHost& host, Client& c, const std::string& out, const Refusal& refusal,
                    std::int64_t old_exp) {
    EXPECT_TRUE(out.starts_with("ERROR\nmessage:" + refusal.message + "\nreceipt-id:r1\n"))
        << refusal.name << ": " << out;
    EXPECT_NE(out.find("token refresh refused"), std::string::npos) << out;
    EXPECT_EQ(c.session.state(), Session::State::Closing) << refusal.name;
    EXPECT_EQ(c.session.principal().expires_at, old_exp) << refusal.name;
    EXPECT_EQ(c.session.principal().name, "alice") << refusal.name;
    EXPECT_EQ(host.failures().tracked(), 1U) << refusal.name;
}

TEST_F(SessionTokenTest, ARefreshForAnotherPrincipalIsRefused) {
    Client c(host, 1);
    const Claims first;
    connect(c, mint(first));
    Claims bob;
    bob.sub = "bob";
    expect_refused(host, c, refresh(c, mint(bob)), {"bob", "token principal mismatch"}, first.exp);
}

TEST_F(SessionTokenTest, AnExpiredRefreshIsRefused) {
    Client c(host, 1);
    const Claims first;
    connect(c, mint(first));
    Claims expired;
    expired.exp = now_s() - 5;
    expect_refused(host, c, refresh(c, mint(expired)), {"expired", "token expired"}, first.exp);
}

TEST_F(SessionTokenTest, ABadlySignedRefreshIsRefused) {
    Client c(host, 1);
    const Claims first;
    connect(c, mint(first));
    Claims later;
    later.exp = now_s() + 7200;
    // Claims naming the members' issuer, signed with another secret.
    expect_refused(host, c, refresh(c, mint(later, kPartnersSecret)),
                   {"bad signature", "bad token signature"}, first.exp);
}

TEST_F(SessionTokenTest, ARefreshFromAnotherIssuerIsRefused) {
    Client c(host, 1);
    const Claims first;
    connect(c, mint(first));
    // A valid token for the same sub, accepted by the other auth.jwt[] entry.
    expect_refused(host, c, refresh(c, mint_partner(first)),
                   {"other issuer", "token issuer mismatch"}, first.exp);
}

TEST_F(SessionTokenTest, ARefreshWithoutATokenIsRefused) {
    Client c(host, 1);
    const Claims first;
    connect(c, mint(first));
    c.session.on_bytes(frame("SEND\ndestination:/stampede/token\nreceipt:r1\n\n"));
    expect_refused(host, c, c.take(), {"no token", "authentication required"}, first.exp);
}

TEST_F(SessionTokenTest, ASessionThatDidNotLogInWithAJwtCannotRefresh) {
    Client c(host, 1);
    c.connect();  // anonymous
    c.session.on_bytes(
        frame("SEND\ndestination:/stampede/token\nreceipt:r1\nAuthorization:Bearer " +
              mint(Claims{}) + "\n\n"));
    const std::string out = c.take();
    EXPECT_TRUE(out.starts_with("ERROR\nmessage:token issuer mismatch\nreceipt-id:r1\n")) << out;
    EXPECT_TRUE(c.session.principal().anonymous);
    EXPECT_EQ(host.failures().tracked(), 1U);
}

TEST_F(SessionTokenTest, ARefreshPastTheFailureLimitIsNotChecked) {
    host.mutable_config()->auth.max_failures_per_minute = 1;
    Client first(host, 1);
    Client second(host, 2);
    Client third(host, 3);
    for (Client* c : {&first, &second, &third}) {
        connect(*c, mint(Claims{}));
    }
    Claims bob;
    bob.sub = "bob";
    refresh(first, mint(bob));
    refresh(second, mint(bob));  // a second failure within the minute: the address is blocked
    Claims later;
    later.exp = now_s() + 7200;
    const std::string out = refresh(third, mint(later));  // valid, but not even checked
    EXPECT_TRUE(out.starts_with("ERROR\nmessage:too many failures\nreceipt-id:r1\n")) << out;
    EXPECT_NE(third.session.principal().expires_at, later.exp);
}

TEST_F(SessionTokenTest, ASubscriptionTheNewRolesDoNotAllowEndsAndItsOwnerIsTold) {
    Client c(host, 1);
    Claims admin;
    admin.roles = R"(["admin"])";
    connect(c, mint(admin));
    c.session.on_bytes(frame("SUBSCRIBE\nid:s1\ndestination:/topic/admin.log\n\n"));
    c.session.on_bytes(frame("SUBSCRIBE\nid:s2\ndestination:/topic/room.1\n\n"));
    c.take();

    Claims member;  // roles [member]
    const std::string out = refresh(c, mint(member));
    const auto notice = out.find("MESSAGE\n");
    const auto receipt = out.find("RECEIPT\nreceipt-id:r1\n");
    ASSERT_NE(notice, std::string::npos) << out;
    ASSERT_NE(receipt, std::string::npos) << out;
    EXPECT_LT(notice, receipt) << "the notice comes before the refresh's RECEIPT";
    const std::string frame_text = out.substr(notice, receipt - notice);
    EXPECT_NE(frame_text.find("subscription:s1\n"), std::string::npos) << frame_text;
    EXPECT_NE(frame_text.find("destination:/topic/admin.log\n"), std::string::npos);
    EXPECT_NE(frame_text.find("x-subscription-ended:access revoked\n"), std::string::npos);
    EXPECT_EQ(frame_text.find("\nack:"), std::string::npos) << "nothing to acknowledge";
    EXPECT_EQ(c.session.state(), Session::State::Connected);

    // s1 is gone, s2 still delivers.
    Client sender(host, 2);
    connect(sender, mint(Claims{.sub = "carol"}));
    sender.session.on_bytes(frame("SEND\ndestination:/topic/admin.log\n\nsecret"));
    sender.session.on_bytes(frame("SEND\ndestination:/topic/room.1\n\nhello"));
    const std::string delivered = c.take();
    EXPECT_EQ(delivered.find("secret"), std::string::npos) << delivered;
    EXPECT_NE(delivered.find("subscription:s2\n"), std::string::npos) << delivered;
    EXPECT_NE(delivered.find("hello"), std::string::npos) << delivered;
}

TEST_F(SessionTokenTest, TheWarningIsScheduledTokenWarningSecondsBeforeExpiry) {
    Client c(host, 1);
    Claims claims;
    claims.exp = now_s() + 3600;
    connect(c, mint(claims));
    c.session.on_bytes(frame("SUBSCRIBE\nid:t\ndestination:/stampede/token\nreceipt:r\n\n"));
    EXPECT_EQ(c.take(), "RECEIPT\nreceipt-id:r\n\n"s + '\0');  // no warning yet
    // 3600 - 60 s away, give or take the second the test took.
    EXPECT_GE(c.transport.timer_ms, 3538000U);
    EXPECT_LE(c.transport.timer_ms, 3541000U);
}

TEST_F(SessionTokenTest, ATokenNearItsExpiryIsWarnedOfAtOnceAndAgainAfterARefresh) {
    Client c(host, 1);
    Claims first;
    first.exp = now_s() + 30;  // inside the 60 s warning period
    connect(c, mint(first));
    c.session.on_bytes(frame("SUBSCRIBE\nid:t\ndestination:/stampede/token\nreceipt:r\n\n"));
    const std::string out = c.take();
    const auto warning = out.find("MESSAGE\nsubscription:t\n");
    ASSERT_NE(warning, std::string::npos) << out;
    EXPECT_LT(out.find("RECEIPT"), warning);
    EXPECT_NE(out.find(expires_header(first.exp), warning), std::string::npos) << out;
    EXPECT_NE(out.find(R"("event":"expiring")", warning), std::string::npos) << out;
    c.session.on_timer();
    EXPECT_EQ(c.take(), "") << "one warning per expiry";

    Claims second;
    second.exp = now_s() + 40;  // still inside the period: warned of as soon as the timer runs
    refresh(c, mint(second));
    EXPECT_LE(c.transport.timer_ms, 1U);
    c.session.on_timer();
    const std::string again = c.take();
    EXPECT_NE(again.find("MESSAGE\nsubscription:t\n"), std::string::npos) << again;
    EXPECT_NE(again.find(expires_header(second.exp)), std::string::npos) << again;
}

TEST_F(SessionTokenTest, NoWarningWhenTokenWarningIsZero) {
    host.mutable_config()->auth.token_warning_s = 0;
    Client c(host, 1);
    Claims claims;
    claims.exp = now_s() + 30;
    connect(c, mint(claims));
    c.session.on_bytes(frame("SUBSCRIBE\nid:t\ndestination:/stampede/token\n\n"));
    c.session.on_timer();
    EXPECT_EQ(c.take(), "");
}

TEST_F(SessionTokenTest, AnAnonymousSessionCannotWatchATokenItDoesNotHave) {
    Client c(host, 1);
    c.connect();
    c.session.on_bytes(frame("SUBSCRIBE\nid:t\ndestination:/stampede/token\n\n"));
    EXPECT_TRUE(c.take().starts_with("ERROR\nmessage:access denied\n"));
}

TEST(SessionTokenReloadTest, AReloadedAclThatDeniesEverythingLeavesTheTokenWatcherAlone) {
    FakeHost host;
    host.security_.guards = two_issuers();
    Client c(host, 1);
    c.session.on_bytes(frame("CONNECT\naccept-version:1.2\nhost:x\nAuthorization:Bearer " +
                             mint(Claims{}) + "\n\n"));
    c.session.on_bytes(frame("SUBSCRIBE\nid:t\ndestination:/stampede/token\n\n"));
    c.take();
    std::vector<config::AclRuleConfig> nobody = {{"/#", {"nobody"}, {"nobody"}}};
    host.security_.acl = std::make_shared<const auth::Acl>(nobody);
    c.session.on_security_reloaded();
    EXPECT_EQ(c.session.state(), Session::State::Connected) << c.take();
}

}  // namespace
}  // namespace stampede::broker
