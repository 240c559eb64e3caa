#include "tools/population.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "actors/identity/totp.hpp"
#include "infra/secure.hpp"

namespace rxp::cli {
namespace {

using namespace actors;
using identity::UserOutcome;

constexpr int64_t kYearUs = 365LL * 24 * 3600 * 1000000 + 6LL * 3600 * 1000000;  // mean year

// 20 random bytes, base32: 160 bits, well over the policy's minimum length.
std::string random_password() {
  uint8_t raw[20];
  secure_random(raw, sizeof raw);
  std::string out = identity::base32_encode(BytesView(raw, sizeof raw));
  secure_wipe(raw, sizeof raw);
  return out;
}

Status failed(const std::string& step, const std::string& reason, const Status& error) {
  if (!error.is_ok()) return Status(error.code(), step + ": " + error.message());
  return Status(ErrorCode::kInternal, step + ": " + reason);
}

policy::Subject subject(const std::string& user_id, policy::Role role, int64_t now_us) {
  policy::Subject s;
  s.user_id = user_id;
  s.roles = {role};
  s.step_up_at_us = now_us;  // the population is set up by the operator at init
  return s;
}

Status record_command(Runtime& rt, const std::string& pid, const policy::Subject& who,
                      record::RecordCommand cmd, const char* step) {
  auto r = rt.call(RecordRequest{pid, who, "ses-init", "corr-init", std::move(cmd)});
  if (!r.error.is_ok() || r.outcome != record::Outcome::kOk) return failed(step, r.reason, r.error);
  return Status::ok();
}

std::string ymd_years_ago(const Clock& clock, int years) {
  return format_rfc3339_us(clock.now_us() - years * kYearUs - 24LL * 3600 * 1000000).substr(0, 10);
}

}  // namespace

Result<Credential> create_account(Runtime& rt, const Clock& clock, const std::string& username,
                                  const std::string& role, const std::string& patient_id) {
  Credential c{role, username, random_password(), "", identity::fresh_id("usr-"), patient_id};
  auto claim = rt.call(DirectoryRequest{ClaimUsername{username, c.user_id}, "corr-init"});
  if (!claim.error.is_ok() || claim.outcome != UserOutcome::kOk) return failed("claim " + role, claim.reason, claim.error);
  UserRequest reg(c.user_id, identity::Register{claim.username, {role}, patient_id, ""});
  reg.password = make_secret(c.password);
  reg.actor_user_id = "system";
  reg.actor_role = "system";
  auto r = rt.call(reg);
  if (!r.error.is_ok() || r.outcome != UserOutcome::kOk) return failed("register " + role, r.reason, r.error);
  // A password-only session exists during the enrolment grace: use it to enrol TOTP.
  auto login = rt.call(DirectoryRequest{LoginAttempt{username, make_secret(c.password), "127.0.0.1", ""}, "corr-init"}).login;
  if (!login.session) return failed("first login " + role, login.reason, login.error);
  identity::SessionFacts facts{login.session->session_id, 0};
  auto start = rt.call(UserRequest(c.user_id, identity::StartTotpEnrollment{facts, "", ""}));
  if (start.outcome != UserOutcome::kOk) return failed("totp " + role, start.reason, start.error);
  c.totp_secret = start.totp_secret_base32;
  // Confirm with the previous step's code (inside the +-1 window), so the code of the current
  // step is still unused for the person's first real login.
  auto secret = identity::base32_decode(c.totp_secret);
  if (!secret) return secret.status();
  auto code = identity::totp_code(secret.value(), clock.now_us() - identity::kTotpStepSeconds * 1000000);
  secure_wipe(secret->data(), secret->size());
  if (!code) return code.status();
  auto ok = rt.call(UserRequest(c.user_id, identity::ConfirmTotp{facts, start.factor_id, code.value()}));
  if (ok.outcome != UserOutcome::kOk) return failed("totp confirm " + role, ok.reason, ok.error);
  // The enrolment session has done its job.
  rt.call(SessionRequest{facts.session_id, identity::Logout{login.session->token}});
  return c;
}

Result<std::vector<Credential>> create_demo_population(Runtime& rt, const Clock& clock) {
  std::vector<Credential> people;
  auto add = [&](const std::string& username, const std::string& role, const std::string& pid = "") -> Status {
    auto c = create_account(rt, clock, username, role, pid);
    if (!c) return c.status();
    people.push_back(std::move(c.value()));
    return Status::ok();
  };
  std::string adult = identity::fresh_id("pt-"), teen = identity::fresh_id("pt-");
  for (auto [name, role, pid] : std::initializer_list<std::tuple<const char*, const char*, std::string>>{
           {"admin.demo", "admin", ""},          {"auditor.demo", "auditor", ""},
           {"dr.care", "clinician", ""},         {"dr.other", "clinician", ""},
           {"pharm.demo", "pharmacist", ""},     {"pat.adult", "patient", adult},
           {"pat.teen", "patient", teen},        {"parent.teen", "proxy", ""}})
    if (Status st = add(name, role, pid); !st) return st;
  auto id_of = [&](const char* username) {
    for (const auto& p : people)
      if (p.username == username) return p.user_id;
    return std::string();
  };
  int64_t now = clock.now_us();
  auto admin = subject(id_of("admin.demo"), policy::Role::kAdmin, now);
  auto doc = subject(id_of("dr.care"), policy::Role::kClinician, now);
  struct Rec {
    std::string pid, birth;
  };
  for (const Rec& r : {Rec{adult, ymd_years_ago(clock, 54)}, Rec{teen, ymd_years_ago(clock, 15)}}) {
    if (Status st = record_command(rt, r.pid, admin, record::CreateRecord{r.birth, "MA", false}, "create record"); !st) return st;
    if (Status st = record_command(rt, r.pid, admin, record::AddCareRelationship{doc.user_id, 0}, "care"); !st) return st;
    if (Status st = record_command(rt, r.pid, admin, record::AddCareRelationship{id_of("pharm.demo"), 0}, "care"); !st) return st;
  }
  auto med = [&](const std::string& pid, const char* id, const char* name, const char* dose, bool confidential) {
    events::MedicationAdded m{id, name, dose, "oral", "once daily", ymd_years_ago(clock, 1), "", confidential};
    return record_command(rt, pid, doc, record::AddMedication{m}, "medication");
  };
  if (Status st = med(adult, "med-warfarin", "warfarin", "5 mg", false); !st) return st;
  if (Status st = med(adult, "med-clopidogrel", "clopidogrel", "75 mg", false); !st) return st;
  if (Status st = med(teen, "med-albuterol", "albuterol inhaler", "2 puffs", false); !st) return st;
  if (Status st = med(teen, "med-sertraline", "sertraline", "50 mg", true); !st) return st;  // confidential
  events::PgxResultRecorded pgx{"pgx-cyp2c19", "CYP2C19", "*2/*2", "poor metabolizer",
                                "avoid clopidogrel; consider prasugrel or ticagrelor (CPIC)"};
  if (Status st = record_command(rt, adult, doc, record::RecordPgx{pgx}, "pgx"); !st) return st;
  events::ProxyGranted grant{"gr-parent", id_of("parent.teen"), {"medications", "adverse_events", "dosing", "access_log"},
                             now + 2 * kYearUs, true};
  if (Status st = record_command(rt, teen, admin, record::GrantProxy{grant}, "proxy"); !st) return st;
  return people;
}

Status write_credentials(const std::string& path, const std::vector<Credential>& people) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : people) {
    nlohmann::json o = {{"role", p.role},         {"username", p.username},
                        {"password", p.password}, {"totp_secret", p.totp_secret},
                        {"user_id", p.user_id}};
    if (!p.patient_id.empty()) o["patient_id"] = p.patient_id;
    list.push_back(std::move(o));
  }
  std::string text = list.dump(2) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status(ErrorCode::kIo, "cannot create " + path);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  secure_wipe(text.data(), text.size());
  return ok ? Status::ok() : Status(ErrorCode::kIo, "cannot write " + path);
}

}  // namespace rxp::cli
