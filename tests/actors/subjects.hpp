// Subjects for record and runtime tests.
#pragma once

#include <string>

#include "actors/access_policy.hpp"

namespace rxp::testkit {

inline policy::Subject who(std::string id, policy::Role role, std::string patient = "") {
  policy::Subject s;
  s.user_id = std::move(id);
  s.roles = {role};
  s.patient_id = std::move(patient);
  return s;
}

}  // namespace rxp::testkit
