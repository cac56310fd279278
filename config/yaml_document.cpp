// Config text to one YAML document, and the Diagnostics that collect what is wrong with it:
// anchors and aliases are refused before a tree is built (a config has no use for them, and
// an alias bomb would otherwise multiply every error), a stray ',' that would make yaml-cpp
// yield empty documents forever is stopped, and at most 100 errors and 100 warnings are kept.
// Main thread only.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "config/yaml_reader.hpp"

namespace stampede::config::yaml {

namespace {

int line_of(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 1; }

}  // namespace

bool Diagnostics::before(const Entry& a, const Entry& b) {
    return a.line != b.line ? a.line < b.line : a.order < b.order;
}

void Diagnostics::add(List& list, int line, const std::string& message) {
    Entry entry{line, list.reported++, {}};
    const auto drop = [&list](int dropped_line) {
        list.first_dropped_line =
            list.dropped++ == 0 ? dropped_line : std::min(list.first_dropped_line, dropped_line);
    };
    if (list.kept.size() == kMaxShown) {
        if (!before(entry, list.kept.front())) {
            drop(line);
            return;
        }
        std::pop_heap(list.kept.begin(), list.kept.end(), before);
        drop(list.kept.back().line);
        list.kept.pop_back();
    }
    entry.message = message;
    list.kept.push_back(std::move(entry));
    std::push_heap(list.kept.begin(), list.kept.end(), before);
}

void Diagnostics::error(const YAML::Mark& mark, const std::string& message) {
    add(errors_, line_of(mark), message);
}

void Diagnostics::warn(const YAML::Mark& mark, const std::string& message) {
    add(warnings_, line_of(mark), message);
}

std::vector<std::string> Diagnostics::errors() const { return format(errors_, "errors"); }
std::vector<std::string> Diagnostics::warnings() const { return format(warnings_, "warnings"); }

std::vector<std::string> Diagnostics::format(const List& list, std::string_view what) const {
    std::vector<Entry> entries = list.kept;
    std::sort(entries.begin(), entries.end(), before);
    std::vector<std::string> lines;
    lines.reserve(entries.size() + 1);
    for (const Entry& e : entries) {
        lines.push_back(fmt::format("{}:{}: {}", file_, e.line, e.message));
    }
    if (list.dropped > 0) {
        lines.push_back(fmt::format("{}:{}: too many {}: {} more not shown", file_,
                                    list.first_dropped_line, what, list.dropped));
    }
    return lines;
}

namespace {

// Walks the parser's events (no tree is built) and reports every anchor and alias.
class AnchorFinder : public YAML::EventHandler {
   public:
    explicit AnchorFinder(Diagnostics& diag) : diag_(&diag) {}
    bool found() const { return found_; }
    /// Where the last document's root node is.
    const YAML::Mark& root() const { return root_; }

    void OnDocumentStart(const YAML::Mark& mark) override {
        root_ = mark;
        root_seen_ = false;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { node(mark, anchor); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        node(mark, YAML::NullAnchor);
        const auto it = names_.find(anchor);
        report(mark, fmt::format("YAML alias '*{}'", it == names_.end() ? "?" : it->second));
    }
    void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  const std::string& /*value*/) override {
        node(mark, anchor);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value /*style*/) override {
        node(mark, anchor);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value /*style*/) override {
        node(mark, anchor);
    }
    void OnMapEnd() override {}
    void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
        pending_ = name;
        report(mark, fmt::format("YAML anchor '&{}'", name));
    }

   private:
    void node(const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (!root_seen_) {
            root_ = mark;
            root_seen_ = true;
        }
        // The node just announced carries the anchor OnAnchor named: remember it for aliases.
        if (anchor != YAML::NullAnchor) {
            names_[anchor] = pending_;
        }
    }
    void report(const YAML::Mark& mark, const std::string& what) {
        found_ = true;
        diag_->error(mark, what +
                               ": anchors and aliases are not allowed in a config file; "
                               "write the value out");
    }

    Diagnostics* diag_;
    bool found_ = false;
    YAML::Mark root_;
    bool root_seen_ = false;
    std::string pending_;
    std::map<YAML::anchor_t, std::string> names_;
};

}  // namespace

std::optional<YAML::Node> parse_document(const std::string& text, Diagnostics& diag) {
    try {
        // First the events only, so an alias chain is refused before any tree is built. Never
        // more than three documents: yaml-cpp 0.7 does not get past a stray ',' at the top of
        // a document (",x"): every call yields one more empty document at the same place, so
        // a loop to the end (as YAML::LoadAll does, keeping each one) never ends and grows
        // without bound. That was the config fuzzer's 2 GB finding.
        std::istringstream in(text);
        YAML::Parser parser(in);
        AnchorFinder finder(diag);
        std::vector<YAML::Mark> roots;
        while (roots.size() < 3 && parser.HandleNextDocument(finder)) {
            roots.push_back(finder.root());
            if (roots.size() >= 2 && roots.back().pos == roots[roots.size() - 2].pos) {
                const YAML::Mark& at = roots.back();
                const auto pos = static_cast<std::size_t>(std::max(at.pos, 0));
                const unsigned char c = pos < text.size() ? text[pos] : '\0';
                diag.error(at, std::isprint(c) != 0
                                   ? fmt::format("unexpected '{}': YAML cannot be read past it",
                                                 static_cast<char>(c))
                                   : fmt::format("unexpected byte 0x{:02x}: YAML cannot be read "
                                                 "past it",
                                                 c));
                return std::nullopt;
            }
        }
        if (finder.found()) {
            return std::nullopt;
        }
        if (roots.size() > 1) {
            diag.error(roots[1], "only one YAML document is allowed");
        }
        return YAML::Load(text);  // the first document only
    } catch (const YAML::Exception& e) {
        diag.error(e.mark, e.msg);
        return std::nullopt;
    }
}

}  // namespace stampede::config::yaml
