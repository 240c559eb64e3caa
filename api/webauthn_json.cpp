#include "api/webauthn_json.hpp"

#include "actors/identity/webauthn.hpp"
#include "infra/bytes.hpp"

namespace rxp::api {
namespace {

using nlohmann::json;

std::string b64(const std::string& raw) {
  return base64url_encode(as_bytes(std::string_view(raw)));
}

// Decodes member `name` of `obj` (a base64url string of min..max decoded bytes) into `out`.
std::string bytes_member(const json& obj, const char* prefix, const char* name, size_t min, size_t max,
                         std::string& out) {
  std::string field = std::string(prefix) + name;
  auto it = obj.find(name);
  if (it == obj.end()) return field + ": required";
  if (!it->is_string()) return field + ": must be a string";
  Bytes raw;
  if (!base64url_decode(it->get_ref<const std::string&>(), raw)) return field + ": must be base64url";
  if (raw.size() < min || raw.size() > max)
    return field + ": must decode to " + std::to_string(min) + ".." + std::to_string(max) + " bytes";
  out.assign(raw.begin(), raw.end());
  return {};
}

// The members every credential has; `response` is set to its response object.
std::string common(const json& c, std::string& raw_id, const json*& response) {
  if (!c.is_object()) return "credential: must be an object";
  auto type = c.find("type");
  if (type == c.end() || !type->is_string() || *type != "public-key") return "credential.type: must be \"public-key\"";
  if (auto e = bytes_member(c, "credential.", "rawId", 1, identity::kMaxCredentialIdBytes, raw_id); !e.empty()) return e;
  auto id = c.find("id");
  if (id == c.end() || !id->is_string() || *id != c.at("rawId")) return "credential.id: must equal rawId";
  auto r = c.find("response");
  if (r == c.end() || !r->is_object()) return "credential.response: must be an object";
  response = &*r;
  return {};
}

json descriptors(const std::vector<std::string>& credential_ids) {
  json out = json::array();
  for (const auto& id : credential_ids) out.push_back({{"type", "public-key"}, {"id", b64(id)}});
  return out;
}

}  // namespace

std::string parse_assertion_json(const json& credential, AssertionInput& out) {
  const json* r = nullptr;
  if (auto e = common(credential, out.assertion.credential_id, r); !e.empty()) return e;
  const char* p = "credential.response.";
  if (auto e = bytes_member(*r, p, "clientDataJSON", 1, identity::kMaxClientDataBytes, out.assertion.client_data_json);
      !e.empty())
    return e;
  if (auto e = bytes_member(*r, p, "authenticatorData", 37, identity::kMaxAuthenticatorDataBytes,
                            out.assertion.authenticator_data);
      !e.empty())
    return e;
  if (auto e = bytes_member(*r, p, "signature", 1, identity::kMaxSignatureBytes, out.assertion.signature); !e.empty())
    return e;
  out.has_user_handle = false;
  out.user_handle.clear();
  if (auto uh = r->find("userHandle"); uh != r->end() && !uh->is_null()) {
    if (auto e = bytes_member(*r, p, "userHandle", 0, 64, out.user_handle); !e.empty()) return e;
    out.has_user_handle = !out.user_handle.empty();
  }
  return {};
}

std::string parse_registration_json(const json& credential, RegistrationInput& out) {
  const json* r = nullptr;
  std::string raw_id;
  if (auto e = common(credential, raw_id, r); !e.empty()) return e;
  const char* p = "credential.response.";
  if (auto e = bytes_member(*r, p, "clientDataJSON", 1, identity::kMaxClientDataBytes, out.client_data_json); !e.empty())
    return e;
  return bytes_member(*r, p, "attestationObject", 1, identity::kMaxAttestationObjectBytes, out.attestation_object);
}

json request_options_json(const std::string& challenge, const std::string& rp_id,
                          const std::vector<std::string>& credential_ids) {
  return {{"challenge", b64(challenge)},
          {"timeout", kWebAuthnTimeoutMs},
          {"rpId", rp_id},
          {"allowCredentials", descriptors(credential_ids)},
          {"userVerification", "preferred"}};
}

json creation_options_json(const std::string& challenge, const std::string& rp_id, const std::string& rp_name,
                           const std::string& user_id, const std::vector<std::string>& credential_ids) {
  return {{"rp", {{"id", rp_id}, {"name", rp_name}}},
          {"user", {{"id", b64(user_id)}, {"name", user_id}, {"displayName", user_id}}},
          {"challenge", b64(challenge)},
          {"pubKeyCredParams", json::array({{{"type", "public-key"}, {"alg", -7}}, {{"type", "public-key"}, {"alg", -8}}})},
          {"timeout", kWebAuthnTimeoutMs},
          {"excludeCredentials", descriptors(credential_ids)},
          {"authenticatorSelection", {{"residentKey", "discouraged"}, {"userVerification", "preferred"}}},
          {"attestation", "none"}};
}

}  // namespace rxp::api
