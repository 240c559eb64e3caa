#include "events/keyring.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rxp::events {
namespace {

constexpr const char* kHeaderLine = "rxportal-keyfile 1";
constexpr size_t kMaxKeyFile = 64 * 1024;

Status key_error(const std::string& path, const std::string& what) {
  return Status(ErrorCode::kKeyError, "key file " + path + ": " + what);
}

// v2 binds every column of the DEK row except the KEK id (a wrong KEK id cannot unwrap
// anyway), so a changed creation time is caught too. DEKs wrapped before v2 carry the v1 data
// and unwrap with it until the next KEK rotation rewraps them as v2.
std::string dek_ad_v1(const std::string& dek_id, const std::string& stream, uint32_t version) {
  std::string ad = "rxportal.dek.v1|";
  ad += dek_id;
  ad += "|";
  ad += stream;
  ad += "|";
  ad += std::to_string(version);
  return ad;
}
std::string dek_ad(const WrappedDek& w) {
  std::string ad = "rxportal.dek.v2|";
  ad += w.dek_id;
  ad += "|";
  ad += w.stream_id;
  ad += "|";
  ad += std::to_string(w.version);
  ad += "|";
  ad += std::to_string(w.created_at_us);
  return ad;
}

Status fsync_dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status(ErrorCode::kIo, "cannot open directory " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::ok() : Status(ErrorCode::kIo, "fsync of " + dir + " failed");
}

}  // namespace

std::string random_id(const char* prefix) {
  uint8_t b[8];
  secure_random(b, sizeof b);
  return std::string(prefix) + "-" + to_hex(BytesView(b, sizeof b));
}

Result<KeyRing> KeyRing::create(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return key_error(path, "already exists");
  KeyRing ring;
  ring.path_ = path;
  SecretBytes k(32);
  crypto_aead_xchacha20poly1305_ietf_keygen(k.data());
  std::string id = random_id("kek");
  ring.keks_.emplace(id, std::move(k));
  ring.order_.push_back(id);
  ring.current_ = id;
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_keypair(pk, sk.data());
  std::string sid = random_id("sk");
  ring.signing_.emplace(sid, std::move(sk));
  ring.signing_order_.push_back(sid);
  ring.signing_current_ = sid;
  RXP_RETURN_IF_ERROR(ring.save());
  return ring;
}

Result<KeyRing> KeyRing::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return key_error(path, "missing (run `rxportal init`)");
    return key_error(path, std::string("cannot be opened: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return key_error(path, "is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return key_error(path, std::string("is readable or writable by group or others (mode ") +
                               mode + "); refusing to use it. Run: chmod 600 " + path);
  }
  if (st.st_uid != ::geteuid()) {
    ::close(fd);
    return key_error(path, "is owned by another user; refusing to use it");
  }
  if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxKeyFile) {
    ::close(fd);
    return key_error(path, "has an impossible size");
  }
  // Read into locked memory so the key text never sits in ordinary heap.
  SecretBytes text(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != text.size()) return key_error(path, "could not be read completely");

  KeyRing ring;
  ring.path_ = path;
  std::string_view all(reinterpret_cast<const char*>(text.data()), text.size());
  size_t line_no = 0;
  while (!all.empty()) {
    size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
    ++line_no;
    if (line_no == 1) {
      if (line != kHeaderLine) return key_error(path, "is not an rxportal key file");
      continue;
    }
    if (line.empty()) continue;
    // "sig <id> <128 hex>"
    if (line.substr(0, 4) == "sig ") {
      std::string_view rest = line.substr(4);
      size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) return key_error(path, "line " + std::to_string(line_no) + " is malformed");
      std::string id(rest.substr(0, sp));
      std::string_view hex = rest.substr(sp + 1);
      SecretBytes k(crypto_sign_SECRETKEYBYTES);
      size_t bin_len = 0;
      if (!is_opaque_id(id, false) || hex.size() != 2 * crypto_sign_SECRETKEYBYTES ||
          sodium_hex2bin(k.data(), k.size(), hex.data(), hex.size(), nullptr, &bin_len, nullptr) != 0 ||
          bin_len != crypto_sign_SECRETKEYBYTES || ring.signing_.count(id) != 0)
        return key_error(path, "line " + std::to_string(line_no) + " is malformed");
      // The stored public half must be the one the seed derives: a mismatch is a damaged file.
      uint8_t pk[crypto_sign_PUBLICKEYBYTES];
      if (crypto_sign_ed25519_sk_to_pk(pk, k.data()) != 0)
        return key_error(path, "line " + std::to_string(line_no) + " is malformed");
      {
        SecretBytes again(crypto_sign_SECRETKEYBYTES);
        uint8_t pk2[crypto_sign_PUBLICKEYBYTES];
        crypto_sign_seed_keypair(pk2, again.data(), k.data());
        if (sodium_memcmp(pk, pk2, sizeof pk) != 0)
          return key_error(path, "line " + std::to_string(line_no) + " is malformed");
      }
      ring.signing_.emplace(id, std::move(k));
      ring.signing_order_.push_back(id);
      continue;
    }
    // "kek <id> <hex>"
    if (line.substr(0, 4) != "kek ") return key_error(path, "line " + std::to_string(line_no) + " is malformed");
    std::string_view rest = line.substr(4);
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return key_error(path, "line " + std::to_string(line_no) + " is malformed");
    std::string id(rest.substr(0, sp));
    std::string_view hex = rest.substr(sp + 1);
    SecretBytes k(32);
    size_t bin_len = 0;
    if (!is_opaque_id(id, false) || hex.size() != 64 ||
        sodium_hex2bin(k.data(), k.size(), hex.data(), hex.size(), nullptr, &bin_len, nullptr) != 0 ||
        bin_len != 32 || ring.keks_.count(id) != 0)
      return key_error(path, "line " + std::to_string(line_no) + " is malformed");
    ring.keks_.emplace(id, std::move(k));
    ring.order_.push_back(id);
  }
  if (ring.order_.empty()) return key_error(path, "holds no key");
  ring.current_ = ring.order_.back();
  if (!ring.signing_order_.empty()) ring.signing_current_ = ring.signing_order_.back();
  return ring;
}

std::vector<std::string> KeyRing::kek_ids() const { return order_; }

Status KeyRing::save() const {
  std::string tmp = path_ + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return key_error(path_, std::string("cannot write: ") + std::strerror(errno));
  // Assemble the text in locked memory: header + one line per KEK (4 + id + 1 + 64 + 1).
  size_t size = std::strlen(kHeaderLine) + 1;
  for (const auto& id : order_) size += 4 + id.size() + 1 + 64 + 1;
  for (const auto& id : signing_order_) size += 4 + id.size() + 1 + 2 * crypto_sign_SECRETKEYBYTES + 1;
  SecretBytes text(size + 1);
  char* p = reinterpret_cast<char*>(text.data());
  size_t at = 0;
  auto put = [&](std::string_view s) {
    std::memcpy(p + at, s.data(), s.size());
    at += s.size();
  };
  put(kHeaderLine);
  put("\n");
  for (const auto& id : order_) {
    put("kek ");
    put(id);
    put(" ");
    const SecretBytes& k = keks_.at(id);
    sodium_bin2hex(p + at, 65, k.data(), k.size());
    at += 64;
    put("\n");
  }
  for (const auto& id : signing_order_) {
    put("sig ");
    put(id);
    put(" ");
    const SecretBytes& k = signing_.at(id);
    sodium_bin2hex(p + at, 2 * k.size() + 1, k.data(), k.size());
    at += 2 * k.size();
    put("\n");
  }
  bool ok = ::write(fd, p, at) == static_cast<ssize_t>(at) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return key_error(path_, "could not be written");
  }
  return fsync_dir_of(path_);
}

Status KeyRing::ensure_signing_key() {
  if (!signing_current_.empty()) return Status::ok();
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_keypair(pk, sk.data());
  std::string id = random_id("sk");
  signing_.emplace(id, std::move(sk));
  signing_order_.push_back(id);
  signing_current_ = id;
  if (Status st = save(); !st) {
    signing_.erase(id);
    signing_order_.pop_back();
    signing_current_.clear();
    return st;
  }
  return Status::ok();
}

Result<std::array<uint8_t, 64>> KeyRing::sign(BytesView message) const {
  if (signing_current_.empty())
    return Status(ErrorCode::kKeyError, "key file " + path_ + " holds no signing key");
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                       signing_.at(signing_current_).data());
  return sig;
}

Result<std::array<uint8_t, 32>> KeyRing::signing_public_key(const std::string& key_id) const {
  auto it = signing_.find(key_id);
  if (it == signing_.end()) return Status(ErrorCode::kKeyError, "no signing key " + key_id);
  std::array<uint8_t, 32> pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), it->second.data());
  return pk;
}

Result<WrappedDek> KeyRing::new_dek(const std::string& stream_id, uint32_t version,
                                    int64_t now_us, Key32& dek) const {
  crypto_aead_xchacha20poly1305_ietf_keygen(dek.data());
  WrappedDek w;
  w.dek_id = random_id("dk");
  w.stream_id = stream_id;
  w.version = version;
  w.created_at_us = now_us;
  w.kek_id = current_;
  std::string ad = dek_ad(w);
  const SecretBytes& kek = keks_.at(current_);
  w.wrapped.resize(24 + 32 + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  secure_random(w.wrapped.data(), 24);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      w.wrapped.data() + 24, &clen, dek.data(), 32, reinterpret_cast<const uint8_t*>(ad.data()),
      ad.size(), nullptr, w.wrapped.data(), kek.data());
  return w;
}

Result<Key32> KeyRing::unwrap(const WrappedDek& w) const {
  auto it = keks_.find(w.kek_id);
  if (it == keks_.end())
    return Status(ErrorCode::kKeyError, "DEK " + w.dek_id + " is wrapped by unknown KEK " + w.kek_id);
  if (w.wrapped.size() != 24 + 32 + crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return Status(ErrorCode::kIntegrity, "wrapped DEK " + w.dek_id + " has a bad length");
  Key32 dek;
  for (const std::string& ad : {dek_ad(w), dek_ad_v1(w.dek_id, w.stream_id, w.version)}) {
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            dek.data(), &mlen, nullptr, w.wrapped.data() + 24, w.wrapped.size() - 24,
            reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), w.wrapped.data(),
            it->second.data()) == 0 &&
        mlen == 32)
      return dek;
  }
  return Status(ErrorCode::kIntegrity, "wrapped DEK " + w.dek_id + " does not authenticate");
}

Result<WrappedDek> KeyRing::rewrap(const WrappedDek& w) const {
  auto dek = unwrap(w);
  if (!dek) return dek.status();
  WrappedDek out = w;
  out.kek_id = current_;
  std::string ad = dek_ad(out);
  secure_random(out.wrapped.data(), 24);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.wrapped.data() + 24, &clen, dek->data(), 32, reinterpret_cast<const uint8_t*>(ad.data()),
      ad.size(), nullptr, out.wrapped.data(), keks_.at(current_).data());
  return out;
}

Result<std::string> KeyRing::add_kek() {
  SecretBytes k(32);
  crypto_aead_xchacha20poly1305_ietf_keygen(k.data());
  std::string id = random_id("kek");
  keks_.emplace(id, std::move(k));
  order_.push_back(id);
  std::string previous = current_;
  current_ = id;
  if (Status st = save(); !st) {
    keks_.erase(id);
    order_.pop_back();
    current_ = previous;
    return st;
  }
  return id;
}

Status KeyRing::remove_kek(const std::string& kek_id) {
  if (kek_id == current_)
    return Status(ErrorCode::kInvalidArgument, "the current KEK cannot be removed");
  auto it = keks_.find(kek_id);
  if (it == keks_.end()) return Status(ErrorCode::kNotFound, "no KEK " + kek_id);
  SecretBytes removed = std::move(it->second);
  keks_.erase(it);
  std::erase(order_, kek_id);
  return save();
}

}  // namespace rxp::events
