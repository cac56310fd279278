// Config loader, `cluster.redis.laravel` (DESIGN.md "Redis (cluster)"): Laravel's prefix and
// the map from its broadcast channels to destinations. Each channel is checked as a
// protocol::ChannelPattern and each destination may use only that channel's captures, so a
// typo is an error at its line, not broadcasts that silently go nowhere. Main thread only.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"
#include "protocol/channel_pattern.hpp"
#include "protocol/notice_template.hpp"

namespace stampede::config::yaml {

void read_laravel(Section s, LaravelIngress& laravel) {
    read_string(s, "prefix", laravel.prefix);
    Section channels = s.section("channels");
    for (const std::string& key : channels.keys()) {
        std::optional<Text> text = read_text(channels, key, "a destination", false);
        if (!text || !text->value) {
            continue;
        }
        const std::string name = channels.qualify(key);
        std::string error;
        const auto pattern = protocol::ChannelPattern::compile(key, error);
        if (!pattern) {
            channels.diag().error(text->mark, fmt::format("{}: {}", name, error));
            continue;
        }
        const std::string& destination = *text->value;
        if (!destination.starts_with('/')) {
            channels.diag().error(
                text->mark, fmt::format("{} must be a destination starting with '/', got '{}'",
                                        name, destination));
            continue;
        }
        const std::vector<std::string> captures = pattern->capture_names();
        bool known = true;
        for (const std::string& placeholder : protocol::template_placeholders(destination)) {
            if (std::find(captures.begin(), captures.end(), placeholder) == captures.end()) {
                channels.diag().error(
                    text->mark,
                    fmt::format(
                        "{}: {{{}}} is not a capture of the channel (captures: {})", name,
                        placeholder,
                        captures.empty() ? "none" : fmt::format("{}", fmt::join(captures, ", "))));
                known = false;
            }
        }
        if (known) {
            laravel.channels.push_back({key, destination});
        }
    }
    s.check_unknown();
}

}  // namespace stampede::config::yaml
