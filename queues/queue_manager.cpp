// QueueManager: round-robin dispatch of /queue/ messages. Any thread.
#include "queues/queue_manager.hpp"

#include <algorithm>

namespace stampede::broker {

void QueueManager::set_max_messages(std::size_t max_messages) {
    const std::lock_guard lock(mutex_);
    max_messages_ = max_messages;
}

void QueueManager::dispatch_locked(Queue& queue, Deliveries& out) {
    while (!queue.messages.empty() && !queue.consumers.empty()) {
        if (queue.next >= queue.consumers.size()) {
            queue.next = 0;
        }
        out.emplace_back(queue.consumers[queue.next++], std::move(queue.messages.front()));
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

void QueueManager::add_consumer(const std::string& destination, QueueConsumer consumer) {
    Deliveries deliveries;
    {
        const std::lock_guard lock(mutex_);
        Queue& queue = queues_[destination];
        queue.consumers.push_back(std::move(consumer));
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
    consumers.erase(std::remove(consumers.begin(), consumers.end(), consumer), consumers.end());
    if (consumers.empty() && it->second.messages.empty()) {
        queues_.erase(it);
    }
}

std::size_t QueueManager::depth(const std::string& destination) {
    const std::lock_guard lock(mutex_);
    const auto it = queues_.find(destination);
    return it == queues_.end() ? 0 : it->second.messages.size();
}

}  // namespace stampede::broker
