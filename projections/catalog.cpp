#include "projections/catalog.hpp"

#include "projections/access_review.hpp"
#include "projections/alerts.hpp"
#include "projections/disclosures.hpp"
#include "projections/event_index.hpp"

namespace rxp::projections {

std::string projections_db_path(const std::string& data_dir) {
  return data_dir + "/projections.db";
}

std::vector<std::unique_ptr<Projection>> make_projections() {
  std::vector<std::unique_ptr<Projection>> out;
  out.push_back(std::make_unique<DisclosuresProjection>());
  out.push_back(std::make_unique<AlertsProjection>());
  out.push_back(std::make_unique<AccessReviewProjection>());
  out.push_back(std::make_unique<EventIndexProjection>());
  return out;
}

std::vector<std::string> projection_names() {
  std::vector<std::string> names;
  for (const auto& p : make_projections()) names.push_back(p->name());
  return names;
}

}  // namespace rxp::projections
