#include "projections/audit_csv.hpp"

#include <initializer_list>

#include "infra/clock.hpp"

namespace rxp::projections {
namespace {

std::string row(std::initializer_list<std::string> fields) {
  std::string out;
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out += ',';
    first = false;
    out += csv_field(f);
  }
  out += "\r\n";
  return out;
}

}  // namespace

std::string csv_field(std::string_view v) {
  std::string s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' ||
                     v[0] == '\r'))
    s += '\'';
  s.append(v);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

std::string audit_csv_header() {
  return row({"position", "stream", "version", "type", "occurred_at", "action", "outcome",
              "principal_user_id", "principal_role", "principal_session_id", "hash", "patient_id",
              "section", "purpose", "reason", "correlation_id", "shredded"});
}

std::string to_csv_row(const AuditEntry& e) {
  return row({std::to_string(e.position), e.stream_id, std::to_string(e.version), e.event_type,
              format_rfc3339_us(e.occurred_at_us), std::string(1, e.action),
              e.success ? "success" : "denied", e.principal.user_id, e.principal.role,
              e.principal.session_id, e.hash_hex, e.patient_id, e.section, e.purpose, e.reason,
              e.correlation_id, e.shredded ? "true" : "false"});
}

}  // namespace rxp::projections
