// Alerts: the anomaly detector's findings and their review state, as the auditor's queue.
//
// An alert is one stream `alert/<alert id>`: version 1 is AlertRaised (appended by the
// AlertRaiser with expected version 0, so raising the same alert twice, e.g. after a restart
// or a rebuild, is a harmless conflict), later versions are AlertReviewed by an auditor.
// AlertsProjection keeps table `alerts`: one row per alert with its latest review. The
// reviewer's note may hold PHI, so the read model keeps only the disposition, who and when;
// the note stays encrypted in the event.
//
// Thread-safety: see Projection and ReadModelDb.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "projections/projection.hpp"

namespace rxp::projections {

inline constexpr const char* kAlertStreamPrefix = "alert/";

struct AlertRow {
  std::string alert_id;
  uint64_t position = 0;  // of AlertRaised
  int64_t raised_at_us = 0;
  std::string rule;
  std::string severity;
  std::string explanation;
  std::string user_id;
  std::string patient_id;
  std::vector<uint64_t> evidence;
  double score = 0;
  std::string disposition;  // "" while open
  std::string reviewed_by;
  int64_t reviewed_at_us = 0;
  uint64_t version = 1;     // of the alert's stream (for the next review's expected version)
  bool operator==(const AlertRow&) const = default;
};

class AlertsProjection final : public Projection {
 public:
  static constexpr const char* kName = "alerts";
  const std::string& name() const override { return name_; }
  Status create_tables(ReadModelTxn& txn) override;
  Status drop_tables(ReadModelTxn& txn) override;
  bool wants(const events::EventHeader& header) const override;
  Status apply(ReadModelTxn& txn, const events::RecordedEvent& event) override;

 private:
  std::string name_ = kName;
};

// Every alert (only the unreviewed ones when open_only), newest first.
Result<std::vector<AlertRow>> list_alerts(ReadModelDb& db, bool open_only);
Result<std::optional<AlertRow>> find_alert(ReadModelDb& db, const std::string& alert_id);

// Dispositions an auditor may give.
bool is_disposition(const std::string& s);  // benign | true_positive | escalated

}  // namespace rxp::projections
