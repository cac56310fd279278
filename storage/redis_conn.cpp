// RedisConnection: hiredis async plumbing. Loop thread only.
#include "storage/redis_conn.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <string>

namespace stampede::storage {

struct RedisConnection::PendingCommand {
    RedisConnection* owner;
    ReplyFn reply;
    std::size_t bytes;
};

RedisConnection::RedisConnection(std::string name, Attach attach)
    : name_(std::move(name)), attach_(std::move(attach)) {}

RedisConnection::~RedisConnection() {
    on_state_ = nullptr;
    on_push_ = nullptr;
    close();
}

void RedisConnection::set_state(State state, std::string_view why) {
    state_ = state;
    if (on_state_) {
        on_state_(state, why);
    }
}

void RedisConnection::connect(const std::string& ip, const RedisAddress& address) {
    close();
    redisAsyncContext* context = redisAsyncConnect(ip.c_str(), address.port);
    if (context == nullptr) {
        set_state(State::Disconnected, "out of memory");
        return;
    }
    if (context->err != 0) {
        const std::string why = context->errstr;
        redisAsyncFree(context);
        set_state(State::Disconnected, why);
        return;
    }
    context->data = this;
    if (!attach_(context)) {
        redisAsyncFree(context);
        set_state(State::Disconnected, "cannot attach to the event loop");
        return;
    }
    redisAsyncSetConnectCallback(context, &RedisConnection::connect_callback);
    redisAsyncSetDisconnectCallback(context, &RedisConnection::disconnect_callback);
    context_ = context;
    state_ = State::Connecting;
    // Queued now, written once connected, answered before anything sent later.
    if (!address.password.empty()) {
        std::vector<std::string_view> auth{"AUTH"};
        if (!address.username.empty()) {
            auth.push_back(address.username);
        }
        auth.push_back(address.password);
        command(auth, nullptr);
    }
    if (address.db != 0) {
        const std::string db = std::to_string(address.db);
        command({"SELECT", db}, nullptr);
    }
}

void RedisConnection::close() {
    if (context_ == nullptr) {
        return;
    }
    redisAsyncContext* context = context_;
    context_ = nullptr;
    // hiredis calls every pending callback with a null reply, then the disconnect callback,
    // which sees context_ already cleared and stays quiet; our own state change follows.
    redisAsyncFree(context);
    pending_bytes_ = 0;
    if (state_ != State::Disconnected) {
        set_state(State::Disconnected, "closed");
    }
}

void RedisConnection::connect_callback(const redisAsyncContext* context, int status) {
    auto* self = static_cast<RedisConnection*>(context->data);
    if (self == nullptr || self->context_ != context) {
        return;
    }
    if (status != REDIS_OK) {
        // hiredis frees the context itself after a failed connect.
        self->context_ = nullptr;
        self->pending_bytes_ = 0;
        self->set_state(State::Disconnected, context->errstr);
        return;
    }
    self->set_state(State::Connected, "connected");
}

void RedisConnection::disconnect_callback(const redisAsyncContext* context, int) {
    auto* self = static_cast<RedisConnection*>(context->data);
    if (self == nullptr || self->context_ != context) {
        return;  // closed by us: close() reports the state
    }
    self->context_ = nullptr;
    self->pending_bytes_ = 0;
    self->set_state(State::Disconnected, context->err != 0 ? context->errstr : "disconnected");
}

void RedisConnection::reply_callback(redisAsyncContext*, void* reply, void* privdata) {
    auto* pending = static_cast<PendingCommand*>(privdata);
    RedisConnection* self = pending->owner;
    if (self->pending_bytes_ >= pending->bytes) {
        self->pending_bytes_ -= pending->bytes;
    }
    if (pending->reply) {
        pending->reply(static_cast<const redisReply*>(reply));
    }
    delete pending;
}

bool RedisConnection::command(const std::vector<std::string_view>& argv, ReplyFn reply) {
    if (context_ == nullptr) {
        return false;
    }
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    std::size_t bytes = 0;
    for (const auto arg : argv) {
        args.push_back(arg.data());
        lengths.push_back(arg.size());
        bytes += arg.size() + 16;
    }
    auto* pending = new PendingCommand{this, std::move(reply), bytes};
    if (redisAsyncCommandArgv(context_, &RedisConnection::reply_callback, pending,
                              static_cast<int>(args.size()), args.data(),
                              lengths.data()) != REDIS_OK) {
        delete pending;
        return false;
    }
    pending_bytes_ += bytes;
    return true;
}

void RedisConnection::push_callback(redisAsyncContext* context, void* raw, void*) {
    auto* self = static_cast<RedisConnection*>(context->data);
    const auto* reply = static_cast<const redisReply*>(raw);
    if (self == nullptr || reply == nullptr || !self->on_push_ ||
        reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) {
        return;
    }
    const auto text = [&](std::size_t i) -> std::string_view {
        const redisReply* element = reply->element[i];
        if (element->type != REDIS_REPLY_STRING) {
            return {};
        }
        return {element->str, element->len};
    };
    const std::string_view kind = text(0);
    if (kind == "pmessage" && reply->elements >= 4) {
        self->on_push_(kind, text(1), text(2), text(3));
    } else if (kind == "psubscribe" || kind == "punsubscribe") {
        self->on_push_(kind, text(1), {}, {});
    } else {
        self->on_push_(kind, {}, text(1), kind == "message" ? text(2) : std::string_view{});
    }
}

bool RedisConnection::subscribe_command(std::string_view verb,
                                        const std::vector<std::string_view>& names) {
    if (context_ == nullptr || names.empty()) {
        return false;
    }
    std::vector<const char*> args{verb.data()};
    std::vector<std::size_t> lengths{verb.size()};
    for (const auto name : names) {
        args.push_back(name.data());
        lengths.push_back(name.size());
    }
    // privdata stays null: hiredis keeps calling push_callback for every message of these
    // channels, so nothing may be freed per call; the owner is found through context->data.
    return redisAsyncCommandArgv(context_, &RedisConnection::push_callback, nullptr,
                                 static_cast<int>(args.size()), args.data(),
                                 lengths.data()) == REDIS_OK;
}

}  // namespace stampede::storage
