// The projections rxportal runs, by name, and where their read models live.
// Thread-safety: pure functions. The caller owns what make_projections returns.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "projections/projection.hpp"

namespace rxp::projections {

// DIR/projections.db
std::string projections_db_path(const std::string& data_dir);
// Every projection's name, in the order the runner applies them.
std::vector<std::string> projection_names();
// A fresh instance of every projection.
std::vector<std::unique_ptr<Projection>> make_projections();

}  // namespace rxp::projections
