// The CSV form of audit records (rxportal audit --format csv): a header row, then one row per
// audit entry with the same fields as the flat JSON (fhir_audit.hpp, to_json), in that order.
// RFC 4180: CRLF line ends, a field holding a comma, quote, CR or LF is quoted and its quotes
// doubled. A field that a spreadsheet would take for a formula (first character = + - @ tab
// CR) is prefixed with a single quote (OWASP "CSV injection"); the fields are opaque ids and
// codes, so this never alters a real value's meaning for an auditor.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "projections/fhir_audit.hpp"

namespace rxp::projections {

// Both end with "\r\n".
std::string audit_csv_header();
std::string to_csv_row(const AuditEntry& entry);

// One field, quoted and neutralised as above.
std::string csv_field(std::string_view value);

}  // namespace rxp::projections
