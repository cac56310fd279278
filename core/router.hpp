// Router: a shard's index of its local topic subscriptions, exact names in a hash map and
// wildcard patterns in a segment trie. Shard thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/subscription.hpp"

namespace stampede::broker {

class Router {
   public:
    Router();
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// Indexes `sub` under sub->prefix + sub->name. Returns true when it is the first
    /// subscription for that key on this shard (an interest event for the relay).
    bool add(Subscription* sub);
    /// Removes `sub`; returns true when it was the last for its key.
    bool remove(Subscription* sub);

    /// Appends each subscription matching the topic `name` (no prefix) of `prefix` to `out`,
    /// once; subscriptions of other prefixes never match. `out` is reused by the caller across
    /// calls, so matching allocates nothing.
    void match(std::string_view prefix, std::string_view name, std::vector<Subscription*>& out);

    std::size_t size() const { return count_; }

   private:
    struct TrieNode;
    using SubList = std::vector<Subscription*>;

    void match_trie(const TrieNode& node, const std::vector<std::string_view>& segments,
                    std::size_t index, std::vector<Subscription*>& out);
    void collect(const SubList& subs, std::vector<Subscription*>& out);

    std::unordered_map<std::string, SubList> exact_;  // key: prefix + name
    // One trie per prefix; prefixes are a handful, so a vector beats a map.
    std::vector<std::pair<std::string, std::unique_ptr<TrieNode>>> tries_;
    TrieNode* find_trie(std::string_view prefix) const;
    std::uint64_t match_epoch_ = 0;
    std::size_t count_ = 0;
    std::vector<std::string_view> segments_scratch_;
    std::string key_scratch_;
};

}  // namespace stampede::broker
