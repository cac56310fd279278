// See http_api.hpp.
#include "http/http_api.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <utility>

#include "core/authenticator.hpp"
#include "core/credentials.hpp"
#include "core/publish.hpp"
#include "core/publish_form.hpp"
#include "core/shard_services.hpp"
#include "http/admin_api.hpp"
#include "http/chunked_body.hpp"
#include "http/http_values.hpp"

namespace stampede::broker {
namespace {

using namespace http_status;

HttpResponse json_answer(unsigned status, std::string_view key, std::string_view text) {
    return {status, "application/json", json_object(key, text), status == kUnauthorized};
}

unsigned publish_status(PublishError error) {
    switch (error) {
        case PublishError::None:
            return kAccepted;
        case PublishError::UnknownPrefix:
        case PublishError::NotATopic:
        case PublishError::BadDestination:
            return kBadRequest;
        case PublishError::AccessDenied:
            return kForbidden;
        case PublishError::QueueFull:
        case PublishError::StorageUnavailable:
            return kUnavailable;
    }
    return kBadRequest;
}

}  // namespace

struct HttpApi::Publish {
    std::uint64_t id = 0;
    std::string authorization;
    std::string peer;
    bool json = false;       // Content-Type: application/json
    bool too_large = false;  // the body crossed limits.max_frame_bytes
    std::string body;
    // Transfer-Encoding: chunked. lws passes such a body on with its framing and never says
    // where it ends: it is decoded here, and its last chunk ends it.
    std::unique_ptr<ChunkedBody> chunked;
    PublishForm form;  // read from the body
};

HttpApi::HttpApi(ShardServices& shard, MetricsFn metrics, ReadyFn ready)
    : shard_(shard),
      metrics_(std::move(metrics)),
      ready_(std::move(ready)),
      admin_(
          std::make_unique<AdminApi>(shard, [this](std::uint64_t request, HttpResponse response) {
              answers_[request] = std::move(response);
              ready_(request);
          })) {}

HttpApi::~HttpApi() = default;

HttpNext HttpApi::begin(std::uint64_t request, const HttpHead& head) {
    const auto& http = shard_.config().http;
    if (admin_->owns(head.uri)) {
        // No body is read (DELETE and GET carry none): one that comes is discarded by lws.
        if (auto response = admin_->begin(request, head)) {
            answers_[request] = std::move(*response);
            return HttpNext::Answer;
        }
        return HttpNext::Wait;
    }
    if (head.uri == http.publish && !http.publish.empty()) {
        if (!head.post) {
            answers_[request] = json_answer(kMethodNotAllowed, "error", "use POST");
            return HttpNext::Answer;
        }
        // lws reads the length with atoll (so "12abc" is 12 and "-1" is huge): anything but
        // plain digits is refused before any body is read.
        std::uint64_t declared = 0;
        if (!head.content_length.empty()) {
            const char* first = head.content_length.data();
            const char* last = first + head.content_length.size();
            const auto [end, ec] = std::from_chars(first, last, declared);
            if (ec != std::errc() || end != last) {
                answers_[request] = json_answer(kBadRequest, "error", "bad Content-Length");
                return HttpNext::AnswerAndClose;
            }
        }
        auto publish = std::make_unique<Publish>();
        publish->id = request;
        publish->authorization = head.authorization;
        publish->peer = head.peer;
        publish->json = head.content_type.rfind("application/json", 0) == 0;
        publish->too_large = declared > shard_.config().limits.max_frame_bytes;
        if (head.chunked) {
            publish->chunked =
                std::make_unique<ChunkedBody>(shard_.config().limits.max_frame_bytes);
        }
        Publish& pending = *publish;
        publishes_[request] = std::move(publish);
        return declared == 0 && !head.chunked ? answer_publish(pending) : HttpNext::ReadBody;
    }
    if (head.uri == http.health && !http.health.empty()) {
        answers_[request] = shard_.draining() ? HttpResponse{kUnavailable, "text/plain", "draining"}
                                              : HttpResponse{kOk, "text/plain", "ok"};
    } else if (head.uri == http.metrics && !http.metrics.empty()) {
        answers_[request] = {kOk, "text/plain; version=0.0.4", metrics_()};
    } else {
        answers_[request] = {kNotFound, "text/plain", "not found"};
    }
    return HttpNext::Answer;
}

HttpNext HttpApi::body(std::uint64_t request, std::string_view chunk) {
    const auto it = publishes_.find(request);
    if (it == publishes_.end()) {
        return HttpNext::ReadBody;
    }
    Publish& publish = *it->second;
    if (publish.chunked) {
        switch (publish.chunked->feed(chunk, publish.body)) {
            case ChunkedBody::Status::More:
                return HttpNext::ReadBody;
            case ChunkedBody::Status::Done:
                publish.too_large = publish.too_large || publish.chunked->overflowed();
                publish.chunked.reset();
                if (publish.too_large) {
                    publish.body.clear();
                }
                return answer_publish(publish);
            case ChunkedBody::Status::Broken:
                publish.chunked.reset();
                finish(publish, kBadRequest, "error", "bad chunked encoding");
                return HttpNext::Answer;
        }
    }
    if (publish.too_large ||
        publish.body.size() + chunk.size() > shard_.config().limits.max_frame_bytes) {
        publish.too_large = true;  // read and dropped: the answer is 413
        publish.body.clear();
        return HttpNext::ReadBody;
    }
    publish.body.append(chunk);
    return HttpNext::ReadBody;
}

HttpNext HttpApi::end_body(std::uint64_t request) {
    const auto it = publishes_.find(request);
    if (it != publishes_.end() && it->second->chunked) {
        return HttpNext::Wait;  // lws does not know where a chunked body ends; its last chunk will
    }
    return it == publishes_.end() ? HttpNext::Answer : answer_publish(*it->second);
}

std::optional<HttpResponse> HttpApi::take(std::uint64_t request) {
    const auto it = answers_.find(request);
    if (it == answers_.end()) {
        return std::nullopt;
    }
    HttpResponse response = std::move(it->second);
    answers_.erase(it);
    return response;
}

void HttpApi::closed(std::uint64_t request) {
    admin_->closed(request);
    publishes_.erase(request);
    answers_.erase(request);
}

void HttpApi::finish(Publish& publish, unsigned status, std::string_view key,
                     std::string_view text) {
    answers_[publish.id] = json_answer(status, key, text);
    publishes_.erase(publish.id);  // `publish` is gone from here on
}

HttpNext HttpApi::answer_publish(Publish& publish) {
    if (publish.too_large) {
        finish(publish, kTooLarge, "error", "body exceeds max_frame_bytes");
        return HttpNext::Answer;
    }
    if (!publish.json) {
        finish(publish, kUnsupportedMediaType, "error", "Content-Type must be application/json");
        return HttpNext::Answer;
    }
    if (const char* problem = read_publish_form(publish.body, publish.form)) {
        finish(publish, kBadRequest, "error", problem);
        return HttpNext::Answer;
    }
    // The form holds what is needed now; the raw body would double what a request waiting
    // for its passcode check holds.
    std::string().swap(publish.body);
    PublishRequest probe;
    probe.source = PublishSource::Http;
    probe.destination = publish.form.destination;
    if (shard_.publisher().check(probe).error == PublishError::UnknownPrefix) {
        finish(publish, kBadRequest, "error",
               protocol::close_reason_text(close_reason(PublishError::UnknownPrefix)));
        return HttpNext::Answer;
    }
    // Never anonymous: a Bearer token or a service account (Basic), checked as a CONNECT's
    // credentials are; failures count against the client's IP like CONNECT's.
    std::string decoded;
    const Credentials credentials = http_credentials(publish.authorization, decoded);
    auto later = [this, id = publish.id](const AuthOutcome& outcome) {
        if (const auto it = publishes_.find(id); it != publishes_.end()) {
            authenticated(*it->second, outcome);
            ready_(id);
        }
    };
    const auto outcome =
        shard_.authenticator().check(credentials, publish.peer, std::nullopt, std::move(later));
    if (!outcome) {
        return HttpNext::Wait;
    }
    authenticated(publish, *outcome);
    return HttpNext::Answer;
}

void HttpApi::authenticated(Publish& publish, const AuthOutcome& outcome) {
    switch (outcome.status) {
        case AuthOutcome::Status::Blocked:
            return finish(publish, kTooManyRequests, "error", "too many failed logins");
        case AuthOutcome::Status::Busy:
            return finish(publish, kUnavailable, "error", "too busy");
        case AuthOutcome::Status::Refused:
            return finish(publish, kUnauthorized, "error", auth::to_text(outcome.error));
        case AuthOutcome::Status::Accepted:
            break;
    }
    PublishForm& form = publish.form;
    PublishRequest request;
    request.source = PublishSource::Http;
    request.destination = form.destination;
    request.sender = &outcome.principal;
    request.headers = std::move(form.headers);
    request.body = std::move(form.body);
    const PublishResult result = shard_.publisher().publish(request);
    if (result.error != PublishError::None) {
        return finish(publish, publish_status(result.error), "error",
                      protocol::close_reason_text(close_reason(result.error)));
    }
    // An x-ephemeral message over its rate in a presence room is dropped, quietly: no id.
    finish(publish, kAccepted, "message_id", result.message ? result.message->id : "");
}

}  // namespace stampede::broker
