// Router: exact-name hash map plus a trie of wildcard patterns per prefix.
// Shard thread only.
#include "core/router.hpp"

#include <algorithm>
#include <map>

namespace stampede::broker {

struct Router::TrieNode {
    std::map<std::string, std::unique_ptr<TrieNode>, std::less<>> children;
    std::unique_ptr<TrieNode> star;  // "*": exactly one segment
    std::unique_ptr<TrieNode> hash;  // "#": zero or more segments
    SubList subs;                    // patterns ending at this node
};

namespace {

std::string prefix_of(const Subscription& sub) {
    return sub.destination.substr(0, sub.destination.size() - sub.name.size());
}

bool erase_one(std::vector<Subscription*>& list, Subscription* sub) {
    const auto it = std::find(list.begin(), list.end(), sub);
    if (it == list.end()) {
        return false;
    }
    *it = list.back();
    list.pop_back();
    return true;
}

}  // namespace

Router::Router() = default;

Router::TrieNode* Router::find_trie(std::string_view prefix) const {
    for (const auto& [key, root] : tries_) {
        if (key == prefix) {
            return root.get();
        }
    }
    return nullptr;
}
Router::~Router() = default;

bool Router::add(Subscription* sub) {
    ++count_;
    if (!sub->wildcard) {
        auto& list = exact_[sub->destination];
        list.push_back(sub);
        return list.size() == 1;
    }
    const std::string prefix = prefix_of(*sub);
    TrieNode* node = find_trie(prefix);
    if (node == nullptr) {
        tries_.emplace_back(prefix, std::make_unique<TrieNode>());
        node = tries_.back().second.get();
    }
    for (const auto segment : protocol::split_segments(sub->name)) {
        std::unique_ptr<TrieNode>* next = nullptr;
        if (segment == "*") {
            next = &node->star;
        } else if (segment == "#") {
            next = &node->hash;
        } else {
            auto it = node->children.find(segment);
            if (it == node->children.end()) {
                it = node->children.emplace(std::string(segment), nullptr).first;
            }
            next = &it->second;
        }
        if (!*next) {
            *next = std::make_unique<TrieNode>();
        }
        node = next->get();
    }
    node->subs.push_back(sub);
    return node->subs.size() == 1;
}

bool Router::remove(Subscription* sub) {
    if (!sub->wildcard) {
        const auto it = exact_.find(sub->destination);
        if (it == exact_.end() || !erase_one(it->second, sub)) {
            return false;
        }
        --count_;
        if (it->second.empty()) {
            exact_.erase(it);
            return true;
        }
        return false;
    }
    TrieNode* node = find_trie(prefix_of(*sub));
    if (node == nullptr) {
        return false;
    }
    for (const auto segment : protocol::split_segments(sub->name)) {
        if (segment == "*") {
            node = node->star.get();
        } else if (segment == "#") {
            node = node->hash.get();
        } else {
            const auto it = node->children.find(segment);
            node = it == node->children.end() ? nullptr : it->second.get();
        }
        if (node == nullptr) {
            return false;
        }
    }
    if (!erase_one(node->subs, sub)) {
        return false;
    }
    --count_;
    // Empty trie nodes are kept: patterns are few and re-subscribed often (rooms).
    return node->subs.empty();
}

void Router::collect(const SubList& subs, std::vector<Subscription*>& out) {
    for (Subscription* sub : subs) {
        if (sub->last_match != match_epoch_) {
            sub->last_match = match_epoch_;
            out.push_back(sub);
        }
    }
}

void Router::match_trie(const TrieNode& node, const std::vector<std::string_view>& segments,
                        std::size_t index, std::vector<Subscription*>& out) {
    if (node.hash) {
        // "#" swallows zero or more segments: try every remaining suffix.
        for (std::size_t skip = index; skip <= segments.size(); ++skip) {
            match_trie(*node.hash, segments, skip, out);
        }
    }
    if (index == segments.size()) {
        collect(node.subs, out);
        return;
    }
    if (node.star) {
        match_trie(*node.star, segments, index + 1, out);
    }
    if (!node.children.empty()) {
        const auto it = node.children.find(segments[index]);
        if (it != node.children.end()) {
            match_trie(*it->second, segments, index + 1, out);
        }
    }
}

void Router::match(std::string_view prefix, std::string_view name,
                   std::vector<Subscription*>& out) {
    ++match_epoch_;
    key_scratch_.assign(prefix);
    key_scratch_.append(name);
    if (const auto it = exact_.find(key_scratch_); it != exact_.end()) {
        collect(it->second, out);
    }
    if (tries_.empty()) {
        return;
    }
    const TrieNode* root = find_trie(prefix);
    if (root == nullptr) {
        return;
    }
    segments_scratch_.clear();
    std::size_t start = 0;
    while (true) {
        const auto dot = name.find('.', start);
        if (dot == std::string_view::npos) {
            segments_scratch_.push_back(name.substr(start));
            break;
        }
        segments_scratch_.push_back(name.substr(start, dot - start));
        start = dot + 1;
    }
    match_trie(*root, segments_scratch_, 0, out);
}

}  // namespace stampede::broker
