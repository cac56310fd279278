// The publish pipeline's refusals name the ERROR vocabulary's reasons (and the texts an HTTP
// publish answers with).
#include <gtest/gtest.h>

#include "core/publish.hpp"

namespace stampede::broker {
namespace {

using protocol::CloseReason;

TEST(PublishError, EachConvertsToItsCloseReason) {
    EXPECT_EQ(close_reason(PublishError::UnknownPrefix), CloseReason::UnknownDestinationPrefix);
    EXPECT_EQ(close_reason(PublishError::NotATopic), CloseReason::UnknownDestinationPrefix);
    EXPECT_EQ(close_reason(PublishError::AccessDenied), CloseReason::AccessDenied);
    EXPECT_EQ(close_reason(PublishError::QueueFull), CloseReason::QueueFull);
    EXPECT_EQ(protocol::close_reason_text(close_reason(PublishError::UnknownPrefix)),
              "unknown destination prefix");
    EXPECT_EQ(protocol::close_reason_text(close_reason(PublishError::AccessDenied)),
              "access denied");
    EXPECT_EQ(protocol::close_reason_text(close_reason(PublishError::QueueFull)), "queue full");
}

}  // namespace
}  // namespace stampede::broker
