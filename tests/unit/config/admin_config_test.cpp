// http.admin and http.admin_roles: defaults, an "" that turns the admin API off, and a bad
// path refused at its line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::errors_of;
using testing::load_good;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(AdminConfigTest, Defaults) {
    const ConfigPtr c = load_good("listeners: [ { name: web } ]\n");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->http.admin, "/api/v1/admin");
    EXPECT_THAT(c->http.admin_roles, ElementsAre("admin"));
}

TEST(AdminConfigTest, SetOffAndRoles) {
    const ConfigPtr c = load_good(R"(
listeners: [ { name: web } ]
http: { admin: "", admin_roles: [ops, root] }
)");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->http.admin, "");
    EXPECT_THAT(c->http.admin_roles, ElementsAre("ops", "root"));
    const ConfigPtr none = load_good(R"(
listeners: [ { name: web } ]
http: { admin: /ops, admin_roles: [] }
)");
    ASSERT_NE(none, nullptr);
    EXPECT_EQ(none->http.admin, "/ops");
    EXPECT_THAT(none->http.admin_roles, IsEmpty());
}

TEST(AdminConfigTest, BadPathsAreRefusedAtTheirLine) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
http:
  admin: api/admin
)"),
                ElementsAre("t.yaml:3: http.admin must start with '/', got 'api/admin'"));
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
http:
  admin: /api/admin/
)"),
                ElementsAre("t.yaml:3: http.admin must not end with '/', got '/api/admin/'"));
}

}  // namespace
}  // namespace stampede::config
