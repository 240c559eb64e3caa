// Where SIEM records go: a file or stdout (one record per line), and a NATS subject (one
// message per record, core NATS publish; JetStream is issue 7's).
//
// Contract: write() takes one record without its newline; finish() returns only when every
// record written is delivered (a file is fsync'd; NATS is flushed, i.e. the server has
// received every message, or an error). A sink that failed stays failed.
// Thread-safety: a sink belongs to one thread, the exporting one (the CLI's); it is never used
// from a CAF worker. NATS.c's own threads only move the bytes already published.
// The NATS URL may hold credentials: no message of this module repeats it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "infra/result.hpp"

namespace rxp::projections {

class SiemSink {
 public:
  virtual ~SiemSink() = default;
  virtual Status write(std::string_view record) = 0;
  virtual Status finish() = 0;
};

// "-": stdout. Otherwise a new or truncated file, mode 0600.
Result<std::unique_ptr<SiemSink>> open_file_sink(const std::string& path);

struct NatsSinkOptions {
  NatsSinkOptions() = default;
  std::string url;                       // nats://host:port (or tls://)
  std::string subject = "rxportal.siem";
  int64_t timeout_ms = 10000;            // connect and flush
  size_t flush_every = 1024;             // bounds the client's pending buffer on big exports
};

// Connects now (so a bad server fails before anything is read).
Result<std::unique_ptr<SiemSink>> open_nats_sink(const NatsSinkOptions& options);

// A subject to publish on: tokens of [A-Za-z0-9_-] separated by single dots, no wildcards,
// at most 255 characters.
bool is_valid_nats_subject(std::string_view subject);
// nats:// or tls:// followed by a non-empty address without spaces.
bool is_valid_nats_url(std::string_view url);

// Releases NATS.c's global state; call once at the end of the process, after every NATS sink
// is destroyed.
void close_nats_library();

}  // namespace rxp::projections
