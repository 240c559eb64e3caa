// rxportal audit --data DIR (--patient PID | --actor UID | --from T --to T) [--format
// fhir|json|csv]: the audit trail of a patient's record (every creation, change, view, export,
// denial and break-glass), or of every record and denial stream in a time window, optionally
// only what one user did (--actor; any combination of the three), read straight from the
// event log, each event hash-checked and authenticated. fhir: one FHIR R4 Bundle of
// AuditEvents; json: one object per event per line; csv: a header row and one row per event
// with the json fields (RFC 4180). Opaque ids and codes only. --since/--until are aliases of
// --from/--to.
#include <CLI/CLI.hpp>
#include <iostream>

#include "projections/audit_csv.hpp"
#include "projections/audit_trail.hpp"
#include "projections/fhir_audit.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct AuditOptions {
  std::string data;
  std::string patient;
  std::string actor;
  std::string since;
  std::string until;
  std::string format = "json";
};

Status parse_time(const std::string& value, const char* option, int64_t& out) {
  if (value.empty() || parse_rfc3339_us(value, out)) return Status::ok();
  return Status(ErrorCode::kInvalidArgument,
                std::string(option) + " must be an RFC 3339 UTC time like 2026-12-04T10:00:00Z");
}

int run_audit(const AuditOptions& o) {
  projections::AuditQuery q;
  q.patient_id = o.patient;
  q.actor_id = o.actor;
  if (o.patient.empty() && o.actor.empty() && o.since.empty() && o.until.empty())
    return report(Status(ErrorCode::kInvalidArgument, "--patient, --actor or --from/--to is required"));
  if (!o.patient.empty() && !events::is_opaque_id(o.patient, false))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--patient must be an opaque id ([A-Za-z0-9._:-], at most 64 characters)"));
  if (!o.actor.empty() && !events::is_opaque_id(o.actor, false))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--actor must be an opaque id ([A-Za-z0-9._:-], at most 64 characters)"));
  if (Status st = parse_time(o.since, "--from/--since", q.since_us); !st) return report(st);
  if (Status st = parse_time(o.until, "--to/--until", q.until_us); !st) return report(st);
  if (q.since_us > q.until_us)
    return report(Status(ErrorCode::kInvalidArgument, "--from/--since is after --to/--until"));

  auto d = open_data(o.data, /*read_only=*/true);
  if (!d) return report(d.status());
  auto trail = projections::read_audit_trail(*d->log, q);
  if (!trail) return report(trail.status());
  std::vector<projections::AuditEntry> entries;
  entries.reserve(trail->size());
  for (const auto& e : *trail) entries.push_back(projections::audit_entry(e));
  if (o.format == "fhir") {
    std::cout << projections::fhir_bundle(entries).dump() << "\n";
  } else if (o.format == "csv") {
    std::cout << projections::audit_csv_header();
    for (const auto& e : entries) std::cout << projections::to_csv_row(e);
  } else {
    for (const auto& e : entries) std::cout << projections::to_json(e).dump() << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_audit(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditOptions>();
  auto* sub = app.add_subcommand("audit", "Audit trail of a patient's record or a time window (FHIR R4 AuditEvent, JSON lines or CSV)");
  sub->add_option("--data", o->data, "Data directory")->required();
  sub->add_option("--patient", o->patient, "Patient id: every event of record/<id>");
  sub->add_option("--actor", o->actor, "User id: only events this user did (or was refused)");
  sub->add_option("--from,--since", o->since, "Only events at or after this RFC 3339 time");
  sub->add_option("--to,--until", o->until, "Only events at or before this RFC 3339 time");
  sub->add_option("--format", o->format,
                  "fhir (a Bundle of AuditEvents), json (lines; default) or csv (header row, RFC 4180)")
      ->check(CLI::IsMember({"fhir", "json", "csv"}));
  sub->callback([o, &exit_code] { exit_code = run_audit(*o); });
}

}  // namespace rxp::cli
