// QueueManager: round-robin dispatch of /queue/ messages, bounds, redelivery limit, dead-letter
// queues and time to live. Any thread.
#include "queues/queue_manager.hpp"

#include <algorithm>
#include <chrono>

#include "protocol/user_destination.hpp"

namespace stampede::broker {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool expired(const protocol::Message& m, const QueuePolicy& policy, std::int64_t now) {
    return (m.expires_ms != 0 && now >= m.expires_ms) ||
           (policy.ttl_ms != 0 && now - m.created_ms >= static_cast<std::int64_t>(policy.ttl_ms));
}

// "{queue}" in the configured name stands for the full destination.
std::string dead_letter_name(const std::string& pattern, const std::string& destination) {
    std::string out;
    std::size_t from = 0;
    for (std::size_t at; (at = pattern.find("{queue}", from)) != std::string::npos; from = at + 7) {
        out.append(pattern, from, at - from);
        out.append(destination);
    }
    out.append(pattern, from);
    return out;
}

}  // namespace

std::string slashes_as_dots(std::string_view name) {
    std::string out(name);
    std::replace(out.begin(), out.end(), '/', '.');
    return out;
}

void QueueManager::set_policies(std::vector<QueueRule> rules, QueuePolicy defaults) {
    for (Stripe& stripe : stripes_) {
        const std::lock_guard lock(stripe.mutex);
        stripe.rules = rules;
        stripe.defaults = defaults;
        // A reload applies to the queues that exist too; what already waits past a lowered
        // bound stays (only new SENDs meet the bound).
        for (auto& [destination, queue] : stripe.queues) {
            queue.policy = stripe.policy_for(destination);
        }
    }
}

void QueueManager::set_max_messages(std::size_t max_messages) {
    QueuePolicy defaults;
    defaults.max_messages = max_messages;
    set_policies({}, defaults);
}

QueueManager::Stripe& QueueManager::stripe_of(const std::string& destination) {
    return stripes_[std::hash<std::string>{}(destination) % kStripes];
}

const QueuePolicy& QueueManager::Stripe::policy_for(const std::string& destination) const {
    for (const QueueRule& rule : rules) {
        if (!destination.starts_with(rule.prefix)) {
            continue;
        }
        const std::string_view rest = std::string_view(destination).substr(rule.prefix.size());
        if (rule.slash_segments ? rule.pattern.matches(slashes_as_dots(rest))
                                : rule.pattern.matches(rest)) {
            return rule.policy;
        }
    }
    return defaults;
}

const QueuePolicy& QueueManager::Stripe::existing_policy(const std::string& destination) const {
    const auto it = queues.find(destination);
    return it != queues.end() ? it->second.policy : policy_for(destination);
}

QueueManager::Queue& QueueManager::Stripe::queue(const std::string& destination) {
    auto [it, fresh] = queues.try_emplace(destination);
    if (fresh) {
        it->second.policy = policy_for(destination);
        it->second.fanout = protocol::is_user_destination(destination);
    }
    return it->second;
}

bool QueueManager::drop_expired_head_locked(Queue& queue, std::int64_t& now, Outcome& out) {
    while (!queue.messages.empty()) {
        const protocol::MessagePtr& front = queue.messages.front();
        if (front->expires_ms == 0 && queue.policy.ttl_ms == 0) {
            return true;
        }
        if (now == 0) {
            now = now_ms();
        }
        if (!expired(*front, queue.policy, now)) {
            return true;
        }
        protocol::MessagePtr dead = std::move(queue.messages.front());
        queue.messages.pop_front();
        queue.bytes -= dead->body.size();
        dead_letter(std::move(dead), queue.policy, "expired", out);
    }
    return false;
}

// Round robin over the consumers that may take more: one at its prefetch cap is skipped
// until it settles something; when all are at their caps the messages wait. An expired
// message met here is dead-lettered instead (nothing sweeps queues nobody consumes).
void QueueManager::dispatch_locked(Queue& queue, Outcome& out) {
    if (queue.fanout) {
        return fan_out_locked(queue, out);
    }
    std::size_t skipped = 0;
    std::int64_t now = 0;
    while (!queue.consumers.empty() && skipped < queue.consumers.size() &&
           drop_expired_head_locked(queue, now, out)) {
        if (queue.next >= queue.consumers.size()) {
            queue.next = 0;
        }
        Consumer& consumer = queue.consumers[queue.next++];
        if (consumer.prefetch != 0 && consumer.in_flight >= consumer.prefetch) {
            ++skipped;
            continue;
        }
        skipped = 0;
        if (consumer.prefetch != 0) {
            ++consumer.in_flight;
        }
        queue.bytes -= queue.messages.front()->body.size();
        out.deliveries.emplace_back(consumer.who, std::move(queue.messages.front()));
        queue.messages.pop_front();
    }
}

// A user queue: every consumer (each subscribed session of the principal) gets each message;
// no prefetch (its deliveries are not kept for an ACK).
void QueueManager::fan_out_locked(Queue& queue, Outcome& out) {
    std::int64_t now = 0;
    while (!queue.consumers.empty() && drop_expired_head_locked(queue, now, out)) {
        protocol::MessagePtr message = std::move(queue.messages.front());
        queue.messages.pop_front();
        queue.bytes -= message->body.size();
        for (const Consumer& consumer : queue.consumers) {
            out.deliveries.emplace_back(consumer.who, message);
        }
    }
}

void QueueManager::dead_letter(protocol::MessagePtr message, const QueuePolicy& policy,
                               std::string_view reason, Outcome& out) {
    out.dying.push_back({std::move(message), policy.dead_letter, reason});
}

// A dead letter is a new message in its own queue, under that queue's policy. Dead letters
// themselves are never dead-lettered again (no loops): they are dropped. Each goes in under
// its own stripe's lock, taken alone; what that pushes out in turn joins the list.
void QueueManager::finish(Outcome& out) {
    for (std::size_t i = 0; i < out.dying.size(); ++i) {
        const Dying dying = std::move(out.dying[i]);
        const protocol::Message& message = *dying.message;
        const std::string target = dying.dead_letter.empty()
                                       ? std::string()
                                       : dead_letter_name(dying.dead_letter, message.destination);
        if (message.dead_lettered || target.empty() || target == message.destination) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        Stripe& stripe = stripe_of(target);
        bool accepted = false;
        {
            const std::lock_guard lock(stripe.mutex);
            accepted = enqueue_locked(
                stripe, dying.message->dead_letter(target, message.id + "-dl", dying.reason), out);
        }
        (accepted ? dead_lettered_ : dropped_).fetch_add(1, std::memory_order_relaxed);
    }
    for (const auto& [consumer, message] : out.deliveries) {
        deliver_(consumer, message);
    }
}

bool QueueManager::enqueue_locked(Stripe& stripe, const protocol::MessagePtr& message,
                                  Outcome& out) {
    Queue& queue = stripe.queue(message->destination);
    const QueuePolicy& policy = queue.policy;
    const auto full = [&] {
        return queue.messages.size() >= policy.max_messages ||
               (policy.max_bytes != 0 && queue.bytes + message->body.size() > policy.max_bytes);
    };
    if (full()) {
        if (policy.overflow == QueueOverflow::Reject) {
            return false;
        }
        while (!queue.messages.empty() && full()) {
            protocol::MessagePtr oldest = std::move(queue.messages.front());
            queue.messages.pop_front();
            queue.bytes -= oldest->body.size();
            dead_letter(std::move(oldest), policy, "overflow", out);
        }
        if (full()) {
            return false;  // a body larger than max_bytes on its own
        }
    }
    queue.bytes += message->body.size();
    queue.messages.push_back(message);
    dispatch_locked(queue, out);
    return true;
}

bool QueueManager::enqueue(const protocol::MessagePtr& message) {
    Outcome out;
    bool accepted = false;
    Stripe& stripe = stripe_of(message->destination);
    {
        const std::lock_guard lock(stripe.mutex);
        accepted = enqueue_locked(stripe, message, out);
    }
    finish(out);
    return accepted;
}

void QueueManager::push_front_locked(Stripe& stripe, const protocol::MessagePtr& message,
                                     Outcome& out) {
    Queue& queue = stripe.queue(message->destination);
    if (queue.fanout && !queue.consumers.empty()) {
        return;  // the other consumers had their own copy
    }
    queue.bytes += message->body.size();
    queue.messages.push_front(message);
    dispatch_locked(queue, out);
}

void QueueManager::requeue(const protocol::MessagePtr& message) {
    Outcome out;
    Stripe& stripe = stripe_of(message->destination);
    {
        const std::lock_guard lock(stripe.mutex);
        push_front_locked(stripe, message, out);
    }
    finish(out);
}

void QueueManager::redeliver(const protocol::MessagePtr& delivered) {
    Outcome out;
    Stripe& stripe = stripe_of(delivered->destination);
    {
        const std::lock_guard lock(stripe.mutex);
        const QueuePolicy& policy = stripe.existing_policy(delivered->destination);
        if (delivered->redeliveries >= policy.max_redeliveries) {
            dead_letter(delivered, policy, "max-redeliveries", out);
        } else {
            push_front_locked(stripe, delivered->redelivery(), out);
        }
    }
    finish(out);
}

void QueueManager::reject(const protocol::MessagePtr& delivered) {
    Outcome out;
    Stripe& stripe = stripe_of(delivered->destination);
    {
        const std::lock_guard lock(stripe.mutex);
        dead_letter(delivered, stripe.existing_policy(delivered->destination), "rejected", out);
    }
    finish(out);
}

void QueueManager::add_consumer(const std::string& destination, QueueConsumer consumer,
                                std::size_t prefetch) {
    Outcome out;
    Stripe& stripe = stripe_of(destination);
    {
        const std::lock_guard lock(stripe.mutex);
        Queue& queue = stripe.queue(destination);
        queue.consumers.push_back({std::move(consumer), prefetch, 0});
        dispatch_locked(queue, out);
    }
    finish(out);
}

void QueueManager::remove_consumer(const std::string& destination, const QueueConsumer& consumer) {
    Stripe& stripe = stripe_of(destination);
    const std::lock_guard lock(stripe.mutex);
    const auto it = stripe.queues.find(destination);
    if (it == stripe.queues.end()) {
        return;
    }
    auto& consumers = it->second.consumers;
    std::erase_if(consumers, [&](const Consumer& c) { return c.who == consumer; });
    if (consumers.empty() && it->second.messages.empty()) {
        stripe.queues.erase(it);
    }
}

void QueueManager::settle(const std::string& destination, const QueueConsumer& consumer,
                          std::size_t count) {
    Outcome out;
    Stripe& stripe = stripe_of(destination);
    {
        const std::lock_guard lock(stripe.mutex);
        const auto it = stripe.queues.find(destination);
        if (it == stripe.queues.end()) {
            return;
        }
        for (Consumer& c : it->second.consumers) {
            if (c.who == consumer && c.prefetch != 0) {
                c.in_flight -= std::min(count, c.in_flight);
                dispatch_locked(it->second, out);
                break;
            }
        }
    }
    finish(out);
}

QueuePolicy QueueManager::policy(const std::string& destination) {
    Stripe& stripe = stripe_of(destination);
    const std::lock_guard lock(stripe.mutex);
    return stripe.existing_policy(destination);
}

std::size_t QueueManager::depth(const std::string& destination) {
    Stripe& stripe = stripe_of(destination);
    const std::lock_guard lock(stripe.mutex);
    const auto it = stripe.queues.find(destination);
    return it == stripe.queues.end() ? 0 : it->second.messages.size();
}

}  // namespace stampede::broker
