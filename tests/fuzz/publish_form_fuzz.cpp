// Publish form fuzz target: the JSON of HTTP publish (strict) and of Redis <prefix>:publish
// (lenient), read from outside before any credential is checked. Whatever the strict decoder
// accepts, the lenient one accepts the same way. libFuzzer or replay_main.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/publish_form.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stampede::broker;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    PublishForm strict;
    PublishForm lenient;
    const char* strict_problem = read_publish_form(input, strict, FormStrictness::Strict);
    const char* lenient_problem = read_publish_form(input, lenient, FormStrictness::Lenient);
    if (strict_problem == nullptr &&
        (lenient_problem != nullptr || lenient.destination != strict.destination ||
         lenient.body != strict.body || lenient.headers != strict.headers)) {
        std::abort();
    }
    return 0;
}
