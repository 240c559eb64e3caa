// The drill report as one self-contained HTML page: inline CSS, an inline SVG timeline, no
// script and no external reference (no URL at all), so it opens offline and from an archive.
#include <sstream>

#include "infra/clock.hpp"
#include "simulations/drill.hpp"

namespace rxp::sim {
namespace {

using nlohmann::json;

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string text(const json& v) {
  if (v.is_null()) return "n/a";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::ostringstream o;
    o.precision(3);
    o << std::fixed << v.get<double>();
    return o.str();
  }
  return v.dump();
}

int64_t when(const json& v) {
  int64_t us = 0;
  if (v.is_string() && parse_rfc3339_us(v.get<std::string>(), us)) return us;
  return 0;
}

const char* kStyle =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#1d2430}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d5dae1}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d5dae1;padding:.25em .6em;text-align:left}"
    "th{background:#f1f4f8}.ok{color:#146c2e}.bad{color:#b3261e}.muted{color:#6b7685}"
    ".kpi{display:inline-block;margin:.3em .6em .3em 0;padding:.5em .8em;border:1px solid #d5dae1;border-radius:6px}"
    ".kpi b{display:block;font-size:1.3em}";

// Timeline: the traffic window, the malicious window, alerts (true red, false grey), the
// detection line.
std::string timeline(const json& r) {
  const int w = 940, h = 170, left = 10, right = 10;
  int64_t from = when(r["simulated"]["from"]), to = when(r["simulated"]["to"]);
  if (to <= from) to = from + 1;
  auto x = [&](int64_t t) {
    double f = static_cast<double>(t - from) / static_cast<double>(to - from);
    return left + static_cast<int>(std::clamp(f, 0.0, 1.0) * (w - left - right));
  };
  std::ostringstream s;
  s << "<svg width=\"" << w << "\" height=\"" << h << "\" role=\"img\" "
    << "aria-label=\"timeline\"><rect x=\"0\" y=\"0\" width=\"" << w << "\" height=\"" << h << "\" fill=\"#fafbfc\"/>";
  int days = r["simulated"]["days"].get<int>() + 1;
  for (int d = 0; d <= days; ++d) {
    int64_t t = from + d * 86400LL * 1000000;
    if (t > to) break;
    s << "<line x1=\"" << x(t) << "\" y1=\"20\" x2=\"" << x(t) << "\" y2=\"150\" stroke=\"#e3e7ec\"/>"
      << "<text x=\"" << x(t) + 3 << "\" y=\"165\" font-size=\"10\" fill=\"#6b7685\">day " << d + 1 << "</text>";
  }
  const auto& gt = r["ground_truth"]["window"];
  if (r["ground_truth"]["actions"].get<size_t>() > 0) {
    int x1 = x(gt["from_us"].get<int64_t>()), x2 = std::max(x(gt["to_us"].get<int64_t>()), x1 + 3);
    s << "<rect x=\"" << x1 << "\" y=\"20\" width=\"" << x2 - x1 << "\" height=\"130\" fill=\"#f4c7c3\"/>"
      << "<text x=\"" << x1 << "\" y=\"14\" font-size=\"11\" fill=\"#b3261e\">attack</text>";
  }
  for (const auto& a : r["alerts"]) {
    bool t = a["true"].get<bool>();
    int y = t ? 60 : 110;
    s << "<circle cx=\"" << x(when(a["detected_at"])) << "\" cy=\"" << y << "\" r=\"4\" fill=\""
      << (t ? "#b3261e" : "#8a94a3") << "\"><title>" << esc(a["rule"].get<std::string>()) << "</title></circle>";
  }
  s << "<text x=\"" << left << "\" y=\"50\" font-size=\"10\" fill=\"#b3261e\">true alerts</text>"
    << "<text x=\"" << left << "\" y=\"100\" font-size=\"10\" fill=\"#6b7685\">false alerts</text>";
  if (!r["detected_at"].is_null()) {
    int xd = x(when(r["detected_at"]));
    s << "<line x1=\"" << xd << "\" y1=\"20\" x2=\"" << xd << "\" y2=\"150\" stroke=\"#146c2e\" stroke-width=\"2\"/>"
      << "<text x=\"" << xd + 3 << "\" y=\"30\" font-size=\"11\" fill=\"#146c2e\">detected</text>";
  }
  s << "</svg>";
  return s.str();
}

void row(std::ostringstream& s, const std::string& k, const std::string& v) {
  s << "<tr><th>" << esc(k) << "</th><td>" << esc(v) << "</td></tr>";
}

}  // namespace

std::string render_html(const json& r) {
  std::ostringstream s;
  s << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rxportal drill: "
    << esc(r["scenario"].get<std::string>()) << "</title><style>" << kStyle << "</style></head><body>";
  s << "<h1>Incident drill: " << esc(r["scenario"].get<std::string>()) << "</h1><p class=\"muted\">"
    << esc(r["summary"].get<std::string>()) << " &middot; seed " << esc(text(r["seed"])) << " &middot; "
    << esc(text(r["simulated"]["from"])) << " to " << esc(text(r["simulated"]["to"])) << "</p>";
  bool caught = r["attacker_caught"].get<bool>();
  s << "<div class=\"kpi\">caught<b class=\"" << (caught ? "ok\">yes" : "bad\">no") << "</b></div>";
  for (const char* k : {"time_to_detect_s", "true_alerts", "false_alerts", "precision", "recall", "auc"})
    s << "<div class=\"kpi\">" << k << "<b>" << esc(text(r[k])) << "</b></div>";
  s << "<h2>Timeline</h2>" << timeline(r);
  s << "<h2>Detection</h2><table>";
  row(s, "source", text(r["detection_source"]));
  row(s, "first malicious action", text(r["first_malicious_at"]));
  row(s, "detected", text(r["detected_at"]));
  row(s, "malicious actions / events", text(r["ground_truth"]["actions"]) + " / " + text(r["malicious_events"]));
  row(s, "events scored for AUC", text(r["scored_events"]));
  s << "</table><table><tr><th>rule</th><th>true</th><th>false</th></tr>";
  for (const auto& [rule, n] : r["alerts_by_rule"].items())
    s << "<tr><td>" << esc(rule) << "</td><td>" << n["true"] << "</td><td>" << n["false"] << "</td></tr>";
  s << "</table>";
  s << "<h2>Breach scope</h2><table>";
  row(s, "breach_scope_exact", text(r["breach_scope_exact"]));
  row(s, "patients exposed (ground truth)", std::to_string(r["ground_truth"]["exposure"]["patients"].size()));
  s << "</table>";
  if (!r["ground_truth"]["exposure"]["patients"].empty()) {
    s << "<table><tr><th>patient</th><th>state</th><th>sections</th></tr>";
    for (const auto& p : r["ground_truth"]["exposure"]["patients"]) {
      std::string secs;
      for (const auto& x : p["sections"]) secs += (secs.empty() ? "" : ", ") + x.get<std::string>();
      s << "<tr><td>" << esc(p["patient_id"].get<std::string>()) << "</td><td>" << esc(p["state"].get<std::string>())
        << "</td><td>" << esc(secs) << "</td></tr>";
    }
    s << "</table>";
  }
  s << "<h2>Notification</h2><table>";
  row(s, "discovered", text(r["notification"]["discovered_at"]));
  row(s, "deadline (60 days)", text(r["notification"]["deadline"]));
  row(s, "letters", text(r["notification"]["letters"]));
  row(s, "states needing media notice", r["notification"]["states_needing_media_notice"].dump());
  s << "</table><h2>Runbook</h2><table><tr><th>step</th><th>status</th><th>simulated s</th><th>detail</th></tr>";
  for (const auto& st : r["runbook"])
    s << "<tr><td>" << esc(text(st["step"])) << "</td><td>" << esc(text(st["status"])) << "</td><td>"
      << esc(text(st["simulated_s"])) << "</td><td>" << esc(text(st["detail"])) << "</td></tr>";
  s << "</table><h2>Run</h2><table>";
  row(s, "events", text(r["simulated"]["events"]));
  row(s, "logins", text(r["traffic"]["logins"]));
  row(s, "record views", text(r["traffic"]["record_views"]));
  if (r.contains("performance")) row(s, "simulated events per second", text(r["performance"]["simulated_events_per_s"]));
  s << "</table></body></html>\n";
  return s.str();
}

}  // namespace rxp::sim
