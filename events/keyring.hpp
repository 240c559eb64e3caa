// KeyRing: the key-encryption keys (KEKs) from the sealed key file, and DEK wrapping.
//
// The key file (default DIR/rxportal.key) is created by `rxportal init` with mode 0600 and
// refused when group or others may read it, or when another user owns it. Its text format:
//   rxportal-keyfile 1
//   kek <kek-id> <64 hex digits>        (one line per KEK; the last one is current)
//   sig <key-id> <128 hex digits>       (Ed25519 log-signing secret key, seed || public key;
//                                        the last one is current)
// The signing key signs Merkle checkpoints of the log (events/checkpoint.hpp). Key files
// written before checkpoints existed have no sig line; ensure_signing_key adds one.
// It is rewritten atomically (temp file, fsync, rename, fsync of the directory), so a crash
// leaves either the old or the new file. Key bytes live in sodium_malloc'd memory, are wiped
// on release and are never logged.
//
// A DEK is wrapped with XChaCha20-Poly1305 under the current KEK; the associated data binds
// the DEK id, stream and version, so a wrapped DEK moved to another stream does not unwrap.
// Thread-safety: const methods may run concurrently; add_kek/remove_kek need exclusive use.
#pragma once

#include <array>
#include <map>
#include <string>

#include "events/event_store.hpp"
#include "infra/secure.hpp"

namespace rxp::events {

class KeyRing {
 public:
  // Creates a new key file with one KEK. Fails if the file exists.
  static Result<KeyRing> create(const std::string& path);
  // Loads and checks permissions and format.
  static Result<KeyRing> open(const std::string& path);

  KeyRing(KeyRing&&) = default;
  KeyRing& operator=(KeyRing&&) = default;

  const std::string& current_kek_id() const { return current_; }
  std::vector<std::string> kek_ids() const;

  // A new random DEK for (stream, version), wrapped under the current KEK. The plaintext key
  // is written to `dek`.
  Result<WrappedDek> new_dek(const std::string& stream_id, uint32_t version, int64_t now_us,
                             Key32& dek) const;
  Result<Key32> unwrap(const WrappedDek& w) const;
  // The same DEK wrapped under the current KEK.
  Result<WrappedDek> rewrap(const WrappedDek& w) const;

  // Log signing (Ed25519). signing_key_id() is empty while the file holds no signing key.
  const std::string& signing_key_id() const { return signing_current_; }
  // Adds a signing key and saves the file when there is none yet (migrates key files from
  // before checkpoints); ok and unchanged otherwise. Needs exclusive use, like add_kek.
  Status ensure_signing_key();
  // Detached Ed25519 signature of `message` with the current signing key.
  Result<std::array<uint8_t, 64>> sign(BytesView message) const;
  // The public half of signing key `key_id`.
  Result<std::array<uint8_t, 32>> signing_public_key(const std::string& key_id) const;

  // Adds a fresh KEK, makes it current and saves the file. Returns its id.
  Result<std::string> add_kek();
  // Destroys a KEK that no DEK uses any more and saves the file.
  Status remove_kek(const std::string& kek_id);

 private:
  KeyRing() = default;
  Status save() const;

  std::string path_;
  std::map<std::string, SecretBytes> keks_;
  std::vector<std::string> order_;  // file order; last = current
  std::string current_;
  std::map<std::string, SecretBytes> signing_;  // id -> 64-byte Ed25519 secret key
  std::vector<std::string> signing_order_;
  std::string signing_current_;
};

// A fresh random opaque id with a prefix: "dk-3f9a…" (16 hex digits).
std::string random_id(const char* prefix);

}  // namespace rxp::events
