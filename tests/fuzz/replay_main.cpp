// Without libFuzzer (gcc builds): replays every file of the corpus directories given on the
// command line, then a fixed-seed stream of mutations of them, through the fuzz target.
// Deterministic, so a failure reproduces; ctest runs it on every build.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::string mutate(std::string input, std::mt19937& random) {
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < edits; ++i) {
        const std::size_t at = input.empty() ? 0 : random() % input.size();
        static const char kInteresting[] = {'\0', '\n', '\r', ':', '\\', 'c', 'n', 'r', '9'};
        switch (random() % 4) {
            case 0:
                if (!input.empty()) {
                    input[at] = kInteresting[random() % sizeof kInteresting];
                }
                break;
            case 1:
                input.insert(at, 1, kInteresting[random() % sizeof kInteresting]);
                break;
            case 2:
                if (!input.empty()) {
                    input.erase(at, 1 + random() % 3);
                }
                break;
            default:
                input.insert(at, input.substr(random() % (input.size() + 1), random() % 16));
        }
    }
    return input;
}

}  // namespace

int main(int argc, char** argv) {
    // replay CORPUS_DIR... [--mutations N]: N mutated inputs after the corpus (default 300000;
    // slower targets, a YAML or JWT parse per input, ask for fewer).
    std::vector<std::string> corpus;
    long mutations = 300000;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--mutations" && i + 1 < argc) {
            mutations = std::strtol(argv[++i], nullptr, 10);
            continue;
        }
        for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
            std::ifstream file(entry.path(), std::ios::binary);
            corpus.emplace_back(std::istreambuf_iterator<char>(file),
                                std::istreambuf_iterator<char>());
        }
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "no corpus files\n");
        return 1;
    }
    std::mt19937 random(20261122);
    std::size_t runs = 0;
    for (const auto& input : corpus) {
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        ++runs;
    }
    for (long i = 0; i < mutations; ++i) {
        const std::string input = mutate(corpus[random() % corpus.size()], random);
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        ++runs;
    }
    std::printf("%zu inputs replayed\n", runs);
    return 0;
}
