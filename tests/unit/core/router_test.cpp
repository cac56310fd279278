// Router: wildcard truth table, once-per-subscription delivery, interest events.
#include "core/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace stampede::broker {
namespace {

std::unique_ptr<Subscription> topic_sub(const std::string& destination, const std::string& id) {
    auto sub = std::make_unique<Subscription>();
    sub->id = id;
    sub->destination = destination;
    sub->name = destination.substr(std::string("/topic/").size());
    sub->wildcard = protocol::is_pattern(sub->name);
    return sub;
}

std::vector<std::string> matched_ids(Router& router, std::string_view name,
                                     std::string_view prefix = "/topic/") {
    std::vector<Subscription*> found;
    router.match(prefix, name, found);
    std::vector<std::string> ids;
    for (auto* sub : found) {
        ids.push_back(sub->id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

struct Case {
    const char* pattern;
    const char* name;
    bool matches;
};

TEST(RouterTest, WildcardTruthTable) {
    const Case cases[] = {
        {"room.42", "room.42", true},
        {"room.42", "room.43", false},
        {"room.*", "room.42", true},
        {"room.*", "room", false},
        {"room.*", "room.42.x", false},
        {"room.#", "room", true},
        {"room.#", "room.42", true},
        {"room.#", "room.42.x.y", true},
        {"room.#", "rooms.42", false},
        {"#", "anything.at.all", true},
        {"#", "x", true},
        {"*.b", "a.b", true},
        {"*.b", "b", false},
        {"a.#.z", "a.z", true},
        {"a.#.z", "a.b.c.z", true},
        {"a.#.z", "a.b.c", false},
        {"#.b", "b.b", true},
        {"*.*", "a.b", true},
        {"*.*", "a", false},
        {"a.*.#", "a.b", true},
        {"a.*.#", "a", false},
        {"#.#", "a.b.c", true},
    };
    for (const Case& c : cases) {
        Router router;
        auto sub = topic_sub(std::string("/topic/") + c.pattern, "s");
        router.add(sub.get());
        const auto ids = matched_ids(router, c.name);
        EXPECT_EQ(ids.size(), c.matches ? 1u : 0u) << c.pattern << " vs " << c.name;
        router.remove(sub.get());
        EXPECT_EQ(router.size(), 0u);
    }
}

TEST(RouterTest, EachSubscriptionOnceEvenThroughSeveralTriePaths) {
    Router router;
    auto a = topic_sub("/topic/#.#", "a");
    auto b = topic_sub("/topic/#.b", "b");
    auto c = topic_sub("/topic/b.b", "c");
    for (auto* sub : {a.get(), b.get(), c.get()}) {
        router.add(sub);
    }
    EXPECT_EQ(matched_ids(router, "b.b"), (std::vector<std::string>{"a", "b", "c"}));
    for (auto* sub : {a.get(), b.get(), c.get()}) {
        router.remove(sub);
    }
}

TEST(RouterTest, PrefixesAreSeparate) {
    Router router;
    auto sub = topic_sub("/topic/room.*", "s");
    router.add(sub.get());
    EXPECT_EQ(matched_ids(router, "room.1", "/topic/").size(), 1u);
    EXPECT_TRUE(matched_ids(router, "room.1", "/sub/").empty());
    router.remove(sub.get());
}

TEST(RouterTest, FirstAndLastInterestEvents) {
    Router router;
    auto one = topic_sub("/topic/room.1", "one");
    auto two = topic_sub("/topic/room.1", "two");
    auto wild = topic_sub("/topic/room.*", "wild");
    EXPECT_TRUE(router.add(one.get()));
    EXPECT_FALSE(router.add(two.get()));
    EXPECT_TRUE(router.add(wild.get()));
    EXPECT_FALSE(router.remove(one.get()));
    EXPECT_TRUE(router.remove(two.get()));
    EXPECT_TRUE(router.remove(wild.get()));
    EXPECT_FALSE(router.remove(wild.get()));  // already gone
    EXPECT_EQ(router.size(), 0u);
}

TEST(RouterTest, ManySubscribersOnOneTopic) {
    Router router;
    std::vector<std::unique_ptr<Subscription>> subs;
    for (int i = 0; i < 1000; ++i) {
        subs.push_back(topic_sub("/topic/room.7", std::to_string(i)));
        router.add(subs.back().get());
    }
    EXPECT_EQ(matched_ids(router, "room.7").size(), 1000u);
    EXPECT_TRUE(matched_ids(router, "room.8").empty());
}

}  // namespace
}  // namespace stampede::broker
