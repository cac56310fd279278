// Config loader fuzz target: any YAML text gives a Config or file:line errors, never a crash
// or an exception. Texts naming a K_file key are skipped: the loader would read that file
// (a fuzzer could name /dev/zero). libFuzzer or replay_main.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (text.find("_file") != std::string::npos) {
        return 0;
    }
    const auto result = stampede::config::load_config_text(text, "fuzz.yaml");
    if ((result.config == nullptr) == result.errors.empty()) {
        std::abort();  // a config, or the errors that refused it: never both, never neither
    }
    return 0;
}
