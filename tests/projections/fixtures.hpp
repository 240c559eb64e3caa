// Shared fixtures of the projection tests: a test log with a read-model path, and generators of
// record traffic whose disclosures are known in advance.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "projections/catalog.hpp"
#include "projections/disclosures.hpp"
#include "projections/runner.hpp"
#include "tests/testkit/testkit.hpp"

namespace rxp::testkit {

inline std::string read_model_path(const TestLog& t) { return t.dir.path() + "/projections.db"; }

inline std::unique_ptr<projections::ProjectionRunner> open_runner(
    TestLog& t, size_t page_size = 512, std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  projections::RunnerOptions o;
  o.db_path = read_model_path(t);
  o.page_size = page_size;
  o.poll = poll;
  auto r = projections::ProjectionRunner::open(*t.log, projections::make_projections(), o);
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r.value());
}

// Rows as a separate reader (the API's view) sees them.
inline std::vector<projections::Disclosure> rows_of(const TestLog& t) {
  auto db = projections::ReadModelDb::open(read_model_path(t), true);
  if (!db) throw std::runtime_error(db.status().to_string());
  auto rows = projections::all_disclosures(**db);
  if (!rows) throw std::runtime_error(rows.status().to_string());
  return std::move(rows.value());
}

// One random event of record traffic (a disclosure or not), on one of `patients` records,
// or on a user stream (which no projection here reads).
struct Traffic {
  explicit Traffic(unsigned seed) : rng(seed) {}

  events::AppendRequest next(const std::string& tag, int patients = 5) {
    using namespace events;
    int p = static_cast<int>(rng() % static_cast<unsigned>(patients));
    std::string stream = "record/pt-" + tag + "-" + std::to_string(p);
    Principal who{"usr-" + std::to_string(rng() % 7), rng() % 2 ? "clinician" : "patient",
                  "ses-" + std::to_string(rng() % 3)};
    DomainEvent e;
    switch (rng() % 7) {
      case 0: e = RecordViewed{"medications", "treatment"}; break;
      case 1: e = RecordViewed{"pgx", "emergency"}; break;
      case 2: e = RecordExported{{"medications", "pgx"}, "fhir"}; break;
      case 3: e = BreakGlassInvoked{"er_admission", "unconscious patient, no relationship", 1}; break;
      case 4: e = MedicationAdded{"med-1", "warfarin", "5 mg", "oral", "daily", "2026-01-01", "", false}; break;
      case 5: e = AccessDenied{"record.pgx.read", "pgx", "no_care_relationship"}; break;
      default:
        stream = "user/usr-" + tag;
        e = LoginFailed{"bad_password", "10.0.0.1"};
    }
    bool disclosure = std::holds_alternative<RecordViewed>(e) ||
                      std::holds_alternative<RecordExported>(e) ||
                      std::holds_alternative<BreakGlassInvoked>(e);
    if (disclosure) ++disclosures;
    return AppendRequest{stream, kAnyVersion, {make_pending(e, who, "corr-" + tag)}};
  }

  std::mt19937 rng;
  size_t disclosures = 0;
};

}  // namespace rxp::testkit
