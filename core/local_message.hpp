// LocalMessage: one shard's hold on a shared Message. A fan-out takes the shared (atomic)
// reference once per shard and every delivery on that shard counts on this plain counter, so
// a message to 1,000 subscribers spread over two shards costs two atomic increments, not 1,000
// increments and 1,000 decrements on one cache line the shards take from each other.
// Shard thread only: a LocalMessage is made, copied and dropped on the thread that made it.
#pragma once

#include <cstdint>
#include <utility>

#include "protocol/message.hpp"

namespace stampede::broker {

class LocalMessage {
   public:
    LocalMessage() = default;
    explicit LocalMessage(protocol::MessagePtr shared) : pin_(new Pin{std::move(shared), 1}) {}
    LocalMessage(const LocalMessage& other) noexcept : pin_(other.pin_) {
        if (pin_ != nullptr) {
            ++pin_->count;
        }
    }
    LocalMessage(LocalMessage&& other) noexcept : pin_(std::exchange(other.pin_, nullptr)) {}
    LocalMessage& operator=(LocalMessage other) noexcept {
        std::swap(pin_, other.pin_);
        return *this;
    }
    ~LocalMessage() {
        if (pin_ != nullptr && --pin_->count == 0) {
            delete pin_;
        }
    }

    explicit operator bool() const { return pin_ != nullptr; }
    const protocol::Message& operator*() const { return *pin_->shared; }
    const protocol::Message* operator->() const { return pin_->shared.get(); }
    /// The shared reference, for what outlives the delivery (redelivery of queue messages).
    const protocol::MessagePtr& shared() const { return pin_->shared; }

   private:
    struct Pin {
        protocol::MessagePtr shared;
        std::uint32_t count;
    };
    Pin* pin_ = nullptr;
};

}  // namespace stampede::broker
