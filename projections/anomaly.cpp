// The anomaly rules (anomaly.hpp). Each rule is a short function over the user's recent
// activity; windows are deques of (time, position) trimmed by the event's own time.
#include "projections/anomaly.hpp"

#include <algorithm>

namespace rxp::projections {
namespace {

constexpr int64_t kHourUs = 3600LL * 1000000;
constexpr int64_t kTenMinutesUs = 600LL * 1000000;
constexpr double kBaselineWeight = 0.1;  // EWMA weight of the newest hour

using Window = std::deque<std::pair<int64_t, uint64_t>>;

void trim(Window& w, int64_t now, int64_t span) {
  while (!w.empty() && w.front().first <= now - span) w.pop_front();
}

std::vector<uint64_t> positions(const Window& w) {
  std::vector<uint64_t> out;
  for (const auto& [t, p] : w) out.push_back(p);
  return out;
}

std::string stream_id_after(const std::string& stream, const char* prefix) {
  std::string p(prefix);
  return stream.rfind(p, 0) == 0 ? stream.substr(p.size()) : std::string();
}

Alert make(const std::string& rule, const char* severity, std::string explanation, const events::RecordedEvent& e,
           std::string user, std::string patient, std::vector<uint64_t> evidence, double score) {
  Alert a;
  a.alert_id = "alr-" + rule + "-" + std::to_string(e.header.position);
  std::replace(a.alert_id.begin(), a.alert_id.end(), '_', '-');
  a.rule = rule;
  a.severity = severity;
  a.explanation = std::move(explanation);
  a.user_id = std::move(user);
  a.patient_id = std::move(patient);
  a.evidence = std::move(evidence);
  if (a.evidence.empty() || a.evidence.back() != e.header.position) a.evidence.push_back(e.header.position);
  a.score = std::clamp(score, 0.0, 1.0);
  return a;
}

// Hourly views feed an exponentially weighted baseline; hours without views count as zero.
void roll_baseline(UserActivity& u, int64_t now) {
  int64_t bucket = now / kHourUs;
  if (u.last_hour_bucket < 0) {
    u.last_hour_bucket = bucket;
    u.baseline_since_us = now;
    return;
  }
  while (u.last_hour_bucket < bucket) {
    u.hourly_baseline = (1 - kBaselineWeight) * u.hourly_baseline + kBaselineWeight * static_cast<double>(u.views_in_bucket);
    u.views_in_bucket = 0;
    ++u.last_hour_bucket;
    if (bucket - u.last_hour_bucket > 24 * 30) u.last_hour_bucket = bucket;  // long silence: enough decay
  }
}

bool off_hours(int64_t t) {
  int64_t hour = (t / kHourUs) % 24;
  return hour >= 22 || hour < 6;
}

struct Detector {
  DetectorState& st;
  const DetectorConfig& cfg;
  const events::RecordedEvent& e;
  std::vector<Alert> out;
  double score = 0;  // the highest graded suspicion any rule gave this event

  void grade(double s) { score = std::max(score, std::clamp(s, 0.0, 1.0)); }
  // Progress toward a count threshold, scaled to the alert's own score.
  void progress(size_t n, size_t threshold, double alert_score) {
    grade(alert_score * std::min(1.0, static_cast<double>(n) / static_cast<double>(std::max<size_t>(threshold, 1))));
  }

  int64_t now() const { return e.header.occurred_at_us; }
  const std::string& who() const { return e.header.principal.user_id; }
  std::string patient() const { return stream_id_after(e.header.stream_id, "record/"); }
  std::string stream_user() const { return stream_id_after(e.header.stream_id, "user/"); }

  // A VIP's record opened by staff outside its care team (break-glass, or a care relationship
  // since ended). The care team's own views, and the patient's or proxy's, are care, not
  // snooping: alerting on them buried the real snooping in drills (467 of 695 false alerts).
  void vip(const char* what) {
    if (!st.vip_patients.count(patient())) return;
    const std::string& role = e.header.principal.role;
    if (role == "patient" || role == "proxy") return;
    auto team = st.vip_care_teams.find(patient());
    if (team != st.vip_care_teams.end() && team->second.count(who())) {
      grade(0.2);
      return;
    }
    grade(0.6);
    out.push_back(make("vip_record_access", "medium",
                         std::string("a flagged (VIP) record was ") + what + " by user " + who(), e, who(),
                         patient(), {}, 0.6));
  }

  void on_view() {
    auto& u = st.users[who()];
    roll_baseline(u, now());
    ++u.views_in_bucket;
    u.views.emplace_back(now(), e.header.position);
    trim(u.views, now(), cfg.window_us);
    double expected = std::max(u.hourly_baseline, 1.0) * cfg.volume_factor;
    bool enough_history = now() - u.baseline_since_us >= 24 * kHourUs;
    double n = static_cast<double>(u.views.size());
    if (enough_history) grade(std::min(n / (2 * expected), u.views.size() >= cfg.volume_min ? 1.0 : 0.49));
    if (n < expected) u.volume_alerted_in_window = false;
    if (enough_history && !u.volume_alerted_in_window && u.views.size() >= cfg.volume_min && n >= expected) {
      u.volume_alerted_in_window = true;
      out.push_back(make("volume_above_baseline", "medium",
                         "user " + who() + " viewed " + std::to_string(u.views.size()) +
                             " record sections in an hour; their usual rate is about " +
                             std::to_string(static_cast<long>(u.hourly_baseline + 0.5)) + " an hour",
                         e, who(), "", positions(u.views), n / (2 * expected)));
    }
    if (off_hours(now())) {
      u.night_views.emplace_back(now(), e.header.position);
      trim(u.night_views, now(), 8 * kHourUs);
      // Night shifts are normal for those who work them: bulk night access is suspicious only
      // from someone watched for three days or more (a learning period: the detector knows
      // nobody's shifts at first) who worked fewer than two of the previous fourteen nights.
      int64_t night = (now() - 6 * kHourUs) / (24 * kHourUs);
      size_t worked = 0;
      for (int64_t n : u.nights_worked) worked += n >= night - 14 && n < night;
      u.nights_worked.insert(night);
      while (u.nights_worked.size() > 15) u.nights_worked.erase(u.nights_worked.begin());
      bool night_worker = worked >= 2 || now() - u.baseline_since_us < 3 * 24 * kHourUs;
      progress(u.night_views.size(), cfg.off_hours_views, night_worker ? 0.35 : 0.7);
      if (!night_worker && u.night_views.size() == cfg.off_hours_views)
        out.push_back(make("off_hours_bulk", "medium",
                           "user " + who() + " viewed " + std::to_string(cfg.off_hours_views) +
                               " record sections between 22:00 and 06:00 UTC",
                           e, who(), "", positions(u.night_views), 0.7));
    }
    vip("viewed");
  }

  void on_export() {
    auto& u = st.users[who()];
    u.exports.emplace_back(now(), e.header.position);
    trim(u.exports, now(), kTenMinutesUs);
    progress(u.exports.size(), cfg.export_burst, 0.8);
    if (u.exports.size() == cfg.export_burst)
      out.push_back(make("export_burst", "high",
                         "user " + who() + " exported " + std::to_string(cfg.export_burst) +
                             " records within ten minutes",
                         e, who(), patient(), positions(u.exports), 0.8));
    vip("exported");
  }

  void on_denied(const events::AccessDenied& d) {
    if (d.reason != "no_care_relationship") return;
    auto& u = st.users[who()];
    u.denials.emplace_back(now(), e.header.position);
    trim(u.denials, now(), cfg.window_us);
    progress(u.denials.size(), cfg.no_care_denials, 0.7);
    if (u.denials.size() == cfg.no_care_denials)
      out.push_back(make("no_care_relationship", "medium",
                         "user " + who() + " tried " + std::to_string(cfg.no_care_denials) +
                             " times within an hour to open records of patients they have no care "
                             "relationship with",
                         e, who(), patient(), positions(u.denials), 0.7));
  }

  void on_login_failed(const events::LoginFailed& f) {
    if (f.reason != "bad_password" && f.reason != "unknown_user") return;
    std::string user = stream_user();
    if (!user.empty()) {
      auto& u = st.users[user];
      u.failures.emplace_back(now(), e.header.position);
      trim(u.failures, now(), kTenMinutesUs);
      progress(u.failures.size(), cfg.failed_logins, 0.8);
      if (u.failures.size() == cfg.failed_logins)
        out.push_back(make("failed_login_storm", "high",
                           std::to_string(cfg.failed_logins) + " failed passwords for user " + user +
                               " within ten minutes (password guessing)",
                           e, user, "", positions(u.failures), 0.8));
    }
    if (f.source_ip.empty()) return;
    auto& w = st.source_failures[f.source_ip];
    w.emplace_back(now(), e.header.position);
    trim(w, now(), kTenMinutesUs);
    progress(w.size(), cfg.failed_logins, 0.8);
    if (w.size() == cfg.failed_logins)
      out.push_back(make("failed_login_storm", "high",
                         std::to_string(cfg.failed_logins) + " failed logins from one address within "
                             "ten minutes (credential stuffing)",
                         e, "", "", positions(w), 0.8));
  }

  void on_login_succeeded(const events::LoginSucceeded& s) {
    std::string user = stream_user();
    auto& u = st.users[user];
    if (s.device_hash.empty()) return;
    bool seen_before = !u.devices.empty();
    if (!u.devices.insert(s.device_hash).second || !seen_before) return;
    grade(0.3);
    out.push_back(make("new_device_login", "low",
                         "user " + user + " signed in from a device not seen for them before (" + s.method + ")",
                         e, user, "", {}, 0.3));
  }

  // The session actor ends a session whose token comes back with another device's
  // fingerprint: someone holds a copy of the token (stolen cookie replayed elsewhere).
  void on_session_ended(const events::SessionEnded& s) {
    if (s.reason != "device_changed") return;
    grade(0.9);
    out.push_back(make("session_token_replay", "high",
                       "a session token of user " + who() + " was presented from another device; the session was ended",
                       e, who(), "", {}, 0.9));
  }

  void operator()(const events::RecordCreated& c) {
    if (c.vip) st.vip_patients.insert(patient());
  }
  void operator()(const events::CareRelationshipAdded& c) {
    if (st.vip_patients.count(patient())) st.vip_care_teams[patient()].insert(c.clinician_id);
  }
  void operator()(const events::CareRelationshipEnded& c) {
    auto team = st.vip_care_teams.find(patient());
    if (team != st.vip_care_teams.end()) team->second.erase(c.clinician_id);
  }
  void operator()(const events::RecordViewed&) { on_view(); }
  void operator()(const events::RecordExported&) { on_export(); }
  void operator()(const events::AccessDenied& d) { on_denied(d); }
  void operator()(const events::LoginFailed& f) { on_login_failed(f); }
  void operator()(const events::LoginSucceeded& s) { on_login_succeeded(s); }
  void operator()(const events::SessionEnded& s) { on_session_ended(s); }
  void operator()(const events::MfaBombingSuspected& m) {
    grade(0.9);
    out.push_back(make("mfa_bombing", "high",
                       std::to_string(m.prompts_in_window) + " sign-in approval prompts for user " + stream_user() +
                           " within ten minutes (MFA fatigue attack)",
                       e, stream_user(), "", {}, 0.9));
  }
  void operator()(const events::AuthenticatorCloneSuspected&) {
    grade(0.9);
    out.push_back(make("authenticator_clone", "high",
                       "a security key of user " + stream_user() +
                           " reported a signature counter that went backwards (possible cloned key)",
                       e, stream_user(), "", {}, 0.9));
  }
  void operator()(const events::BreakGlassInvoked& b) {
    grade(1.0);
    out.push_back(make("break_glass", "high",
                       "user " + who() + " used emergency access (reason " + b.reason_code +
                           "); an auditor must review it",
                       e, who(), patient(), {}, 1.0));
  }
  template <class Other>
  void operator()(const Other&) {}
};

}  // namespace

namespace {

Detector judge(DetectorState& state, const events::RecordedEvent& event, const DetectorConfig& config) {
  Detector d{state, config, event, {}};
  if (event.payload) std::visit(d, *event.payload);  // shredded: nothing to judge
  return d;
}

}  // namespace

double score_event(DetectorState& state, const events::RecordedEvent& event, const DetectorConfig& config) {
  Detector d = judge(state, event, config);
  for (const Alert& a : d.out) d.grade(a.score);  // never below an alert the event would raise
  return d.score;
}

std::vector<Alert> detect(DetectorState& state, const events::RecordedEvent& event, const DetectorConfig& config) {
  Detector d = judge(state, event, config);
  // One event may trigger one rule twice (an account storm and a source storm at once):
  // later ones get a suffix, so every alert id stays unique and deterministic.
  for (size_t i = 1; i < d.out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (d.out[j].alert_id == d.out[i].alert_id) {
        d.out[i].alert_id += "-" + std::to_string(i + 1);
        break;
      }
  return std::move(d.out);
}

}  // namespace rxp::projections
