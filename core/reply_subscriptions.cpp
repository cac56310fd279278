// See reply_subscriptions.hpp.
#include "core/reply_subscriptions.hpp"

#include "protocol/user_destination.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

const Subscription& ReplySubscriptions::open(std::string_view name, Subscriber* owner,
                                             protocol::Version version) {
    auto& slot = subs_[std::string(name)];
    if (!slot) {
        slot = std::make_unique<Subscription>();
        slot->session = owner;
        slot->id = std::string(protocol::kTempQueuePrefix) + std::string(name);
        slot->destination = slot->id;
        slot->kind = protocol::DestinationKind::Topic;  // nothing to give back, like a topic
        slot->name = std::string(name);
        slot->message_head = protocol::message_head(slot->id, version);
    }
    return *slot;
}

const Subscription* ReplySubscriptions::find(std::string_view name) const {
    const auto it = subs_.find(std::string(name));
    return it != subs_.end() ? it->second.get() : nullptr;
}

}  // namespace stampede::broker
