// QueueManager: round-robin dispatch of /queue/ messages. Any thread.
#include "queues/queue_manager.hpp"

#include <algorithm>

namespace stampede::broker {

void QueueManager::set_max_messages(std::size_t max_messages) {
    const std::lock_guard lock(mutex_);
    max_messages_ = max_messages;
}

// Round robin over the consumers that may take more: one at its prefetch cap is skipped
// until it settles something; when all are at their caps the messages wait.
void QueueManager::dispatch_locked(Queue& queue, Deliveries& out) {
    std::size_t skipped = 0;
    while (!queue.messages.empty() && !queue.consumers.empty() &&
           skipped < queue.consumers.size()) {
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
        out.emplace_back(consumer.who, std::move(queue.messages.front()));
        queue.messages.pop_front();
    }
}

void QueueManager::deliver_all(const Deliveries& deliveries) {
    for (const auto& [consumer, message] : deliveries) {
        deliver_(consumer, message);
    }
}

bool QueueManager::enqueue(const protocol::MessagePtr& message) {
    Deliveries deliveries;
    {
        const std::lock_guard lock(mutex_);
        Queue& queue = queues_[message->destination];
        if (queue.consumers.empty() && queue.messages.size() >= max_messages_) {
            return false;
        }
        queue.messages.push_back(message);
        dispatch_locked(queue, deliveries);
    }
    deliver_all(deliveries);
    return true;
}

void QueueManager::requeue(const protocol::MessagePtr& message) {
    Deliveries deliveries;
    {
        const std::lock_guard lock(mutex_);
        Queue& queue = queues_[message->destination];
        queue.messages.push_front(message);
        dispatch_locked(queue, deliveries);
    }
    deliver_all(deliveries);
}

void QueueManager::add_consumer(const std::string& destination, QueueConsumer consumer,
                                std::size_t prefetch) {
    Deliveries deliveries;
    {
        const std::lock_guard lock(mutex_);
        Queue& queue = queues_[destination];
        queue.consumers.push_back({std::move(consumer), prefetch, 0});
        dispatch_locked(queue, deliveries);
    }
    deliver_all(deliveries);
}

void QueueManager::remove_consumer(const std::string& destination, const QueueConsumer& consumer) {
    const std::lock_guard lock(mutex_);
    const auto it = queues_.find(destination);
    if (it == queues_.end()) {
        return;
    }
    auto& consumers = it->second.consumers;
    std::erase_if(consumers, [&](const Consumer& c) { return c.who == consumer; });
    if (consumers.empty() && it->second.messages.empty()) {
        queues_.erase(it);
    }
}

void QueueManager::settle(const std::string& destination, const QueueConsumer& consumer,
                          std::size_t count) {
    Deliveries deliveries;
    {
        const std::lock_guard lock(mutex_);
        const auto it = queues_.find(destination);
        if (it == queues_.end()) {
            return;
        }
        for (Consumer& c : it->second.consumers) {
            if (c.who == consumer && c.prefetch != 0) {
                c.in_flight -= std::min(count, c.in_flight);
                dispatch_locked(it->second, deliveries);
                break;
            }
        }
    }
    deliver_all(deliveries);
}

std::size_t QueueManager::depth(const std::string& destination) {
    const std::lock_guard lock(mutex_);
    const auto it = queues_.find(destination);
    return it == queues_.end() ? 0 : it->second.messages.size();
}

}  // namespace stampede::broker
