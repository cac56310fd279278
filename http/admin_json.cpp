// See admin_json.hpp.
#include "http/admin_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <string_view>

namespace stampede::broker {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(JsonWriter& writer, std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_field(JsonWriter& writer, std::string_view key, std::string_view value) {
    write_string(writer, key);
    write_string(writer, value);
}

std::string_view kind_name(protocol::DestinationKind kind) {
    switch (kind) {
        case protocol::DestinationKind::Topic:
            return "topic";
        case protocol::DestinationKind::Queue:
            return "queue";
        case protocol::DestinationKind::Unknown:
            break;
    }
    return "other";  // the broker's own (/stampede/...), replies, user queues
}

}  // namespace

std::string render_connections(const std::vector<SessionReport>& sessions) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartArray();
    for (const SessionReport& session : sessions) {
        writer.StartObject();
        write_field(writer, "id", session.id);
        write_field(writer, "principal", session.principal);
        write_field(writer, "peer", session.peer);
        write_field(writer, "transport", session.transport);
        write_field(writer, "version", session.version);
        write_field(writer, "state", session.state);
        write_string(writer, "pending_bytes");
        writer.Uint64(session.pending_bytes);
        write_string(writer, "subscriptions");
        writer.StartArray();
        for (const SubscriptionReport& sub : session.subscriptions) {
            writer.StartObject();
            write_field(writer, "id", sub.id);
            write_field(writer, "destination", sub.destination);
            write_field(writer, "kind", kind_name(sub.kind));
            writer.EndObject();
        }
        writer.EndArray();
        writer.EndObject();
    }
    writer.EndArray();
    return buffer.GetString();
}

std::vector<DestinationReport> count_destinations(const std::vector<SessionReport>& sessions) {
    std::map<std::string_view, DestinationReport> by_destination;
    for (const SessionReport& session : sessions) {
        for (const SubscriptionReport& sub : session.subscriptions) {
            DestinationReport& entry = by_destination[sub.destination];
            entry.kind = sub.kind;
            ++entry.subscribers;
        }
    }
    std::vector<DestinationReport> out;
    out.reserve(by_destination.size());
    for (auto& [destination, entry] : by_destination) {
        entry.destination = destination;
        out.push_back(std::move(entry));
    }
    return out;
}

std::string render_destinations(const std::vector<DestinationReport>& destinations) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartArray();
    for (const DestinationReport& entry : destinations) {
        writer.StartObject();
        write_field(writer, "destination", entry.destination);
        write_field(writer, "kind", kind_name(entry.kind));
        write_string(writer, "subscribers");
        writer.Uint64(entry.subscribers);
        if (entry.depth) {
            write_string(writer, "depth");
            writer.Uint64(*entry.depth);
        }
        writer.EndObject();
    }
    writer.EndArray();
    return buffer.GetString();
}

}  // namespace stampede::broker
