// TLS for the HTTP edge (OpenSSL 3): the server context's hardening, and a self-signed
// certificate for first runs and tests.
//
// CONTRACT
// - configure_server_tls(ctx, cert, key): TLS 1.2 and 1.3 only; for 1.2 only ECDHE with
//   AES-GCM or ChaCha20-Poly1305 (forward secrecy, AEAD); for 1.3 its three AEAD suites;
//   server cipher preference; no compression; no renegotiation; no session tickets (no
//   ticket key to rotate); groups X25519, P-256, P-384. Loads the certificate chain and key and
//   checks that they match. Errors name the file, never key material.
// - make_self_signed(dir): creates dir (0700) and writes dir/server.crt (0644) and
//   dir/server.key (0600, created exclusively, so an existing key is never overwritten):
//   ECDSA P-256, SHA-256, valid 365 days, CN and subjectAltName localhost and 127.0.0.1.
//   When both files exist already they are kept (kConflict is not an error: paths are
//   returned). A key file readable by group or other is refused (kKeyError).
// Thread-safety: independent calls may run concurrently.
#pragma once

#include <openssl/types.h>

#include <string>

#include "infra/result.hpp"

namespace rxp::api {

Status configure_server_tls(SSL_CTX* ctx, const std::string& cert_path, const std::string& key_path);

struct CertPaths {
  std::string cert_path, key_path;
  bool created = false;
};
Result<CertPaths> make_self_signed(const std::string& dir);

}  // namespace rxp::api
