// OCSF 1.1 rendering of SIEM records: the captions of classes, activities, severities and
// statuses, and the event object of each class (the fields it requires and recommends).
#include "projections/siem.hpp"

namespace rxp::projections {
namespace {

using nlohmann::json;
namespace o = ocsf;

const char* api_activity_caption(int a) {
  switch (a) {
    case ocsf::kCreate: return "Create";
    case ocsf::kRead: return "Read";
    case ocsf::kUpdate: return "Update";
    case ocsf::kDelete: return "Delete";
    default: return "Unknown";
  }
}

}  // namespace

const char* ocsf_class_name(int class_uid) {
  switch (class_uid) {
    case o::kAccountChange: return "Account Change";
    case o::kAuthentication: return "Authentication";
    case o::kAuthorizeSession: return "Authorize Session";
    case o::kApiActivity: return "API Activity";
    default: return "Unknown";
  }
}

static const char* category_name(int category_uid) {
  return category_uid == o::kIdentityAccessCategory ? "Identity & Access Management"
                                                    : "Application Activity";
}

static const char* severity_name(int s) {
  static const char* names[] = {"Unknown", "Informational", "Low", "Medium", "High", "Critical"};
  return s >= 0 && s <= 5 ? names[s] : "Other";
}

const char* ocsf_status_name(int s) {
  return s == o::kSuccess ? "Success" : s == o::kFailure ? "Failure" : "Unknown";
}

// The OCSF caption of an activity_id (type_name uses it; activity_name may be more specific
// for Other).
static const char* activity_caption(const SiemRecord& r) {
  if (r.activity_id == o::kOther) return "Other";
  if (r.activity_id == o::kUnknownActivity) return "Unknown";
  if (r.class_uid == o::kAuthentication) return r.activity_id == o::kLogon ? "Logon" : "Logoff";
  if (r.class_uid == o::kAccountChange) {
    static const char* names[] = {"Unknown", "Create", "Enable", "Password Change", "Password Reset",
                                  "Disable", "Delete", "Attach Policy", "Detach Policy", "Lock",
                                  "MFA Factor Enable", "MFA Factor Disable"};
    return r.activity_id >= 0 && r.activity_id <= 11 ? names[r.activity_id] : "Other";
  }
  if (r.class_uid == o::kAuthorizeSession)
    return r.activity_id == o::kAssignPrivileges ? "Assign Privileges" : "Assign Groups";
  return api_activity_caption(r.activity_id);
}

std::string ocsf_type_name(const SiemRecord& r) {
  std::string s = ocsf_class_name(r.class_uid);
  s += ": ";
  s += activity_caption(r);
  return s;
}

namespace {

json user_object(const std::string& uid, const std::string& role) {
  json u = json::object();
  if (role == "system") {
    u["type_id"] = 3;
    u["type"] = "System";
    u["uid"] = uid.empty() ? "rxportal" : uid;
    return u;
  }
  if (uid.empty()) {
    u["type_id"] = 0;
    u["type"] = "Unknown";
    return u;
  }
  u["uid"] = uid;
  u["type_id"] = role == "admin" ? 2 : 1;
  u["type"] = role == "admin" ? "Admin" : "User";
  return u;
}

}  // namespace

nlohmann::json to_ocsf(const SiemRecord& r) {
  json j;
  j["time"] = r.time_us / 1000;
  j["class_uid"] = r.class_uid;
  j["class_name"] = ocsf_class_name(r.class_uid);
  j["category_uid"] = r.category_uid;
  j["category_name"] = category_name(r.category_uid);
  j["activity_id"] = r.activity_id;
  j["activity_name"] = r.activity_name;
  j["type_uid"] = r.type_uid();
  j["type_name"] = ocsf_type_name(r);
  j["severity_id"] = r.severity_id;
  j["severity"] = severity_name(r.severity_id);
  j["status_id"] = r.status_id;
  j["status"] = ocsf_status_name(r.status_id);
  if (!r.status_detail.empty()) j["status_detail"] = r.status_detail;

  json meta = {{"version", kOcsfVersion},
               {"product", {{"name", "rxportal"}, {"vendor_name", "rxportal"}, {"version", product_version()}}},
               {"uid", "rxp-" + std::to_string(r.position)}};
  if (!r.correlation_id.empty()) meta["correlation_uid"] = r.correlation_id;
  j["metadata"] = std::move(meta);

  json actor = {{"user", user_object(r.actor.user_id, r.actor.role)}};
  if (!r.actor.session_id.empty()) actor["session"] = {{"uid", r.actor.session_id}};
  j["actor"] = std::move(actor);

  json src = json::object();
  if (!r.src_ip.empty()) src["ip"] = r.src_ip;
  if (!src.empty() || r.class_uid == o::kApiActivity) j["src_endpoint"] = std::move(src);

  if (r.class_uid == o::kAccountChange) {
    j["user"] = user_object(r.user_id, "");  // required
  } else if (r.class_uid == o::kAuthentication || r.class_uid == o::kAuthorizeSession) {
    j["user"] = user_object(r.user_id, "");
    if (!r.session_id.empty()) j["session"] = {{"uid", r.session_id}};
    if (r.class_uid == o::kAuthentication) {
      j["service"] = {{"name", "rxportal"}};
      if (r.is_mfa) j["is_mfa"] = *r.is_mfa;
    } else {
      j["privileges"] = r.privileges;
    }
  } else {
    j["api"] = {{"operation", r.operation}, {"service", {{"name", "rxportal"}}}};
    if (!r.patient_id.empty())
      j["resources"] = json::array({{{"uid", r.patient_id}, {"type", "patient_record"}}});
    if (!r.user_id.empty()) j["user"] = user_object(r.user_id, "");
  }

  json x = {{"position", r.position},
            {"stream_id", r.stream_id},
            {"stream_version", r.version},
            {"event_type", r.event_type},
            {"hash", r.hash_hex}};
  if (!r.actor.role.empty()) x["actor_role"] = r.actor.role;
  if (!r.patient_id.empty()) x["patient_id"] = r.patient_id;
  for (const auto& [k, v] : r.details) x[k] = v;
  if (r.shredded) x["shredded"] = true;
  j["unmapped"] = {{"rxportal", std::move(x)}};
  return j;
}


}  // namespace rxp::projections
