// Accounts and records that `rxportal init` creates through the real actors (so every one of
// them is ordinary events: UsernameClaimed, UserRegistered, TotpFactorConfirmed, ...).
//
// - The first admin: a random password and an enrolled TOTP factor.
// - The demo population (issue 6): an adult patient, a patient aged 15 with a parent proxy and
//   a confidential medication, a clinician in care of both, a clinician in care of neither, a
//   pharmacist, an admin and an auditor, each with an enrolled TOTP factor.
// The credentials go to a JSON file created with mode 0600 (never to stdout): a list of
// {role, username, password, totp_secret, user_id[, patient_id]}.
#pragma once

#include <string>
#include <vector>

#include "actors/runtime.hpp"

namespace rxp::cli {

struct Credential {
  std::string role, username, password, totp_secret, user_id, patient_id;
};

// Creates one user with a random password and an enrolled TOTP factor.
Result<Credential> create_account(actors::Runtime& rt, const Clock& clock, const std::string& username,
                                  const std::string& role, const std::string& patient_id = "");

Result<std::vector<Credential>> create_demo_population(actors::Runtime& rt, const Clock& clock);

// Writes the list as JSON to `path` with mode 0600 (refuses to overwrite).
Status write_credentials(const std::string& path, const std::vector<Credential>& people);

}  // namespace rxp::cli
