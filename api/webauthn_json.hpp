// WebAuthn values as JSON for the HTTP edge: the options a browser passes to
// navigator.credentials.get() / .create() (base64url for every byte field, as
// PublicKeyCredential.parseRequestOptionsFromJSON / parseCreationOptionsFromJSON read them),
// and the credentials a browser sends back in the WebAuthn Level 2/3 "PublicKeyCredential
// JSON" shape (PublicKeyCredential.toJSON()). Pure functions, no I/O.
//
// CONTRACT
// - A credential is an object with "id" (base64url), "rawId" (the same string), "type"
//   "public-key" and "response" (an object). An assertion's response holds "clientDataJSON",
//   "authenticatorData", "signature" (base64url) and optionally "userHandle" (base64url or
//   null); a registration's response holds "clientDataJSON" and "attestationObject". Members
//   browsers add ("authenticatorAttachment", "clientExtensionResults", "transports",
//   "publicKey", ...) are ignored. Decoded sizes are bounded by webauthn.hpp's limits.
// - A refusal is a message that names the member and the rule ("credential.response.signature:
//   must be base64url"), never its content. The identity checks (signature, challenge, origin)
//   are the user actor's (webauthn.hpp), not these.
// Thread-safety: pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/identity/user.hpp"

namespace rxp::api {

inline constexpr int64_t kWebAuthnTimeoutMs = 5 * 60 * 1000;  // the challenge lives 5 minutes

struct AssertionInput {
  identity::WebAuthnAssertion assertion;  // raw bytes
  bool has_user_handle = false;
  std::string user_handle;  // raw bytes
};
struct RegistrationInput {
  std::string client_data_json, attestation_object;  // raw bytes
};

// Empty string: parsed into `out`; otherwise the refusal message.
std::string parse_assertion_json(const nlohmann::json& credential, AssertionInput& out);
std::string parse_registration_json(const nlohmann::json& credential, RegistrationInput& out);

// PublicKeyCredentialRequestOptions: challenge, timeout, rpId, allowCredentials,
// userVerification "preferred". Byte inputs are raw.
nlohmann::json request_options_json(const std::string& challenge, const std::string& rp_id,
                                    const std::vector<std::string>& credential_ids);
// PublicKeyCredentialCreationOptions: rp, user (id = the user id's bytes; name and
// displayName = the user id, so no name leaves the server), challenge, pubKeyCredParams
// (ES256 -7, EdDSA -8), timeout, excludeCredentials, authenticatorSelection, attestation "none".
nlohmann::json creation_options_json(const std::string& challenge, const std::string& rp_id,
                                     const std::string& rp_name, const std::string& user_id,
                                     const std::vector<std::string>& credential_ids);

}  // namespace rxp::api
