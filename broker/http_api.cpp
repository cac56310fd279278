// HTTP on the ws listener: GET /health. (/metrics and /api/v1/publish come with the relay.)
// Shard thread only.
#include <libwebsockets.h>

#include <string>

#include "broker/metrics.hpp"
#include "broker/server.hpp"
#include "broker/shard.hpp"

namespace stampede::broker {
namespace {

void respond(lws* wsi, unsigned status, std::string_view content_type, std::string_view body) {
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof buffer;
    if (lws_add_http_common_headers(wsi, status, std::string(content_type).c_str(), body.size(),
                                    &p, end) != 0 ||
        lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
        return;
    }
    std::string payload(LWS_PRE, '\0');
    payload.append(body);
    lws_write(wsi, reinterpret_cast<unsigned char*>(payload.data()) + LWS_PRE, body.size(),
              LWS_WRITE_HTTP_FINAL);
}

}  // namespace

int Shard::serve_http(lws* wsi, std::string_view uri, const ShardListener&) {
    const auto& http = config().http;
    if (uri == http.health) {
        if (draining_) {
            respond(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "text/plain", "draining");
        } else {
            respond(wsi, HTTP_STATUS_OK, "text/plain", "ok");
        }
    } else if (uri == http.metrics) {
        respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", render_metrics(server_));
    } else {
        respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "not found");
    }
    // Keep-alive: the connection may carry the next request, unless lws says it is done.
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

}  // namespace stampede::broker
