// The stampede command line: load the config, then run the Server. Nothing else.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "auth/users.hpp"
#include "config/config.hpp"
#include "server/server.hpp"

namespace {

constexpr const char* kUsage =
    "usage: stampede --config FILE       run the broker\n"
    "       stampede --check-config FILE validate FILE and exit (0 good, 2 bad)\n"
    "       stampede --hash-passcode     read a passcode on stdin, print its pbkdf2-sha256 hash\n"
    "       stampede --version | --help\n";

int fail_usage(const char* message) {
    std::fprintf(stderr, "stampede: %s\n%s", message, kUsage);
    return 2;
}

// For auth.users[].passcode_hash: the passcode comes on stdin so it is in no shell history.
int hash_passcode() {
    std::string passcode;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, stdin) != nullptr) {
        passcode += buffer;
    }
    if (!passcode.empty() && passcode.back() == '\n') {
        passcode.pop_back();
    }
    if (passcode.empty()) {
        std::fprintf(stderr, "stampede: no passcode on stdin\n");
        return 2;
    }
    const auto hash = stampede::auth::hash_passcode(passcode);
    if (!hash) {
        std::fprintf(stderr, "stampede: cannot hash the passcode\n");
        return 1;
    }
    std::printf("%s\n", hash->c_str());
    return 0;
}

// Prints warnings and errors; returns the config or null.
stampede::config::ConfigPtr load(const std::string& path) {
    auto result = stampede::config::load_config(path);
    for (const auto& warning : result.warnings) {
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
    }
    for (const auto& error : result.errors) {
        std::fprintf(stderr, "%s\n", error.c_str());
    }
    return result.config;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("stampede %s\n", STAMPEDE_VERSION);
        return 0;
    }
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (argc == 2 && std::strcmp(argv[1], "--hash-passcode") == 0) {
        return hash_passcode();
    }
    if (argc != 3) {
        return fail_usage("expected one option and its FILE");
    }
    const std::string_view option = argv[1];
    if (option == "--check-config") {
        const auto config = load(argv[2]);
        if (!config) {
            return 2;
        }
        std::printf("%s: ok\n", argv[2]);
        return 0;
    }
    if (option != "--config") {
        return fail_usage("unknown option");
    }
    const auto config = load(argv[2]);
    if (!config) {
        return 2;
    }
    try {
        stampede::broker::Server server(config);
        return server.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "stampede: %s\n", e.what());
        return 1;
    }
}
