#include "simulations/traffic.hpp"

namespace rxp::sim {
namespace {

using policy::Section;

const char* const kReactions[] = {"rash", "nausea", "dizziness", "headache", "bleeding"};
const char* const kSeverities[] = {"mild", "mild", "moderate", "severe"};

Section staff_section(Sim& sim, bool pharmacist) {
  int r = static_cast<int>(sim.rng() % 10);
  if (r < 6) return Section::kMedications;
  if (r < 8) return Section::kAdverseEvents;
  return pharmacist || r == 8 ? Section::kDosing : Section::kMedications;
}

void report_adverse_event(Sim& sim, Person& who, const Patient& pt) {
  if (pt.medications.empty()) return;
  const uint64_t n = sim.count.commands;  // unique within the run
  events::AdverseEventReported ae{"ae-" + std::to_string(n), pt.medications[sim.rng() % pt.medications.size()],
                                  kReactions[sim.rng() % std::size(kReactions)],
                                  kSeverities[sim.rng() % std::size(kSeverities)],
                                  format_rfc3339_us(sim.clock.now_us()).substr(0, 10)};
  auto r = sim.record(who, pt.patient_id, record::ReportAdverseEvent{ae});
  if (r.error.is_ok() && r.outcome == record::Outcome::kOk) ++sim.count.adverse_events;
}

void prescribe(Sim& sim, Person& doc, Patient& pt) {
  std::string id = "med-rx-" + std::to_string(sim.count.commands);  // unique within the run
  events::MedicationAdded m{id, "amoxicillin", "500 mg", "oral", "three times daily",
                            format_rfc3339_us(sim.clock.now_us()).substr(0, 10), "", false};
  auto r = sim.record(doc, pt.patient_id, record::AddMedication{m});
  if (r.error.is_ok() && r.outcome == record::Outcome::kOk) {
    ++sim.count.prescriptions;
    pt.medications.push_back(id);
  }
}

// A shift: login at the start (a few mistype the password first), bursts, logout at the end.
void plan_shift(Sim& sim, Schedule& s, size_t who, int64_t start, int64_t end) {
  s.at(start, [&sim, who] {
    Person& p = sim.pop.people[who];
    if (sim.chance(0.04)) {
      Person typo = p;
      typo.password += "x";
      sim.login(typo, p.device, p.ip);
      ++sim.count.mistyped_passwords;
    }
    sim.login(p, p.device, p.ip);
  });
  for (int64_t t = start + sim.rand_between(1, 10) * kMinute; t < end; t += sim.rand_between(4, 16) * kMinute)
    s.at(t, [&sim, who] { view_burst(sim, who, 1 + static_cast<int>(sim.rng() % 3)); });
  s.at(end, [&sim, who] { sim.logout(sim.pop.people[who]); });
}

// A patient or proxy signs in, reads, sometimes reports, signs out.
void plan_portal_visit(Sim& sim, Schedule& s, size_t who, int64_t at) {
  s.at(at, [&sim, who] {
    Person& p = sim.pop.people[who];
    if (sim.chance(0.03)) p.device = p.device + "-new";  // a new phone
    if (!sim.login(p, p.device, p.ip)) return;
    const Patient* own = nullptr;
    for (const auto& pt : sim.pop.patients)
      if ((p.role == "patient" && pt.patient_id == p.patient_id) ||
          (p.role == "proxy" && pt.proxy >= 0 && sim.pop.people[pt.proxy].user_id == p.user_id)) {
        own = &pt;
        break;
      }
    if (own == nullptr) return;
    auto r = sim.record(p, own->patient_id, record::ViewSection{Section::kMedications, "patient_request"});
    if (r.error.is_ok() && r.outcome == record::Outcome::kOk) ++sim.count.views;
    if (sim.chance(0.2)) {
      auto a = sim.record(p, own->patient_id, record::ViewSection{Section::kAdverseEvents, "patient_request"});
      if (a.error.is_ok() && a.outcome == record::Outcome::kOk) ++sim.count.views;
    }
    if (sim.chance(0.05)) report_adverse_event(sim, p, *own);
    sim.logout(p);
  });
}

}  // namespace

void Schedule::at(int64_t at_us, std::function<void()> run) { queue_.push(Item{at_us, seq_++, std::move(run)}); }

Status Schedule::ticks_until(Sim& sim, int64_t t) {
  if (next_detect_us_ < 0) next_detect_us_ = sim.clock.now_us() + detect_every_us;
  if (next_project_us_ < 0) next_project_us_ = sim.clock.now_us() + project_every_us;
  while (next_detect_us_ <= t || next_project_us_ <= t) {
    bool detect = next_detect_us_ <= next_project_us_;
    int64_t when = detect ? next_detect_us_ : next_project_us_;
    sim.clock.set_us(std::max(sim.clock.now_us(), when));
    if (detect) {
      RXP_RETURN_IF_ERROR(sim.detect());
      next_detect_us_ += detect_every_us;
    } else {
      RXP_RETURN_IF_ERROR(sim.project());
      next_project_us_ += project_every_us;
    }
  }
  return Status::ok();
}

Status Schedule::run_until(Sim& sim, int64_t until_us) {
  while (!queue_.empty() && queue_.top().at_us <= until_us) {
    Item item = queue_.top();
    queue_.pop();
    RXP_RETURN_IF_ERROR(ticks_until(sim, item.at_us));
    sim.clock.set_us(std::max(sim.clock.now_us(), item.at_us));
    item.run();
  }
  return ticks_until(sim, until_us);
}

void view_burst(Sim& sim, size_t staff, int views) {
  Person& p = sim.pop.people[staff];
  auto it = sim.pop.panel.find(p.user_id);
  if (it == sim.pop.panel.end() || it->second.empty()) return;
  bool pharmacist = p.role == "pharmacist";
  for (int v = 0; v < views; ++v) {
    Patient& pt = sim.pop.patients[it->second[sim.rng() % it->second.size()]];
    auto r = sim.record(p, pt.patient_id, record::ViewSection{staff_section(sim, pharmacist), "treatment"});
    if (r.error.is_ok() && r.outcome == record::Outcome::kOk) ++sim.count.views;
    if (!pharmacist && sim.chance(0.05)) prescribe(sim, p, pt);
    if (sim.chance(pharmacist ? 0.05 : 0.01)) report_adverse_event(sim, p, pt);
  }
}

void plan_day(Sim& sim, Schedule& s, int64_t day) {
  int weekday = static_cast<int>((day / kDay + 4) % 7);  // 1970-01-01 was a Thursday; 0 = Monday
  bool weekend = weekday >= 5;
  auto& pop = sim.pop;
  for (size_t c : pop.clinicians) {
    if (!sim.chance(weekend ? 0.35 : 0.85)) continue;
    int64_t start = pop.people[c].night_shift ? day + 22 * kHour : day + 7 * kHour + sim.rand_between(0, 120) * kMinute;
    plan_shift(sim, s, c, start, start + 8 * kHour);
  }
  for (size_t ph : pop.pharmacists) {
    if (!sim.chance(weekend ? 0.4 : 0.85)) continue;
    int64_t start = day + 8 * kHour + sim.rand_between(0, 60) * kMinute;
    plan_shift(sim, s, ph, start, start + 8 * kHour);
  }
  for (size_t a : pop.admins) {
    int64_t start = day + 8 * kHour + sim.rand_between(0, 60) * kMinute;
    s.at(start, [&sim, a] { Person& p = sim.pop.people[a]; sim.login(p, p.device, p.ip); });
    s.at(start + kHour, [&sim, a] { sim.logout(sim.pop.people[a]); });
  }
  for (size_t a : pop.auditors) {
    s.at(day + 9 * kHour + sim.rand_between(0, 60) * kMinute, [&sim, a] {
      Person& p = sim.pop.people[a];
      if (!sim.login(p, p.device, p.ip)) return;
      for (int i = 0; i < 3; ++i) {
        const auto& pt = sim.pop.patients[sim.rng() % sim.pop.patients.size()];
        sim.record(p, pt.patient_id, record::ViewSection{Section::kAccessLog, "operations"});
      }
      sim.logout(p);
    });
  }
  for (auto* list : {&pop.patient_accounts, &pop.proxies})
    for (size_t p : *list)
      if (sim.chance(0.08)) plan_portal_visit(sim, s, p, day + 7 * kHour + sim.rand_between(0, 16 * 60) * kMinute);
}

}  // namespace rxp::sim
