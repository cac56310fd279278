// Session: transactions. SENDs, ACKs and NACKs inside one are held (bounded by
// limits.max_transaction_bytes) and acted on at COMMIT, as if they arrived then; ABORT and
// DISCONNECT drop them. Shard thread only.
#include <fmt/format.h>

#include "core/session.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

using protocol::CloseReason;
using protocol::Frame;

bool Session::hold_in_transaction(const Frame& frame) {
    const auto tx = frame.header("transaction");
    if (!tx || in_commit_) {
        return false;
    }
    const auto it = transactions_.find(std::string(*tx));
    if (it == transactions_.end()) {
        fail(CloseReason::UnknownTransaction, fmt::format("transaction '{}' is not open", *tx),
             &frame);
        return true;
    }
    HeldFrame held{frame.command, {}, std::string(frame.body)};
    std::size_t bytes = frame.body.size();
    for (const auto& header : frame.headers) {
        held.headers.emplace_back(header.name, header.value);
        bytes += header.name.size() + header.value.size() + 2;
    }
    it->second.bytes += bytes;
    if (it->second.bytes > host_.config().limits.max_transaction_bytes) {
        fail(CloseReason::TransactionTooLarge,
             fmt::format("transaction '{}' holds more than {} bytes", *tx,
                         host_.config().limits.max_transaction_bytes),
             &frame);
        return true;
    }
    // No RECEIPT yet: a receipt says the frame was acted upon, which happens at COMMIT.
    it->second.frames.push_back(std::move(held));
    return true;
}

void Session::discard(Transaction& transaction) {
    for (const HeldFrame& held : transaction.frames) {
        for (const auto& [name, value] : held.headers) {
            if (name == "receipt") {
                std::string out;
                protocol::append_frame(out, protocol::Command::Receipt,
                                       {{"receipt-id", value}, {"x-discarded", "true"}}, {},
                                       version_, false);
                outbound_.push_control(std::move(out));
                wake_writer();
                break;
            }
        }
    }
}

void Session::handle_begin(const Frame& frame) {
    const auto tx = frame.header("transaction");
    if (!tx) {
        return fail(CloseReason::MissingTransaction, "BEGIN needs a transaction", &frame);
    }
    if (!transactions_.emplace(std::string(*tx), Transaction{}).second) {
        return fail(CloseReason::TransactionAlreadyBegun,
                    fmt::format("transaction '{}' is already open", *tx), &frame);
    }
    send_receipt(frame);
}

void Session::handle_commit(const Frame& frame, bool commit) {
    const auto tx = frame.header("transaction");
    if (!tx) {
        return fail(CloseReason::MissingTransaction,
                    commit ? "COMMIT needs a transaction" : "ABORT needs a transaction", &frame);
    }
    const auto it = transactions_.find(std::string(*tx));
    if (it == transactions_.end()) {
        return fail(CloseReason::UnknownTransaction,
                    fmt::format("transaction '{}' is not open", *tx), &frame);
    }
    Transaction transaction = std::move(it->second);
    transactions_.erase(it);
    if (commit) {
        // Replay the held frames as if they arrived now, without their transaction header.
        in_commit_ = true;
        for (const HeldFrame& held : transaction.frames) {
            Frame replay;
            replay.command = held.command;
            replay.command_text = protocol::command_name(held.command);
            replay.body = held.body;
            replay.has_content_length = true;
            for (const auto& [name, value] : held.headers) {
                replay.headers.push_back({name, value});
            }
            dispatch(replay);
            if (state_ == State::Closing) {
                break;
            }
        }
        in_commit_ = false;
    } else {
        discard(transaction);
    }
    if (state_ != State::Closing) {
        send_receipt(frame);
    }
}

}  // namespace stampede::broker
