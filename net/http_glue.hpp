// The lws side of HTTP on a ws listener: reads a request's head and body out of lws into
// HttpApi and writes its HttpResponse back, one request per connection (see respond() in
// http_glue.cpp for why). Shard thread only.
#pragma once

#include <cstdint>
#include <string_view>

struct lws;

namespace stampede::broker {

class Shard;

/// LWS_CALLBACK_HTTP with the request's URI (lws passes it for every method: GET, POST,
/// HEAD, OPTIONS, PUT, ...). `request` receives the id the later calls need (0 = none).
int http_begin(Shard& shard, lws* wsi, std::string_view uri, std::uint64_t& request);
int http_body(Shard& shard, lws* wsi, std::uint64_t request, std::string_view chunk);
int http_body_complete(Shard& shard, lws* wsi, std::uint64_t request);
int http_writeable(Shard& shard, lws* wsi, std::uint64_t& request);
void http_closed(Shard& shard, std::uint64_t request);

/// After an answer (made `connection: close`): ends the connection, at once or once lws has
/// sent what it still holds. `answered` false: no answer could be written, close now.
int end_http_transaction(lws* wsi, bool answered);

}  // namespace stampede::broker
