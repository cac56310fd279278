// RedisConnection: one async hiredis connection. Attaching it to an event loop is injected
// (the broker passes its libev attach), so nothing here knows the loop or lws.
// Reconnecting, backoff and the watchdog belong to the owner, which sees on_state().
// One thread only: the thread of the loop it is attached to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/redis_url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace stampede::storage {

class RedisConnection {
   public:
    enum class State { Disconnected, Connecting, Connected };
    /// Attaches a fresh context to the owner's loop; false on failure.
    using Attach = std::function<bool(redisAsyncContext*)>;
    /// A command's reply; null when the connection went away before the reply came.
    using ReplyFn = std::function<void(const redisReply*)>;
    /// Pub/sub traffic: kind is "message", "pmessage", "subscribe", "psubscribe",
    /// "unsubscribe", "punsubscribe"; pattern is empty but for pmessage/p(un)subscribe.
    using PushFn = std::function<void(std::string_view kind, std::string_view pattern,
                                      std::string_view channel, std::string_view payload)>;

    RedisConnection(std::string name, Attach attach);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    void on_state(std::function<void(State, std::string_view why)> callback) {
        on_state_ = std::move(callback);
    }
    void on_push(PushFn callback) { on_push_ = std::move(callback); }

    /// Starts a non-blocking connect to a numeric address (resolve names elsewhere: this
    /// runs on a shard). AUTH and SELECT are sent first when the address asks for them.
    void connect(const std::string& ip, const RedisAddress& address);
    /// Drops the connection now; pending replies are called with null.
    void close();
    State state() const { return state_; }

    /// Sends a command; false (and nothing sent) when not connected.
    bool command(const std::vector<std::string_view>& argv, ReplyFn reply);
    /// SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE / PUNSUBSCRIBE: replies and messages go to on_push.
    bool subscribe_command(std::string_view verb, const std::vector<std::string_view>& names);

    /// Bytes of commands sent whose reply has not come yet.
    std::size_t pending_bytes() const { return pending_bytes_; }

   private:
    struct PendingCommand;
    static void connect_callback(const redisAsyncContext* context, int status);
    static void disconnect_callback(const redisAsyncContext* context, int status);
    static void reply_callback(redisAsyncContext* context, void* reply, void* privdata);
    static void push_callback(redisAsyncContext* context, void* reply, void* privdata);
    void set_state(State state, std::string_view why);

    std::string name_;
    Attach attach_;
    redisAsyncContext* context_ = nullptr;
    State state_ = State::Disconnected;
    std::size_t pending_bytes_ = 0;
    std::function<void(State, std::string_view)> on_state_;
    PushFn on_push_;
};

}  // namespace stampede::storage
