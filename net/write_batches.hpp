// WriteBatches: every connection that got output during a loop turn is written once, at the
// end of the turn, with all it got (up to one batch), instead of one POLLOUT round trip
// through epoll per delivery. Shard thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "net/connection.hpp"

namespace stampede::broker {

class WriteBatches final : public WriteScheduler {
   public:
    WriteBatches(ConnectionMap& connections, std::atomic<std::uint64_t>& messages_out)
        : connections_(connections), messages_out_(messages_out) {}

    /// Bytes of output drained into one write (one WebSocket message or TCP write):
    /// limits.write_batch_bytes, set at start and on reload.
    void set_max_batch_bytes(std::size_t bytes) { max_batch_bytes_ = bytes; }

    /// `connection` has output: write it at the end of this turn.
    void mark(Connection& connection) override;
    /// The end of the turn (the loop is about to wait).
    void flush();
    /// One batch now, from lws's WRITEABLE callback (-1: close the connection).
    int write(Connection& connection);

   private:
    ConnectionMap& connections_;
    std::atomic<std::uint64_t>& messages_out_;
    std::size_t max_batch_bytes_ = 64 * 1024;
    std::string scratch_;
    std::vector<std::uint64_t> dirty_;     // connection ids with output queued this turn
    std::vector<std::uint64_t> flushing_;  // the list being written (reused)
};

}  // namespace stampede::broker
