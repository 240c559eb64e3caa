// Memory for secrets (KEKs, DEKs, signing keys).
//
// SecretBytes: a fixed-size buffer from sodium_malloc (guard pages, mlock where the OS allows,
// zeroed on free). Move-only. Use it for the few long-lived keys (KEKs, signing keys).
// Key32: a 32-byte key by value, zeroed by its destructor, for DEKs that are cached in large
// numbers (a sodium_malloc allocation costs three pages). Neither is ever printed or logged.
// Thread-safety: none; each object belongs to one owner.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "infra/bytes.hpp"

namespace rxp {

// Call once at start-up (idempotent). Returns false when libsodium cannot initialise.
bool secure_init();

// Wipes memory in a way the optimiser may not elide (sodium_memzero).
void secure_wipe(void* p, size_t n);
// Constant-time equality for secrets and MACs; false when sizes differ.
bool secure_equal(BytesView a, BytesView b);
// Fills with cryptographically secure random bytes.
void secure_random(void* p, size_t n);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n);  // zero-filled; aborts when out of memory
  ~SecretBytes();
  SecretBytes(SecretBytes&& o) noexcept;
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  uint8_t* data() { return p_; }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }
  BytesView view() const { return {p_, n_}; }
  bool empty() const { return n_ == 0; }

 private:
  uint8_t* p_ = nullptr;
  size_t n_ = 0;
};

class Key32 {
 public:
  Key32() { bytes_.fill(0); }
  explicit Key32(BytesView b);  // copies exactly 32 bytes; shorter input is zero-padded
  ~Key32() { secure_wipe(bytes_.data(), bytes_.size()); }
  Key32(const Key32& o) = default;
  Key32& operator=(const Key32& o) = default;

  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  static constexpr size_t size() { return 32; }
  BytesView view() const { return {bytes_.data(), bytes_.size()}; }

 private:
  std::array<uint8_t, 32> bytes_;
};

// Disables core dumps and ptrace attach for this process, so that keys in memory do not
// end up in a crash dump. Called by every command that unwraps keys.
void harden_process();

}  // namespace rxp
