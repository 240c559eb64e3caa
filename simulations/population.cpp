#include "simulations/population.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "actors/identity/totp.hpp"

namespace rxp::sim {
namespace {

using actors::DirectoryRequest;
using actors::UserRequest;
using identity::UserOutcome;

constexpr int64_t kYearUs = 365LL * kDay + 6 * kHour;

const char* const kStates[] = {"MA", "MA", "MA", "MA", "NH", "RI", "CT", "NY", "VT", "ME"};
struct Drug {
  const char* name;
  const char* dose;
  bool confidential;
};
const Drug kDrugs[] = {{"warfarin", "5 mg", false},       {"clopidogrel", "75 mg", false},
                       {"atorvastatin", "20 mg", false},  {"metformin", "500 mg", false},
                       {"lisinopril", "10 mg", false},    {"albuterol inhaler", "2 puffs", false},
                       {"amoxicillin", "500 mg", false},  {"omeprazole", "20 mg", false},
                       {"sertraline", "50 mg", true},     {"buprenorphine", "8 mg", true},
                       {"tacrolimus", "1 mg", false},     {"levothyroxine", "50 mcg", false}};

Status failed(const std::string& step, const std::string& reason, const Status& error) {
  if (!error.is_ok()) return Status(error.code(), step + ": " + error.message());
  return Status(ErrorCode::kInternal, step + ": " + reason);
}

std::string ymd(int64_t us) { return format_rfc3339_us(us).substr(0, 10); }

policy::Subject operator_subject(const std::string& user_id, policy::Role role, int64_t now) {
  policy::Subject s;
  s.user_id = user_id;
  s.roles = {role};
  s.step_up_at_us = now;  // set up by the operator, as `rxportal init --demo` does
  return s;
}

// Runs jobs[i] on `threads` threads; the first failure wins (the others still finish).
Status run_parallel(size_t n, unsigned threads, const std::function<Status(size_t)>& job) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, threads); ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < n;) {
        Status st = job(i);
        if (!st) {
          std::lock_guard lock(mu);
          if (first.is_ok()) first = st;
        }
      }
    });
  for (auto& th : pool) th.join();
  return first;
}

struct RecordPlan {
  std::vector<record::RecordCommand> admin_commands;      // create, care, proxy
  std::vector<record::RecordCommand> clinician_commands;  // medications, pgx
};

}  // namespace

Status create_account(actors::Runtime& rt, const Clock& clock, Person& p) {
  auto claim = rt.call(DirectoryRequest{actors::ClaimUsername{p.username, p.user_id}, "corr-pop"});
  if (!claim.error.is_ok() || claim.outcome != UserOutcome::kOk) return failed("claim", claim.reason, claim.error);
  UserRequest reg(p.user_id, identity::Register{claim.username, {p.role}, p.patient_id, ""});
  reg.password = actors::make_secret(p.password);
  reg.actor_user_id = "system";
  reg.actor_role = "system";
  auto r = rt.call(reg);
  if (!r.error.is_ok() || r.outcome != UserOutcome::kOk) return failed("register", r.reason, r.error);
  auto login = rt.call(DirectoryRequest{actors::LoginAttempt{p.username, actors::make_secret(p.password), p.ip, ""}, "corr-pop"}).login;
  if (!login.session) return failed("enrolment login", login.reason, login.error);
  identity::SessionFacts facts{login.session->session_id, 0};
  auto start = rt.call(UserRequest(p.user_id, identity::StartTotpEnrollment{facts, "", ""}));
  if (start.outcome != UserOutcome::kOk) return failed("totp", start.reason, start.error);
  auto secret = identity::base32_decode(start.totp_secret_base32);
  if (!secret) return secret.status();
  p.totp_secret = std::move(secret.value());
  // The previous step's code, so this step's code stays unused for the first real login.
  auto code = identity::totp_code(BytesView(p.totp_secret.data(), p.totp_secret.size()),
                                  clock.now_us() - identity::kTotpStepSeconds * kSecond);
  if (!code) return code.status();
  auto ok = rt.call(UserRequest(p.user_id, identity::ConfirmTotp{facts, start.factor_id, code.value()}));
  if (ok.outcome != UserOutcome::kOk) return failed("totp confirm", ok.reason, ok.error);
  rt.call(actors::SessionRequest{facts.session_id, identity::Logout{login.session->token}});
  return Status::ok();
}

Status build_population(Sim& sim, const PopulationSpec& spec, uint64_t seed) {
  Population& pop = sim.pop;
  const std::string tag = "s" + std::to_string(seed) + "-";
  const int64_t now = sim.clock.now_us();
  auto person = [&](const std::string& role, const std::string& name) {
    Person p;
    size_t n = pop.people.size();
    p.user_id = "usr-" + tag + std::to_string(n);
    p.username = name + "." + std::to_string(n);
    p.role = role;
    p.password = "sim-" + std::to_string(seed) + "-" + std::to_string(sim.rng()) + "-pw";
    p.device = "dev-" + std::to_string(n);
    p.ip = "10." + std::to_string(1 + n / 65536 % 200) + "." + std::to_string(n / 256 % 256) + "." + std::to_string(n % 256);
    pop.people.push_back(p);
    return n;
  };
  // ---- staff ----
  size_t staff = std::max<size_t>(spec.staff, 6);
  size_t admins = std::max<size_t>(1, staff / 100), auditors = std::max<size_t>(1, staff / 100);
  size_t pharmacists = std::max<size_t>(1, staff * 15 / 100);
  for (size_t i = 0; i < admins; ++i) pop.admins.push_back(person("admin", "admin"));
  for (size_t i = 0; i < auditors; ++i) pop.auditors.push_back(person("auditor", "auditor"));
  for (size_t i = 0; i < pharmacists; ++i) pop.pharmacists.push_back(person("pharmacist", "pharm"));
  while (pop.people.size() < staff) {
    size_t c = person("clinician", "dr");
    pop.people[c].night_shift = sim.chance(0.1);
    pop.clinicians.push_back(c);
  }
  // ---- patients ----
  for (size_t i = 0; i < spec.patients; ++i) {
    Patient pt;
    pt.patient_id = "pt-" + tag + std::to_string(i);
    int band = static_cast<int>(sim.rng() % 100);
    pt.age = band < 15 ? static_cast<int>(sim.rng() % 13)
             : band < 25 ? 13 + static_cast<int>(sim.rng() % 5)
             : band < 78 ? 18 + static_cast<int>(sim.rng() % 47)
                         : 65 + static_cast<int>(sim.rng() % 30);
    pt.birth_date = ymd(now - pt.age * kYearUs - sim.rand_between(1, 360) * kDay);
    pt.state = kStates[sim.rng() % std::size(kStates)];
    pt.vip = i == 1 || sim.chance(0.002);
    pt.care.push_back(pop.clinicians[sim.rng() % pop.clinicians.size()]);
    if (sim.chance(0.4)) {
      size_t second = pop.clinicians[sim.rng() % pop.clinicians.size()];
      if (second != pt.care[0]) pt.care.push_back(second);
    }
    pt.care.push_back(pop.pharmacists[sim.rng() % pop.pharmacists.size()]);
    bool teen = pt.age >= 13 && pt.age <= 17;
    if ((pt.age >= 18 && sim.chance(0.3)) || (teen && sim.chance(0.5))) {
      size_t a = person("patient", "pat");
      pop.people[a].patient_id = pt.patient_id;
      pt.account = static_cast<int>(a);
      pop.patient_accounts.push_back(a);
    }
    if (teen || (pt.age < 13 && sim.chance(0.5))) {
      size_t g = person("proxy", "parent");
      pt.proxy = static_cast<int>(g);
      pop.proxies.push_back(g);
    }
    int meds = 1 + static_cast<int>(sim.rng() % 4);
    for (int m = 0; m < meds; ++m) pt.medications.push_back("med-" + std::to_string(m));
    pop.patients.push_back(std::move(pt));
  }
  for (size_t i = 0; i < pop.patients.size(); ++i)
    for (size_t c : pop.patients[i].care) pop.panel[pop.people[c].user_id].push_back(i);

  // ---- the commands, drawn now, run in parallel below ----
  std::vector<RecordPlan> plans(pop.patients.size());
  for (size_t i = 0; i < pop.patients.size(); ++i) {
    const Patient& pt = pop.patients[i];
    RecordPlan& plan = plans[i];
    plan.admin_commands.push_back(record::CreateRecord{pt.birth_date, pt.state, pt.vip});
    for (size_t c : pt.care) plan.admin_commands.push_back(record::AddCareRelationship{pop.people[c].user_id, 0});
    if (pt.proxy >= 0) {
      std::vector<std::string> scope = {"medications", "adverse_events", "dosing", "access_log"};
      plan.admin_commands.push_back(record::GrantProxy{events::ProxyGranted{
          "gr-" + pt.patient_id, pop.people[pt.proxy].user_id, scope, now + 5 * kYearUs, true}});
    }
    for (const auto& mid : pt.medications) {
      const Drug& d = kDrugs[sim.rng() % std::size(kDrugs)];
      bool confidential = d.confidential && pt.age >= 13;
      plan.clinician_commands.push_back(record::AddMedication{events::MedicationAdded{
          mid, d.name, d.dose, "oral", "once daily", ymd(now - sim.rand_between(30, 900) * kDay), "", confidential}});
    }
    if (sim.chance(0.1))
      plan.clinician_commands.push_back(record::RecordPgx{events::PgxResultRecorded{
          "pgx-1", "CYP2C19", "*1/*2", "intermediate metabolizer", "consider alternative antiplatelet (CPIC)"}});
  }

  Status st = run_parallel(pop.people.size(), spec.threads,
                           [&](size_t i) { return create_account(sim.rt(), sim.clock, pop.people[i]); });
  if (!st) return st;
  const std::string admin_id = pop.people[pop.admins[0]].user_id;
  return run_parallel(pop.patients.size(), spec.threads, [&](size_t i) -> Status {
    const Patient& pt = pop.patients[i];
    auto admin = operator_subject(admin_id, policy::Role::kAdmin, now);
    auto doc = operator_subject(pop.people[pt.care[0]].user_id, policy::Role::kClinician, now);
    for (auto* list : {&plans[i].admin_commands, &plans[i].clinician_commands})
      for (auto& cmd : *list) {
        const auto& who = list == &plans[i].admin_commands ? admin : doc;
        auto r = sim.rt().call(actors::RecordRequest{pt.patient_id, who, "ses-pop", "corr-pop", std::move(cmd)});
        if (!r.error.is_ok() || r.outcome != record::Outcome::kOk) return failed("record " + pt.patient_id, r.reason, r.error);
      }
    return Status::ok();
  });
}

}  // namespace rxp::sim
