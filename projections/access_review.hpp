// The access review: every role, care relationship and proxy grant, with when it was granted,
// when it ends or ended, and its last use; and the pure rule that picks elevated roles unused
// for 90 days for automatic removal (DESIGN.md, "Access reviews").
//
// Last use, from the log alone:
//   role R of user U   a session started by U holding R, or any event whose principal is U
//                      acting as R;
//   care U -> P        any event on record/P whose principal is U (a view, a write, an export);
//   proxy U -> P       the same, for the grantee U of an unrevoked grant on P.
// Table `access_grants`, key (kind, subject, object, grant id). Ids and role names only.
//
// The removal itself is a command to the user actor (RevokeRole, reason "dormant"), so that
// it is a RoleRevoked event like any other; dormant_roles() only decides whom it concerns.
// Thread-safety: see Projection and ReadModelDb; dormant_roles() is pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "projections/projection.hpp"

namespace rxp::projections {

struct AccessGrant {
  std::string kind;        // role | care | proxy
  std::string subject_id;  // the user who holds it
  std::string object_id;   // role name, or the patient id
  std::string grant_id;    // proxy grants only
  int64_t granted_at_us = 0;
  int64_t until_us = 0;    // 0: open-ended (roles, care without an end)
  int64_t ended_at_us = 0; // 0: not revoked or ended
  int64_t last_used_at_us = 0;  // 0: never used
  bool operator==(const AccessGrant&) const = default;
};

class AccessReviewProjection final : public Projection {
 public:
  static constexpr const char* kName = "access_review";
  const std::string& name() const override { return name_; }
  Status create_tables(ReadModelTxn& txn) override;
  Status drop_tables(ReadModelTxn& txn) override;
  bool wants(const events::EventHeader& header) const override;
  Status apply(ReadModelTxn& txn, const events::RecordedEvent& event) override;

 private:
  std::string name_ = kName;
};

// Every grant, by kind, subject, object.
Result<std::vector<AccessGrant>> access_review(ReadModelDb& db);

inline constexpr int64_t kDormantAfterUs = 90LL * 24 * 3600 * 1000000;
bool is_elevated_role(const std::string& role);  // clinician, pharmacist, admin, auditor
// The active elevated roles neither granted nor used within `after_us` before `now_us`.
std::vector<AccessGrant> dormant_roles(const std::vector<AccessGrant>& grants, int64_t now_us,
                                       int64_t after_us = kDormantAfterUs);

// One sweep: reads the review from `db` and calls `revoke` for each dormant role (the caller
// sends RevokeRole{role, "dormant"} to the user's actor). Returns how many were revoked; stops
// at the first error.
Result<size_t> sweep_dormant_roles(ReadModelDb& db, int64_t now_us,
                                   const std::function<Status(const AccessGrant&)>& revoke);

}  // namespace rxp::projections
