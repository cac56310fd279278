// See laravel_broadcast.hpp.
#include "cluster/laravel_broadcast.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "protocol/notice_template.hpp"

namespace stampede::broker {

LaravelRoutes::LaravelRoutes(const config::LaravelIngress& config) : prefix_(config.prefix) {
    for (const config::LaravelChannel& channel : config.channels) {
        std::string error;
        if (auto pattern = protocol::ChannelPattern::compile(channel.channel, error)) {
            std::string glob = pattern->glob(prefix_);
            routes_.push_back({std::move(*pattern), channel.destination, std::move(glob)});
        }
    }
}

std::vector<std::string> LaravelRoutes::globs() const {
    std::vector<std::string> out;
    for (const Route& route : routes_) {
        out.push_back(route.glob);
    }
    return out;
}

bool LaravelRoutes::is_glob(std::string_view pattern) const {
    return std::any_of(routes_.begin(), routes_.end(),
                       [&](const Route& route) { return route.glob == pattern; });
}

const char* LaravelRoutes::to_publish(std::string_view channel, std::string_view payload,
                                      PublishForm& out) const {
    if (!channel.starts_with(prefix_)) {
        return "the channel lacks the configured prefix";
    }
    const std::string_view name = channel.substr(prefix_.size());
    const Route* route = nullptr;
    std::optional<protocol::Captures> captures;
    for (const Route& candidate : routes_) {
        if ((captures = candidate.pattern.match(name))) {
            route = &candidate;
            break;
        }
    }
    if (route == nullptr) {
        return "no laravel.channels entry matches the channel";
    }
    for (const auto& [capture, value] : *captures) {
        if (value.find_first_of("*#/") != std::string::npos) {
            return "a captured segment holds a wildcard or '/'";
        }
    }
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        payload.data(), payload.size());
    if (document.HasParseError() || !document.IsObject()) {
        return "the payload is not a JSON object";
    }
    const auto event = document.FindMember("event");
    const auto data = document.FindMember("data");
    if (event == document.MemberEnd() || !event->value.IsString() || data == document.MemberEnd()) {
        return "the payload has no string \"event\" and \"data\" (not a Laravel broadcast)";
    }
    rapidjson::StringBuffer body;
    rapidjson::Writer<rapidjson::StringBuffer> writer(body);
    data->value.Accept(writer);
    out.destination = protocol::render_template(
        route->destination, [&](std::string_view key) -> std::optional<std::string> {
            for (const auto& [capture, value] : *captures) {
                if (capture == key) {
                    return value;
                }
            }
            return std::nullopt;
        });
    out.body.assign(body.GetString(), body.GetSize());
    out.headers = {
        {"x-event", std::string(event->value.GetString(), event->value.GetStringLength())},
        {"content-type", "application/json"}};
    return nullptr;
}

}  // namespace stampede::broker
