// Temporary reply queues: see reply_queues.hpp.
#include "core/reply_queues.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/local_message.hpp"
#include "core/shard_services.hpp"
#include "core/subscriber.hpp"
#include "protocol/user_destination.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::string ReplyAddress::temp_destination() const {
    return std::string(protocol::kTempQueuePrefix) + name;
}

std::optional<ReplyAddress> parse_reply_queue(std::string_view destination) {
    if (!destination.starts_with(protocol::kReplyQueuePrefix)) {
        return std::nullopt;
    }
    const std::string_view rest = destination.substr(protocol::kReplyQueuePrefix.size());
    const std::size_t dash = rest.find('-');
    const std::size_t dot = rest.find('.');
    if (dash == std::string_view::npos || dot == std::string_view::npos || dash > dot ||
        dot + 1 == rest.size()) {
        return std::nullopt;
    }
    ReplyAddress out;
    if (!parse_number(rest.substr(0, dash), out.shard) ||
        !parse_number(rest.substr(dash + 1, dot - dash - 1), out.session)) {
        return std::nullopt;
    }
    out.name = std::string(rest.substr(dot + 1));
    return out;
}

std::string reply_queue_of(std::string_view session_name, std::string_view name) {
    return fmt::format("{}{}.{}", protocol::kReplyQueuePrefix, session_name, name);
}

std::optional<std::string_view> temp_queue_name(std::string_view value) {
    if (!value.starts_with(protocol::kTempQueuePrefix)) {
        return std::nullopt;
    }
    return value.substr(protocol::kTempQueuePrefix.size());
}

std::optional<PublishResult> check_reply_send(const PublishRequest& request) {
    const std::string_view destination = request.destination;
    const bool reply = destination.starts_with(protocol::kReplyQueuePrefix);
    if (!reply && !destination.starts_with(protocol::kTempQueuePrefix)) {
        return std::nullopt;
    }
    PublishResult result;
    if (!reply) {
        result.error = PublishError::BadDestination;
        result.detail = fmt::format(
            "'{}': /temp-queue/ names a reply queue in a reply-to header; send replies to the "
            "/reply-queue/ destination the MESSAGE's reply-to carries",
            destination);
    } else if (request.source == PublishSource::Backend) {
        result.error = PublishError::NotATopic;  // every node would deliver it
        result.detail = fmt::format("'{}' is not a topic", destination);
    } else if (!parse_reply_queue(destination)) {
        result.error = PublishError::BadDestination;
        result.detail = fmt::format("'{}' is not /reply-queue/<session>.<name>", destination);
    }
    return result;  // a well-formed reply queue: no ACL (only its owner can receive)
}

const std::vector<protocol::Header>* rewrite_reply_to(const PublishRequest& request,
                                                      std::vector<protocol::Header>& rewritten,
                                                      std::string& storage) {
    const std::vector<protocol::Header>* headers = request.frame_headers;
    if (headers == nullptr || request.session_name.empty()) {
        return headers;
    }
    for (std::size_t i = 0; i < headers->size(); ++i) {
        if ((*headers)[i].name != "reply-to") {
            continue;
        }
        // The first occurrence is the header's value (STOMP 1.2); only it is rewritten.
        const auto name = temp_queue_name((*headers)[i].value);
        if (!name || name->empty()) {
            return headers;
        }
        storage = reply_queue_of(request.session_name, *name);
        rewritten = *headers;
        rewritten[i].value = storage;
        return &rewritten;
    }
    return headers;
}

void deliver_reply(ShardServices& shard, const ReplyAddress& to,
                   const protocol::MessagePtr& message) {
    // Through the owner's inbox even on this shard: the sender may be inside a frame handler.
    // A shard index that does not exist, like a session that is gone, drops the reply.
    shard.post_to_shard(to.shard,
                        [message, session = to.session, name = to.name](ShardServices& owner) {
                            if (Subscriber* s = owner.find_subscriber(session)) {
                                s->deliver_reply(message, name);
                            }
                        });
}

}  // namespace stampede::broker
