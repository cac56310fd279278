// The ERROR vocabulary: the CloseReason enum and docs/protocol.md's "ERROR vocabulary" table
// list the same texts, each once; the parser's errors convert to the reasons their texts name.
#include "protocol/close_reason.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace stampede::protocol {
namespace {

std::vector<CloseReason> all_reasons() {
    std::vector<CloseReason> reasons;
    for (std::size_t i = 0; i < kCloseReasonCount; ++i) {
        reasons.push_back(static_cast<CloseReason>(i));
    }
    return reasons;
}

// The first cell of every row of the table under "## ERROR vocabulary", without its backticks.
std::vector<std::string> documented_messages() {
    const std::string path = std::string(STAMPEDE_SOURCE_DIR) + "/docs/protocol.md";
    std::ifstream in(path);
    EXPECT_TRUE(in) << "cannot read " << path;
    std::vector<std::string> messages;
    bool in_section = false;
    bool in_rows = false;  // past the table's |---| line
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("## ")) {
            in_section = line == "## ERROR vocabulary";
            in_rows = false;
            continue;
        }
        if (!in_section || !line.starts_with("|")) {
            continue;
        }
        if (line.starts_with("|---")) {
            in_rows = true;
            continue;
        }
        if (!in_rows) {
            continue;  // the header row
        }
        const auto open = line.find('`');
        const auto close = open == std::string::npos ? open : line.find('`', open + 1);
        const auto bar = line.find('|', 1);
        EXPECT_TRUE(close != std::string::npos && close < bar)
            << "a row whose first cell is not one `message`: " << line;
        if (close != std::string::npos) {
            messages.push_back(line.substr(open + 1, close - open - 1));
        }
    }
    return messages;
}

TEST(CloseReason, EveryReasonIsInTheDocumentedVocabulary) {
    const auto documented = documented_messages();
    ASSERT_FALSE(documented.empty()) << "no ERROR vocabulary table in docs/protocol.md";
    const std::set<std::string> table(documented.begin(), documented.end());
    for (const CloseReason reason : all_reasons()) {
        EXPECT_TRUE(table.contains(std::string(close_reason_text(reason))))
            << "docs/protocol.md does not list '" << close_reason_text(reason) << "'";
    }
}

TEST(CloseReason, EveryDocumentedMessageIsAReason) {
    std::set<std::string> texts;
    for (const CloseReason reason : all_reasons()) {
        texts.emplace(close_reason_text(reason));
    }
    std::set<std::string> seen;
    for (const std::string& message : documented_messages()) {
        EXPECT_TRUE(texts.contains(message))
            << "docs/protocol.md lists '" << message << "', which is no CloseReason's text";
        EXPECT_TRUE(seen.insert(message).second)
            << "docs/protocol.md lists '" << message << "' twice";
    }
}

TEST(CloseReason, TextsAreDistinctAndPlain) {
    // Plain: the same bytes on the wire in every STOMP version (nothing to escape), and a
    // Prometheus label value as is.
    std::set<std::string_view> seen;
    for (const CloseReason reason : all_reasons()) {
        const std::string_view text = close_reason_text(reason);
        EXPECT_FALSE(text.empty()) << static_cast<int>(reason);
        EXPECT_TRUE(seen.insert(text).second) << "'" << text << "' names two reasons";
        EXPECT_EQ(text.find_first_of("\"\\\r\n:"), std::string_view::npos) << text;
    }
}

TEST(CloseReason, ParserErrorsConvert) {
    EXPECT_EQ(close_reason(ProtocolError::FrameTooLarge), CloseReason::FrameTooLarge);
    EXPECT_EQ(close_reason(ProtocolError::TooManyHeaders), CloseReason::TooManyHeaders);
    EXPECT_EQ(close_reason(ProtocolError::HeaderLineTooLong), CloseReason::HeaderLineTooLong);
    EXPECT_EQ(close_reason(ProtocolError::BadContentLength), CloseReason::BadContentLength);
    EXPECT_EQ(close_reason(ProtocolError::MissingNul), CloseReason::MissingNul);
    EXPECT_EQ(close_reason(ProtocolError::MalformedHeader), CloseReason::MalformedHeader);
    EXPECT_EQ(close_reason(ProtocolError::BadEscape), CloseReason::BadEscape);
    EXPECT_EQ(close_reason(ProtocolError::BadCommandLine), CloseReason::MalformedFrame);
    EXPECT_EQ(close_reason(ProtocolError::InvalidUtf8), CloseReason::MalformedFrame);
    EXPECT_EQ(error_message(ProtocolError::None), "");
}

}  // namespace
}  // namespace stampede::protocol
