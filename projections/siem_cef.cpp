// CEF:0 rendering of SIEM records (ArcSight Common Event Format, rev. 25): the header's
// seven fields, then key=value extensions with the standard keys where one fits (rt, cat,
// act, outcome, externalId, suid, spriv, duid, dpriv, src, reason) and labelled custom
// strings/numbers for the rest.
#include "projections/siem.hpp"

namespace rxp::projections {

int cef_severity(int s) {
  switch (s) {
    case ocsf::kInformational: return 1;
    case ocsf::kLow: return 3;
    case ocsf::kMedium: return 5;
    case ocsf::kHigh: return 8;
    case ocsf::kCritical: return 10;
    default: return 0;
  }
}

std::string cef_escape_header(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '|') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string cef_escape_value(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '=') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string to_cef(const SiemRecord& r) {
  std::string line = "CEF:0|rxportal|rxportal|";
  line += cef_escape_header(product_version());
  line += '|';
  line += cef_escape_header(r.event_type);
  line += '|';
  line += cef_escape_header(ocsf_type_name(r));
  line += '|';
  line += std::to_string(cef_severity(r.severity_id));
  line += '|';
  bool first = true;
  auto ext = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    if (!first) line += ' ';
    first = false;
    line += key;
    line += '=';
    line += cef_escape_value(value);
  };
  std::string details;
  if (!r.operation.empty()) details = "operation:" + r.operation;
  for (const auto& [k, v] : r.details) {
    if (!details.empty()) details += ';';
    details += k;
    details += ':';
    details += v;
  }
  if (r.shredded) details += details.empty() ? "shredded:true" : ";shredded:true";
  std::string privileges;
  for (const auto& p : r.privileges) {
    if (!privileges.empty()) privileges += ',';
    privileges += p;
  }
  ext("rt", std::to_string(r.time_us / 1000));
  ext("cat", ocsf_class_name(r.class_uid));
  ext("act", r.activity_name);
  ext("outcome", ocsf_status_name(r.status_id));
  ext("externalId", "rxp-" + std::to_string(r.position));
  ext("cn1Label", "globalPosition");
  ext("cn1", std::to_string(r.position));
  ext("cn2Label", "streamVersion");
  ext("cn2", std::to_string(r.version));
  ext("cs1Label", "streamId");
  ext("cs1", r.stream_id);
  ext("suid", r.actor.user_id);
  ext("spriv", r.actor.role);
  ext("duid", r.user_id);
  ext("dpriv", privileges);
  ext("src", r.src_ip);
  ext("reason", r.status_detail);
  if (!r.patient_id.empty()) {
    ext("cs2Label", "patientId");
    ext("cs2", r.patient_id);
  }
  if (!r.correlation_id.empty()) {
    ext("cs3Label", "correlationId");
    ext("cs3", r.correlation_id);
  }
  const std::string& session = r.session_id.empty() ? r.actor.session_id : r.session_id;
  if (!session.empty()) {
    ext("cs4Label", "sessionId");
    ext("cs4", session);
  }
  if (!details.empty()) {
    ext("cs5Label", "details");
    ext("cs5", details);
  }
  ext("cs6Label", "eventHash");
  ext("cs6", r.hash_hex);
  return line;
}

}  // namespace rxp::projections
