#include <sodium.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "events/verify.hpp"
#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

Status populate(const std::string& data, size_t events) {
  RXP_RETURN_IF_ERROR(ensure_initialised(data));
  auto d = open_data(data, false);
  if (!d) return d.status();
  constexpr size_t kBatch = 512;
  for (size_t i = 0; i < events; i += kBatch) {
    std::vector<events::AppendRequest> batch;
    for (size_t j = i; j < std::min(events, i + kBatch); ++j)
      batch.push_back(bench_request(j, 1000));
    for (auto& r : d->log->append_batch(batch))
      if (!r) return r.status();
  }
  return Status::ok();
}

}  // namespace

// The replay measurement on an open data directory; also used by bench projections, which
// compares its rebuild against this in the same run.
Result<ReplayFigures> measure_replay(OpenData& data, unsigned threads_option) {
  OpenData* const d = &data;  // the code below is run_bench_replay's, unchanged
  // Real path: read from SQLite, check positions, chains and hashes, decrypt, decode.
  // Both sides run kRuns times and the best run counts: one pass is short enough for
  // scheduler noise to dominate a single measurement.
  constexpr int kRuns = 3;
  unsigned threads = threads_option != 0 ? threads_option : std::max(1u, std::thread::hardware_concurrency());
  double real_s = 1e300;
  Result<events::VerifyReport> rep = Status(ErrorCode::kInternal, "not run");
  for (int run = 0; run < kRuns; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    rep = events::verify_log(*d->log, {.physical_check = false, .threads = threads});
    real_s = std::min(real_s, seconds_since(t0));
    if (!rep) return rep.status();
    if (!rep->ok()) return Status(ErrorCode::kIntegrity, rep->failure->reason);
  }

  // Baseline: the same bytes already in memory, the same DEKs already unwrapped; only
  // BLAKE2b over header+ciphertext and XChaCha20-Poly1305 decryption per event.
  auto rows = d->store->read_all(1, rep->events);
  if (!rows) return rows.status();
  std::unordered_map<std::string, Key32> keys;
  std::vector<const Key32*> key_of(rows->size());
  std::vector<events::EventHeader> headers(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    auto h = events::decode_header((*rows)[i].header_bytes);
    if (!h) return h.status();
    headers[i] = *h;
    auto it = keys.find(h->key_id);
    if (it == keys.end()) {
      auto w = d->store->find_dek(h->key_id);
      if (!w || !w.value()) return Status(ErrorCode::kKeyError, "DEK missing");
      auto k = d->keys->unwrap(**w);
      if (!k) return k.status();
      it = keys.emplace(h->key_id, *k).first;
    }
    key_of[i] = &it->second;
  }
  Bytes plain(4096);
  size_t failures = 0;
  double base_s = 1e300;
  for (int run = 0; run < kRuns; ++run) {
    auto t1 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < rows->size(); ++i) {
      const auto& r = (*rows)[i];
      events::Hash h = events::chain_hash(r.header_bytes, r.ciphertext);
      failures += h[0] != r.hash[0];
      unsigned long long mlen = 0;
      failures += crypto_aead_xchacha20poly1305_ietf_decrypt(
                      plain.data(), &mlen, nullptr, r.ciphertext.data(), r.ciphertext.size(),
                      r.header_bytes.data(), r.header_bytes.size(), headers[i].nonce.data(),
                      key_of[i]->data()) != 0;
    }
    base_s = std::min(base_s, seconds_since(t1));
  }
  if (failures != 0) return Status(ErrorCode::kIntegrity, "baseline failed to decrypt");

  ReplayFigures f;
  f.runs = kRuns;
  f.events = rep->events;
  f.streams = rep->streams;
  f.threads = threads;
  f.seconds = real_s;
  f.baseline_seconds = base_s;
  f.events_per_s = static_cast<double>(rep->events) / real_s;
  f.baseline_per_s = static_cast<double>(rows->size()) / base_s;
  return f;
}

int run_bench_replay(const BenchReplayOptions& o) {
  if (!std::filesystem::exists(db_path(o.data)))
    if (Status st = populate(o.data, o.events); !st) return report(st);
  auto d = open_data(o.data, true);
  if (!d) return report(d.status());
  auto f = measure_replay(*d, o.threads);
  if (!f) return report(f.status());
  const int kRuns = f->runs;
  const unsigned threads = f->threads;
  const double eps = f->events_per_s, bps = f->baseline_per_s;
  nlohmann::json j = {{"bench", "replay"},         {"runs", kRuns},
                      {"events", f->events},       {"streams", f->streams},
                      {"threads", threads},        {"baseline_threads", 1},
                      {"events_per_s", eps},       {"baseline_per_s", bps},
                      {"ratio", eps / bps},        {"seconds", f->seconds},
                      {"baseline_seconds", f->baseline_seconds}};
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "replay: " << static_cast<long>(eps)
              << " events/s (read, verify, decrypt, decode; " << threads << " threads); "
              << "baseline in-memory hash+decrypt: " << static_cast<long>(bps)
              << " events/s; ratio " << eps / bps << "\n";
  }
  return kExitOk;
}

}  // namespace rxp::cli
