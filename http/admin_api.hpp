// AdminApi: the admin API under http.admin (DESIGN.md "HTTP"): list this node's connections
// and destinations, close a connection, end a room membership. Only for a principal with a
// role in http.admin_roles, checked by the shard's one Authenticator (a Bearer token or a
// service account's Basic credentials, failures counted per IP as for HTTP publish). Each
// shard owns its sessions, so a listing asks every shard through its inbox and answers when
// all have replied; the HTTP request waits meanwhile (HttpNext::Wait). Every action is
// audit-logged. Values in, values out: no lws here. Shard thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/admin_route.hpp"
#include "http/http_exchange.hpp"

namespace stampede::broker {

class ShardServices;
struct AuthOutcome;
struct SessionReport;

class AdminApi {
   public:
    /// An answer that came after begin() returned (it returned nullopt).
    using DoneFn = std::function<void(std::uint64_t request, HttpResponse response)>;

    AdminApi(ShardServices& shard, DoneFn done);
    ~AdminApi();
    AdminApi(const AdminApi&) = delete;
    AdminApi& operator=(const AdminApi&) = delete;

    /// Whether `uri` is the admin API's (http.admin set, and `uri` under it).
    bool owns(std::string_view uri) const;
    /// The answer now, or nullopt: `done` receives it later.
    std::optional<HttpResponse> begin(std::uint64_t request, const HttpHead& head);
    /// The connection went away: whatever comes back for it is dropped.
    void closed(std::uint64_t request);

   private:
    struct Call;
    void authenticated(Call& call, const AuthOutcome& outcome);
    void gather(Call& call);
    void gathered(std::uint64_t request, std::vector<SessionReport> reports);
    void close_connection(Call& call);
    void remove_member(Call& call);
    /// Answers `call` (which is gone afterwards) and writes its audit line.
    void answer(Call& call, unsigned status, std::string body, std::string_view outcome);

    ShardServices& shard_;
    DoneFn done_;
    std::unordered_map<std::uint64_t, std::unique_ptr<Call>> calls_;
    // The request begin() is running, whose answer begin() returns rather than done_ gets.
    std::uint64_t in_begin_ = 0;
    std::optional<HttpResponse> begin_answer_;
};

}  // namespace stampede::broker
