#include "infra/secure.hpp"

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace rxp {

bool secure_init() { return sodium_init() >= 0; }

void secure_wipe(void* p, size_t n) {
  if (p != nullptr && n > 0) sodium_memzero(p, n);
}

bool secure_equal(BytesView a, BytesView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secure_random(void* p, size_t n) {
  if (n != 0) randombytes_buf(p, n);  // (nullptr, 0) is valid here, not for libsodium
}

SecretBytes::SecretBytes(size_t n) : n_(n) {
  if (n == 0) return;
  p_ = static_cast<uint8_t*>(sodium_malloc(n));
  if (p_ == nullptr) std::abort();  // out of memory for a key: nothing sensible to do
  std::memset(p_, 0, n);
}

SecretBytes::~SecretBytes() {
  if (p_ != nullptr) sodium_free(p_);  // sodium_free zeroes before unmapping
}

SecretBytes::SecretBytes(SecretBytes&& o) noexcept : p_(o.p_), n_(o.n_) {
  o.p_ = nullptr;
  o.n_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    if (p_ != nullptr) sodium_free(p_);
    p_ = o.p_;
    n_ = o.n_;
    o.p_ = nullptr;
    o.n_ = 0;
  }
  return *this;
}

Key32::Key32(BytesView b) {
  bytes_.fill(0);
  std::memcpy(bytes_.data(), b.data(), b.size() < 32 ? b.size() : 32);
}

void harden_process() {
  struct rlimit no_core {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace rxp
