// LaravelRoutes: a Laravel broadcast (the exact payload its Redis broadcaster PUBLISHes) becomes
// a publish to the mapped destination; anything else is ignored with a reason.
#include "cluster/laravel_broadcast.hpp"

#include <gtest/gtest.h>

namespace stampede::broker {
namespace {

LaravelRoutes routes() {
    config::LaravelIngress config;
    config.prefix = "laravel_database_";
    config.channels = {{"private-chat.{id}", "/topic/chat.{id}"}, {"news", "/topic/news"}};
    return LaravelRoutes(config);
}

// Laravel 10/11's RedisBroadcaster: json_encode(['event' => ..., 'data' => $payload,
// 'socket' => Arr::pull($payload, 'socket')]); `data` still holds the socket it pulled.
constexpr const char* kLaravelPayload =
    R"({"event":"App\\Events\\MessageSent","data":{"message":{"id":5,"body":"hi"},)"
    R"("user":{"id":7,"name":"Ann"},"socket":null},"socket":null})";

TEST(LaravelBroadcastTest, ABroadcastBecomesAPublishOfItsData) {
    PublishForm form;
    ASSERT_EQ(routes().to_publish("laravel_database_private-chat.42", kLaravelPayload, form),
              nullptr);
    EXPECT_EQ(form.destination, "/topic/chat.42");
    EXPECT_EQ(form.body,
              R"({"message":{"id":5,"body":"hi"},"user":{"id":7,"name":"Ann"},"socket":null})");
    EXPECT_EQ(form.headers,
              (std::vector<std::pair<std::string, std::string>>{
                  {"x-event", "App\\Events\\MessageSent"}, {"content-type", "application/json"}}));
}

TEST(LaravelBroadcastTest, GlobsArePrefixed) {
    EXPECT_EQ(routes().globs(), (std::vector<std::string>{"laravel_database_private-chat.*",
                                                          "laravel_database_news"}));
    EXPECT_TRUE(routes().is_glob("laravel_database_news"));
    EXPECT_FALSE(routes().is_glob("stampede:t:*"));
}

TEST(LaravelBroadcastTest, WhatIsNotALaravelBroadcastIsIgnored) {
    PublishForm form;
    const LaravelRoutes r = routes();
    EXPECT_NE(r.to_publish("other_private-chat.42", kLaravelPayload, form), nullptr);
    EXPECT_NE(r.to_publish("laravel_database_private-room.42", kLaravelPayload, form), nullptr);
    EXPECT_NE(r.to_publish("laravel_database_private-chat.#", kLaravelPayload, form), nullptr);
    EXPECT_NE(r.to_publish("laravel_database_news", "not json", form), nullptr);
    EXPECT_NE(r.to_publish("laravel_database_news", R"({"data":{}})", form), nullptr);
    EXPECT_NE(r.to_publish("laravel_database_news", R"({"event":1,"data":{}})", form), nullptr);
    EXPECT_NE(r.to_publish("laravel_database_news", R"(["event","data"])", form), nullptr);
    EXPECT_EQ(r.to_publish("laravel_database_news", R"({"event":"E","data":"text"})", form),
              nullptr);
    EXPECT_EQ(form.body, R"("text")");
}

}  // namespace
}  // namespace stampede::broker
