// Benchmarks: each measures the real path and, in the same run, a baseline over the same
// bytes, and prints a human summary or one JSON object (--json).
#pragma once

#include <chrono>
#include <string>

#include "events/event_log.hpp"

namespace rxp::cli {

struct BenchAppendOptions {
  std::string data;
  size_t events = 100000;
  size_t batch = 256;     // events per durable transaction, for both the real path and baseline
  size_t streams = 1000;
  bool json = false;
  std::string pg;  // PostgreSQL URL: bench the PostgreSQL store and PostgreSQL baselines
};

struct BenchReplayOptions {
  std::string data;
  size_t events = 100000;  // populated first if the data directory is new
  unsigned threads = 0;    // verify threads; 0: one per core
  bool json = false;
};

struct BenchRecordReadOptions {
  std::string data;
  size_t records = 1000;        // records the reads are spread over
  size_t reads = 20000;
  size_t callers = 64;          // concurrent callers
  size_t activations = 200;     // records activated from a snapshot for the p99
  size_t idle_records = 100000; // idle record actors for the memory figure
  bool json = false;
};

int run_bench_append(const BenchAppendOptions& o);
int run_bench_append_pg(const BenchAppendOptions& o);  // bench_append_pg.cpp
int run_bench_record_read(const BenchRecordReadOptions& o);
int run_bench_replay(const BenchReplayOptions& o);

struct BenchProjectionsOptions {
  std::string data;
  size_t events = 100000;  // populated into a new directory (views, exports, changes, ...)
  size_t rate = 2000;      // live phase: events appended per second
  size_t seconds = 10;     // live phase: duration
  unsigned threads = 0;    // replay comparison threads; 0: one per core
  bool json = false;
};
int run_bench_projections(const BenchProjectionsOptions& o);

// The replay benchmark's measurement (read, verify, decrypt, decode vs in-memory hash+decrypt;
// best of `runs`), on an open data directory.
struct OpenData;
struct ReplayFigures {
  int runs = 0;
  uint64_t events = 0;
  uint64_t streams = 0;
  unsigned threads = 0;
  double events_per_s = 0;
  double baseline_per_s = 0;
  double seconds = 0;
  double baseline_seconds = 0;
};
Result<ReplayFigures> measure_replay(OpenData& data, unsigned threads);

// Synthetic traffic for benchmarks: ~256-byte payloads over `streams` record streams.
events::AppendRequest bench_request(size_t i, size_t streams);
// Creates the data directory, key file and store when missing (for bench runs).
Status ensure_initialised(const std::string& data);

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace rxp::cli

namespace CLI {
class App;
}
namespace rxp::cli {
// rxportal bench feed (issue 7, tools/bench_feed.cpp): added under the bench subcommand.
void add_bench_feed(CLI::App& app, int& exit_code);
}  // namespace rxp::cli
