// open_rooms: the node's RoomRegistry from the config: the room rules of
// destinations.rooms[] and the storage backend (memory, or the file log in storage.path).
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "rooms/room_registry.hpp"

namespace stampede::rooms {

/// Null with `error` set when the backend cannot be opened (the file log's folder cannot be
/// created or is locked by another process).
std::unique_ptr<RoomRegistry> open_rooms(const config::Config& config, std::string& error);

}  // namespace stampede::rooms
