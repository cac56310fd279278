// Just enough JSON writing for one result line.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace stampede::bench {

class JsonObject {
   public:
    JsonObject& add(std::string_view key, std::string_view value) {
        begin(key);
        quote(value);
        return *this;
    }
    JsonObject& add(std::string_view key, const char* value) {
        return add(key, std::string_view(value));
    }
    JsonObject& add(std::string_view key, const std::string& value) {
        return add(key, std::string_view(value));
    }
    JsonObject& add(std::string_view key, bool value) {
        begin(key);
        text_ += value ? "true" : "false";
        return *this;
    }
    template <std::integral T>
    JsonObject& add(std::string_view key, T value) {
        begin(key);
        text_ += std::to_string(value);
        return *this;
    }
    template <std::floating_point T>
    JsonObject& add(std::string_view key, T value) {
        begin(key);
        if (!std::isfinite(value)) {
            text_ += "null";
            return *this;
        }
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.6g", static_cast<double>(value));
        text_ += buffer;
        return *this;
    }
    JsonObject& add(std::string_view key, const JsonObject& value) {
        begin(key);
        text_ += value.str();
        return *this;
    }
    JsonObject& add(std::string_view key, const std::vector<std::string>& values) {
        begin(key);
        text_ += '[';
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) {
                text_ += ',';
            }
            quote(values[i]);
        }
        text_ += ']';
        return *this;
    }
    JsonObject& add_null(std::string_view key) {
        begin(key);
        text_ += "null";
        return *this;
    }
    std::string str() const { return text_ + "}"; }

   private:
    void begin(std::string_view key) {
        text_ += first_ ? "" : ",";
        first_ = false;
        quote(key);
        text_ += ':';
    }
    void quote(std::string_view value) {
        text_ += '"';
        for (const char c : value) {
            if (c == '"' || c == '\\') {
                text_ += '\\';
                text_ += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned char>(c));
                text_ += buffer;
            } else {
                text_ += c;
            }
        }
        text_ += '"';
    }

    std::string text_ = "{";
    bool first_ = true;
};

}  // namespace stampede::bench
