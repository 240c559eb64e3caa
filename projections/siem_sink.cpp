#include "projections/siem_sink.hpp"

#include <fcntl.h>
#include <nats/nats.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rxp::projections {
namespace {

constexpr size_t kFileBuffer = 64 * 1024;

class FileSink final : public SiemSink {
 public:
  FileSink(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FileSink() override {
    if (owned_) ::close(fd_);
  }

  Status write(std::string_view record) override {
    if (!failed_.is_ok()) return failed_;
    buffer_.append(record);
    buffer_ += '\n';
    return buffer_.size() >= kFileBuffer ? drain() : Status::ok();
  }

  Status finish() override {
    if (Status st = drain(); !st) return st;
    if (owned_ && ::fsync(fd_) != 0) return fail("fsync of the output file failed");
    return Status::ok();
  }

 private:
  Status drain() {
    if (!failed_.is_ok()) return failed_;
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(std::string("writing the output failed: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return Status::ok();
  }
  Status fail(std::string message) {
    failed_ = Status(ErrorCode::kIo, std::move(message));
    return failed_;
  }

  int fd_;
  bool owned_;
  std::string buffer_;
  Status failed_;
};

Status nats_error(const char* what, natsStatus s) {
  std::string m = "NATS ";
  m += what;
  m += " failed: ";
  m += natsStatus_GetText(s);
  return Status(ErrorCode::kIo, std::move(m));
}

class NatsSink final : public SiemSink {
 public:
  NatsSink(natsConnection* nc, NatsSinkOptions o) : nc_(nc), o_(std::move(o)) {}
  ~NatsSink() override {
    // Destroy closes the connection; anything not flushed is dropped, which finish() reports.
    natsConnection_Destroy(nc_);
  }

  Status write(std::string_view record) override {
    if (!failed_.is_ok()) return failed_;
    natsStatus s = natsConnection_Publish(nc_, o_.subject.c_str(), record.data(),
                                          static_cast<int>(record.size()));
    if (s != NATS_OK) return failed_ = nats_error("publish", s);
    if (++unflushed_ >= o_.flush_every) return flush();
    return Status::ok();
  }

  Status finish() override { return flush(); }

 private:
  Status flush() {
    if (!failed_.is_ok()) return failed_;
    natsStatus s = natsConnection_FlushTimeout(nc_, o_.timeout_ms);
    if (s != NATS_OK) return failed_ = nats_error("flush", s);
    unflushed_ = 0;
    return Status::ok();
  }

  natsConnection* nc_;
  NatsSinkOptions o_;
  size_t unflushed_ = 0;
  Status failed_;
};

}  // namespace

Result<std::unique_ptr<SiemSink>> open_file_sink(const std::string& path) {
  if (path == "-") return std::unique_ptr<SiemSink>(new FileSink(STDOUT_FILENO, false));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status(ErrorCode::kIo, std::string("cannot open the output file: ") + std::strerror(errno));
  return std::unique_ptr<SiemSink>(new FileSink(fd, true));
}

Result<std::unique_ptr<SiemSink>> open_nats_sink(const NatsSinkOptions& o) {
  if (!is_valid_nats_url(o.url)) return Status(ErrorCode::kInvalidArgument, "bad NATS URL");
  if (!is_valid_nats_subject(o.subject))
    return Status(ErrorCode::kInvalidArgument, "bad NATS subject");
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, o.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, "rxportal-siem");
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, o.timeout_ms);
  // A lost connection fails the export instead of buffering silently while reconnecting.
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  natsConnection* nc = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return nats_error("connect", s);
  return std::unique_ptr<SiemSink>(new NatsSink(nc, o));
}

bool is_valid_nats_subject(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

bool is_valid_nats_url(std::string_view u) {
  std::string_view rest;
  if (u.starts_with("nats://")) rest = u.substr(7);
  else if (u.starts_with("tls://")) rest = u.substr(6);
  else return false;
  if (rest.empty() || rest.size() > 512) return false;
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

void close_nats_library() { nats_Close(); }

}  // namespace rxp::projections
