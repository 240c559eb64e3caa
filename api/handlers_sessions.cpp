// /v1/me/sessions: the signed-in user's live sessions, and ending one of them. The user actor
// knows which sessions are the user's (ListSessions, EndSession); each session actor knows its
// own last use and idle expiry (Describe, which is not a use). Tokens never leave the actors.
#include <mutex>

#include "api/edge_internal.hpp"

namespace rxp::api {
namespace {

using actors::SessionReply;
using actors::SessionRequest;
using actors::UserReply;
using actors::UserRequest;
using identity::UserOutcome;

// Gathers the Describe answers of the listed sessions; answers once the last one is in.
struct Gather {
  std::mutex mu;
  size_t waiting = 0;
  bool failed = false;
  std::vector<std::optional<identity::SessionInfo>> infos;  // in the user's order
};

nlohmann::json item(const identity::SessionInfo& s, const std::string& current) {
  return {{"id", s.session_id},
          {"created_at", rfc3339(s.started_at_us)},
          {"last_used_at", rfc3339(s.last_used_at_us)},
          {"idle_expires_at", rfc3339(s.idle_expires_at_us)},
          {"absolute_expires_at", rfc3339(s.absolute_expires_at_us)},
          {"current", s.session_id == current}};
}

void answer_list(const CallPtr& c, Gather& g) {
  if (g.failed) return answer(c, unavailable());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& info : g.infos)
    if (info) items.push_back(item(*info, c->session.session_id));  // one that just ended is left out
  answer(c, json_response(200, dump(nlohmann::json{{"items", std::move(items)}})));
}

}  // namespace

void handle_sessions(const CallPtr& c) {
  ask<UserRequest, UserReply>(c, user_request(c, identity::ListSessions{facts_of(*c)}),
                              [](const CallPtr& cc, UserReply& u) {
    if (!u.error.is_ok()) return answer(cc, unavailable());
    if (u.outcome == UserOutcome::kNotFound) return answer(cc, unauthenticated());
    if (u.outcome != UserOutcome::kOk) return answer(cc, unavailable());
    auto g = std::make_shared<Gather>();
    g->waiting = u.sessions.size();
    g->infos.resize(u.sessions.size());
    if (u.sessions.empty()) return answer_list(cc, *g);
    for (size_t i = 0; i < u.sessions.size(); ++i) {
      SessionRequest describe{u.sessions[i].session_id, identity::Describe{}};
      ask<SessionRequest, SessionReply>(cc, std::move(describe), [g, i](const CallPtr& c3, SessionReply& r) {
        bool last = false;
        {
          std::lock_guard lock(g->mu);
          if (!r.error.is_ok()) g->failed = true;
          else if (r.outcome == identity::SessionOutcome::kOk && r.info) g->infos[i] = *r.info;
          last = --g->waiting == 0;
        }
        if (last) answer_list(c3, *g);
      });
    }
  });
}

void handle_session_end(const CallPtr& c) {
  std::string target = c->route.param;
  bool own = target == c->session.session_id;
  ask<UserRequest, UserReply>(c, user_request(c, identity::EndSession{facts_of(*c), target}),
                              [own](const CallPtr& cc, UserReply& u) {
    if (!u.error.is_ok()) return answer(cc, unavailable());
    if (u.outcome == UserOutcome::kNotFound)
      // Another user's session id is answered exactly like one that does not exist.
      return u.reason == "session" ? answer(cc, unauthenticated())
                                   : answer(cc, error_response(404, "not_found", "no such session"));
    if (u.outcome != UserOutcome::kOk) return answer(cc, unavailable());
    auto resp = empty_response(204);
    if (own) resp.headers.emplace_back("Set-Cookie", clear_cookie(kSessionCookie));
    answer(cc, std::move(resp));
  });
}

}  // namespace rxp::api
