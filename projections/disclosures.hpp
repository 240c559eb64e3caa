// The accounting of disclosures ("who saw my record"): one row per RecordViewed,
// RecordExported and BreakGlassInvoked of a record/<patient id> stream, with who (user id,
// role, session id), when, what (section) and why (purpose of use, or the break-glass reason
// code). Rows hold opaque ids and codes only: no names, no clinical values, no free-text
// justification. An event whose stream was shredded still yields its row from the clear header
// (who, when, what kind), with an empty section and purpose.
//
// disclosure_of() is the pure decision; DisclosuresProjection writes its result to the table
// `disclosures` (key: the event's position, so a second application of one event fails instead
// of counting twice); disclosures_for() is the query the API serves.
// Thread-safety: see Projection and ReadModelDb.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "projections/projection.hpp"

namespace rxp::projections {

enum class DisclosureKind { kView, kExport, kBreakGlass };
const char* kind_name(DisclosureKind kind);  // "view" | "export" | "break_glass"

struct Disclosure {
  uint64_t position = 0;
  std::string patient_id;
  int64_t occurred_at_us = 0;
  std::string user_id;
  std::string role;
  std::string session_id;
  DisclosureKind kind = DisclosureKind::kView;
  std::string section;  // view: the section; export: the sections, comma-separated; break-glass: ""
  std::string purpose;  // view: purpose of use; break-glass: reason code; export: ""
  bool operator==(const Disclosure&) const = default;
};

// The disclosure an event records, if it records one. Pure.
std::optional<Disclosure> disclosure_of(const events::RecordedEvent& event);

class DisclosuresProjection final : public Projection {
 public:
  static constexpr const char* kName = "disclosures";
  const std::string& name() const override { return name_; }
  Status create_tables(ReadModelTxn& txn) override;
  Status drop_tables(ReadModelTxn& txn) override;
  bool wants(const events::EventHeader& header) const override;
  Status apply(ReadModelTxn& txn, const events::RecordedEvent& event) override;

 private:
  std::string name_ = kName;
};

// A patient's disclosures with since_us <= occurred_at <= until_us, in position order.
Result<std::vector<Disclosure>> disclosures_for(ReadModelDb& db, const std::string& patient_id,
                                                int64_t since_us, int64_t until_us);
// Every row, in position order (rebuild checks, tests).
Result<std::vector<Disclosure>> all_disclosures(ReadModelDb& db);

}  // namespace rxp::projections
