// The lws protocol tables and callbacks (lws_glue.cpp). Shard thread only.
#pragma once

struct lws_protocols;

namespace stampede::broker {

/// v12.stomp, v11.stomp, v10.stomp, then the zeroed terminator. protocols[0] also serves
/// plain HTTP and WebSocket upgrades without a subprotocol.
const lws_protocols* websocket_protocols();
/// "stomp-raw" for STOMP over TCP, then the terminator.
const lws_protocols* raw_protocols();

}  // namespace stampede::broker
