// See write_batches.hpp.
#include "net/write_batches.hpp"

#include <libwebsockets.h>

namespace stampede::broker {

void WriteBatches::mark(Connection& connection) { dirty_.push_back(connection.session().id()); }

// lws_write outside WRITEABLE is safe here: a connection whose earlier write was partial (lws
// still holds bytes) waits for WRITEABLE instead, so order is kept.
void WriteBatches::flush() {
    flushing_.swap(dirty_);
    for (const std::uint64_t id : flushing_) {
        const auto it = connections_.find(id);
        if (it == connections_.end()) {
            continue;  // closed since it asked
        }
        Connection& connection = *it->second;
        connection.flush_queued = false;
        lws* wsi = connection.wsi();
        if (lws_partial_buffered(wsi) || connection.lingering) {
            lws_callback_on_writable(wsi);
        } else if (connection.write_batch(scratch_, max_batch_bytes_, false, messages_out_) < 0) {
            lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        }
    }
    flushing_.clear();
    // Those that asked again while being written (a backlog over one batch) wait for the
    // socket to take more: the loop is about to block and epoll will say when.
    for (const std::uint64_t id : dirty_) {
        if (const auto it = connections_.find(id); it != connections_.end()) {
            it->second->flush_queued = false;
            lws_callback_on_writable(it->second->wsi());
        }
    }
    dirty_.clear();
}

int WriteBatches::write(Connection& connection) {
    return connection.write_batch(scratch_, max_batch_bytes_, true, messages_out_);
}

}  // namespace stampede::broker
