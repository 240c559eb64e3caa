#include "api/tls.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

namespace rxp::api {
namespace {

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;

bool add_ext(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Status write_pem(const std::string& path, mode_t mode, bool exclusive, const std::function<bool(FILE*)>& write) {
  int flags = O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC) | O_CLOEXEC;
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return Status(ErrorCode::kIo, "cannot create " + path);
  ::fchmod(fd, mode);
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    return Status(ErrorCode::kIo, "cannot write " + path);
  }
  bool ok = write(f);
  ok = (std::fflush(f) == 0) && ok;
  ok = (::fsync(fd) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) return Status(ErrorCode::kIo, "cannot write " + path);
  return Status::ok();
}

}  // namespace

Status configure_server_tls(SSL_CTX* ctx, const std::string& cert_path, const std::string& key_path) {
  if (!ctx) return Status(ErrorCode::kInternal, "no TLS context");
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
    return Status(ErrorCode::kInternal, "TLS versions: " + ssl_error());
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_TICKET | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                               SSL_OP_NO_TLSv1_1);
  static const char* kTls12 =
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
  static const char* kTls13 = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
  if (SSL_CTX_set_cipher_list(ctx, kTls12) != 1 || SSL_CTX_set_ciphersuites(ctx, kTls13) != 1)
    return Status(ErrorCode::kInternal, "TLS ciphers: " + ssl_error());
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1)
    return Status(ErrorCode::kInternal, "TLS groups: " + ssl_error());
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_path.c_str()) != 1)
    return Status(ErrorCode::kKeyError, "cannot load certificate " + cert_path + ": " + ssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    return Status(ErrorCode::kKeyError, "cannot load private key " + key_path);
  if (SSL_CTX_check_private_key(ctx) != 1)
    return Status(ErrorCode::kKeyError, "private key " + key_path + " does not match certificate " + cert_path);
  ERR_clear_error();
  return Status::ok();
}

Result<CertPaths> make_self_signed(const std::string& dir) {
  namespace fs = std::filesystem;
  CertPaths out{dir + "/server.crt", dir + "/server.key", false};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status(ErrorCode::kIo, "cannot create " + dir);
  ::chmod(dir.c_str(), 0700);
  bool have_cert = fs::exists(out.cert_path), have_key = fs::exists(out.key_path);
  if (have_cert && have_key) {
    struct stat st {};
    if (::stat(out.key_path.c_str(), &st) != 0) return Status(ErrorCode::kIo, "cannot stat " + out.key_path);
    if (st.st_mode & 077) return Status(ErrorCode::kKeyError, out.key_path + " is readable by group or other (chmod 600)");
    return out;
  }
  if (have_key) return Status(ErrorCode::kConflict, out.key_path + " exists without " + out.cert_path);

  PKey key(EVP_EC_gen("P-256"));
  if (!key) return Status(ErrorCode::kInternal, "key generation: " + ssl_error());
  Cert x(X509_new());
  if (!x) return Status(ErrorCode::kInternal, "certificate: " + ssl_error());
  BIGNUM* serial = BN_new();
  bool ok = serial && BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x.get())) != nullptr;
  BN_free(serial);
  X509_NAME* name = X509_get_subject_name(x.get());
  ok = ok && X509_set_version(x.get(), 2) == 1 && X509_gmtime_adj(X509_getm_notBefore(x.get()), -300) &&
       X509_gmtime_adj(X509_getm_notAfter(x.get()), 365L * 86400) && X509_set_pubkey(x.get(), key.get()) == 1 &&
       X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("rxportal"), -1, -1, 0) == 1 &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0) == 1 &&
       X509_set_issuer_name(x.get(), name) == 1 &&
       add_ext(x.get(), NID_basic_constraints, "critical,CA:FALSE") &&
       add_ext(x.get(), NID_key_usage, "critical,digitalSignature") &&
       add_ext(x.get(), NID_ext_key_usage, "serverAuth") &&
       add_ext(x.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") &&
       X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return Status(ErrorCode::kInternal, "certificate: " + ssl_error());
  auto st = write_pem(out.key_path, 0600, true, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  if (!st) return st;
  st = write_pem(out.cert_path, 0644, false, [&](FILE* f) { return PEM_write_X509(f, x.get()) == 1; });
  if (!st) return st;
  out.created = true;
  return out;
}

}  // namespace rxp::api
