#include "simulations/sim.hpp"

#include <thread>

#include "actors/identity/totp.hpp"
#include "events/keyring.hpp"
#include "events/sqlite_store.hpp"
#include "projections/alert_raiser.hpp"
#include "projections/alerts.hpp"
#include "projections/catalog.hpp"
#include "projections/runner.hpp"

namespace rxp::sim {

using actors::DirectoryRequest;
using actors::LoginAttempt;
using actors::make_secret;
using actors::UserRequest;
using identity::UserOutcome;

Result<std::unique_ptr<Sim>> Sim::open(const SimOptions& o) {
  if (!secure_init()) return Status(ErrorCode::kInternal, "libsodium failed to initialise");
  std::unique_ptr<Sim> s(new Sim());
  s->dir = o.dir;
  s->clock.set_us(o.start_us);
  s->rng.seed(o.seed);
  auto keys = events::KeyRing::create(o.dir + "/rxportal.key");
  if (!keys) return keys.status();
  s->keys_ = std::make_unique<events::KeyRing>(std::move(keys.value()));
  auto store = events::open_sqlite_store(events::SqliteOptions{o.dir + "/events.db", true, false, ""});
  if (!store) return store.status();
  s->store_ = std::move(store.value());
  s->log_ = std::make_unique<events::EventLog>(*s->store_, *s->keys_, s->clock);
  actors::RuntimeOptions ro;
  // Synthetic passwords only: libsodium's minimum Argon2id cost (the report says so).
  ro.identity.password = identity::minimum_password_params();
  ro.identity.hasher_queue = 1024;
  // Expiry on use only: a wall-clock timer would end sessions at nondeterministic points.
  ro.identity.session_check_every = std::chrono::hours(24 * 365);
  ro.idle_us = 30LL * 24 * kHour;  // records stay live; passivation is not what a drill measures
  s->rt_ = std::make_unique<actors::Runtime>(*s->log_, s->clock, ro);
  s->raiser_ = std::make_unique<projections::AlertRaiser>(*s->log_);
  auto runner = projections::ProjectionRunner::open(*s->log_, projections::make_projections(),
                                                   {projections::projections_db_path(o.dir)});
  if (!runner) return runner.status();
  s->runner_ = std::move(runner.value());
  return s;
}

Sim::Sim() : clock(0) {}

Sim::~Sim() {
  runner_.reset();
  raiser_.reset();
  rt_.reset();
  log_.reset();
  keys_.reset();
  store_.reset();
}

uint64_t Sim::head() {
  auto h = store_->head_position();
  return h ? *h : 0;
}

void Sim::settle() {
  uint64_t last = head();
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    uint64_t now = head();
    if (now == last) return;
    last = now;
  }
}

int64_t Sim::rand_between(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

bool Sim::chance(double p) { return static_cast<double>(rng() % 1000000) < p * 1000000.0; }

std::string Sim::totp_now(const Person& p) const {
  auto code = identity::totp_code(BytesView(p.totp_secret.data(), p.totp_secret.size()), clock.now_us());
  return code ? code.value() : std::string("000000");
}

// A TOTP code is accepted once per 30 s step: a person who used this step's code waits for
// the next one, as they would in front of their authenticator app.
void Sim::wait_for_fresh_code(Person& p) {
  constexpr int64_t step_us = identity::kTotpStepSeconds * kSecond;
  int64_t step = clock.now_us() / step_us;
  if (step <= p.last_totp_step) clock.set_us((p.last_totp_step + 1) * step_us);
  p.last_totp_step = clock.now_us() / step_us;
}

bool Sim::login(Person& p, const std::string& device, const std::string& ip) {
  ++count.commands;
  auto r = rt_->call(DirectoryRequest{LoginAttempt{p.username, make_secret(p.password), ip, device}, "corr-sim"});
  if (!r.error.is_ok() || r.login.outcome != UserOutcome::kOk || r.login.login_id.empty()) {
    if (!r.error.is_ok()) ++count.errors;
    return false;
  }
  wait_for_fresh_code(p);
  ++count.commands;
  auto c = rt_->call(UserRequest(p.user_id, identity::CompleteTotp{r.login.login_id, totp_now(p), {}}));
  if (!c.error.is_ok()) ++count.errors;
  if (c.outcome != UserOutcome::kOk || !c.session) return false;
  p.session_id = c.session->session_id;
  p.token = c.session->token;
  p.step_up_until_us = c.session->step_up_until_us;
  ++count.logins;
  return true;
}

std::optional<policy::Subject> Sim::authenticate(const std::string& session_id, const std::string& token,
                                                 const std::string& device) {
  if (session_id.empty()) return std::nullopt;
  ++count.commands;
  auto r = rt_->call(actors::SessionRequest{session_id, identity::Authenticate{token, device, false, ""}});
  if (!r.error.is_ok()) ++count.errors;
  if (r.outcome != identity::SessionOutcome::kOk || !r.info) return std::nullopt;
  policy::Subject s;
  s.user_id = r.info->user_id;
  for (const auto& role : r.info->roles)
    if (auto parsed = policy::parse_role(role)) s.roles.insert(*parsed);
  s.patient_id = r.info->patient_id;
  if (r.info->step_up_until_us > 0) s.step_up_at_us = r.info->step_up_until_us - identity::kStepUpValidUs;
  return s;
}

std::optional<policy::Subject> Sim::session_subject(Person& p) {
  if (!p.session_id.empty())
    if (auto s = authenticate(p.session_id, p.token, p.device)) return s;
  p.session_id.clear();
  ++count.relogins;
  if (!login(p, p.device, p.ip)) return std::nullopt;
  return authenticate(p.session_id, p.token, p.device);
}

bool Sim::ensure_session(Person& p) { return session_subject(p).has_value(); }

bool Sim::step_up(Person& p) {
  if (!ensure_session(p)) return false;
  wait_for_fresh_code(p);
  ++count.commands;
  auto r = rt_->call(UserRequest(p.user_id, identity::StepUp{{p.session_id, p.step_up_until_us}, "totp", totp_now(p), {}, "", ""}));
  if (r.outcome != UserOutcome::kOk || !r.session) return false;
  p.token = r.session->token;  // a step-up rotates the token
  p.step_up_until_us = r.session->step_up_until_us;
  return true;
}

void Sim::logout(Person& p) {
  if (p.session_id.empty()) return;
  ++count.commands;
  rt_->call(actors::SessionRequest{p.session_id, identity::Logout{p.token}});
  p.session_id.clear();
  p.token.clear();
}

actors::RecordReply Sim::record(Person& p, const std::string& pid, record::RecordCommand cmd) {
  actors::RecordReply reply;
  reply.outcome = record::Outcome::kForbidden;
  reply.reason = "unauthenticated";
  auto subject = session_subject(p);  // one Authenticate per command, as the edge does
  if (!subject) return reply;
  ++count.commands;
  reply = rt_->call(actors::RecordRequest{pid, *subject, p.session_id, "corr-sim", std::move(cmd)});
  if (!reply.error.is_ok()) ++count.errors;
  if (reply.error.is_ok() && reply.outcome == record::Outcome::kForbidden) ++count.denied;
  return reply;
}

void Sim::note_action(const std::string& label) {
  int64_t now = clock.now_us();
  if (truth.action_count == 0) truth.first_us = now;
  truth.last_us = now;
  ++truth.action_count;
  if (truth.actions.size() < 200) truth.actions.push_back(label + " @" + format_rfc3339_us(now));
}

void Sim::label_since(uint64_t before) {
  uint64_t after = head();
  std::vector<uint64_t> mine;
  for (uint64_t p = before + 1; p <= after; ++p) {
    truth.positions.insert(p);
    mine.push_back(p);
  }
  truth.action_positions.push_back(std::move(mine));
}

void Sim::note_exposure(const std::string& pid, const std::string& section) {
  int64_t now = clock.now_us();
  auto& e = truth.exposure[pid];
  if (e.patient_id.empty()) {
    e.patient_id = pid;
    e.first_access_us = now;
    for (const auto& pt : pop.patients)
      if (pt.patient_id == pid) e.state = pt.state;
  }
  e.sections.insert(section);
  e.last_access_us = now;
}

Status Sim::detect() {
  RXP_RETURN_IF_ERROR(raiser_->catch_up());
  // The alerts appended by this catch-up: read back from the log (only alert/ streams are
  // decrypted), stamped with the tick time.
  uint64_t h = head();
  while (alerts_seen_through_ < h) {
    auto page = store_->read_all(alerts_seen_through_ + 1, 4096);
    if (!page) return page.status();
    if (page->empty()) break;
    for (const auto& raw : *page) {
      alerts_seen_through_ = raw.position;
      if (raw.stream_id.rfind(projections::kAlertStreamPrefix, 0) != 0) continue;
      auto e = log_->open(raw);
      if (!e) return e.status();
      if (!e->payload) continue;
      const auto* a = std::get_if<events::AlertRaised>(&*e->payload);
      if (a == nullptr) continue;
      alerts.push_back({a->rule, a->severity, a->user_id, a->patient_id, a->evidence, a->score,
                        e->header.occurred_at_us, clock.now_us()});
    }
  }
  return Status::ok();
}

Status Sim::project() { return runner_->catch_up(); }

}  // namespace rxp::sim
