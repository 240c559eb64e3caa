// /v1/patients/{pid}/*: section reads and the export. Every read is recorded by the record
// actor (RecordViewed) before its data is handed back here.
#include "api/edge_internal.hpp"

namespace rxp::api {
namespace {

using actors::RecordReply;
using actors::RecordRequest;

std::optional<policy::Section> section_of(const std::string& name) {
  if (name == "medications") return policy::Section::kMedications;
  if (name == "pgx") return policy::Section::kPgx;
  if (name == "adverse-events") return policy::Section::kAdverseEvents;
  if (name == "dosing") return policy::Section::kDosing;
  return std::nullopt;
}

nlohmann::json medications_json(const record::SectionView& v) {
  auto items = nlohmann::json::array();
  for (const auto& m : v.medications)
    items.push_back({{"id", m.id}, {"name", m.name}, {"dose", m.dose}, {"route", m.route},
                     {"frequency", m.frequency}, {"start", m.start}, {"end", m.end},
                     {"status", m.status}, {"confidential", m.confidential}});
  return items;
}
nlohmann::json pgx_json(const record::SectionView& v) {
  auto items = nlohmann::json::array();
  for (const auto& p : v.pgx)
    items.push_back({{"id", p.result_id}, {"gene", p.gene}, {"diplotype", p.diplotype},
                     {"phenotype", p.phenotype}, {"recommendation", p.recommendation}});
  return items;
}
nlohmann::json adverse_json(const record::SectionView& v) {
  auto items = nlohmann::json::array();
  for (const auto& a : v.adverse_events)
    items.push_back({{"id", a.report_id}, {"medication_id", a.medication_id}, {"reaction", a.reaction},
                     {"severity", a.severity}, {"onset", a.onset}});
  return items;
}
nlohmann::json dosing_json(const record::SectionView& v) {
  auto items = nlohmann::json::array();
  for (const auto& d : v.dosing)
    items.push_back({{"id", d.guidance_id}, {"medication_id", d.medication_id}, {"guidance", d.guidance},
                     {"source", d.source}});
  return items;
}

std::string purpose_for(const Call& c) {
  return !c.session.patient_id.empty() && c.session.patient_id == c.route.param ? "patient_request" : "treatment";
}

}  // namespace

void handle_section(const CallPtr& c) {
  auto section = section_of(c->route.section);
  if (!section) return answer(c, error_response(404, "not_found", "no such resource"));
  auto req = record_request(c, record::ViewSection{*section, purpose_for(*c)});
  std::string name = c->route.section;
  ask<RecordRequest, RecordReply>(c, std::move(req), [name](const CallPtr& cc, RecordReply& r) {
    if (auto refused = refusal(r)) return answer(cc, std::move(*refused));
    nlohmann::json out;
    if (name == "medications") out = {{"items", medications_json(r.view)}};
    else if (name == "pgx") out = {{"results", pgx_json(r.view)}};
    else if (name == "adverse-events") out = {{"items", adverse_json(r.view)}};
    else out = {{"items", dosing_json(r.view)}};
    answer(cc, json_response(200, dump(out)));
  });
}

void handle_export(const CallPtr& c) {
  static const JsonSchema schema{{"format", JsonType::kString, false, 16}};
  auto body = body_of(c, schema, true);
  if (!body) return;
  if (body->contains("format") && (*body)["format"] != "json")
    return answer(c, error_response(422, "invalid_request", "format: only \"json\" is supported"));
  ask<RecordRequest, RecordReply>(c, record_request(c, record::ExportRecord{"json"}), [](const CallPtr& cc, RecordReply& r) {
    if (auto refused = refusal(r)) return answer(cc, std::move(*refused));
    nlohmann::json out = {{"patient_id", cc->route.param},
                          {"exported_at", rfc3339(cc->core->clock.now_us())},
                          {"format", "json"},
                          {"medications", medications_json(r.view)},
                          {"pgx", pgx_json(r.view)},
                          {"adverse_events", adverse_json(r.view)},
                          {"dosing", dosing_json(r.view)}};
    answer(cc, json_response(200, dump(out)));
  });
}

}  // namespace rxp::api
