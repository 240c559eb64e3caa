// rxportal verify --data DIR [--witness FILE]: exit 0 when every chain holds, every payload
// that is not shredded decrypts and decodes, and every signed checkpoint's signature and
// Merkle root hold; exit 3 naming the first bad event otherwise. With --witness (a file from
// `checkpoint export`), also proves the current log extends the witnessed checkpoint.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "events/checkpoint.hpp"

#include "events/verify.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

Result<events::WitnessCheckpoint> read_witness(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(ErrorCode::kInvalidArgument, "--witness " + path + ": cannot be read");
  std::ostringstream text;
  text << f.rdbuf();
  if (text.str().size() > 64 * 1024)
    return Status(ErrorCode::kInvalidArgument, "--witness " + path + ": too large");
  auto w = events::witness_from_json(text.str());
  if (!w) return Status(ErrorCode::kInvalidArgument, "--witness " + path + ": " + w.status().message());
  return w;
}

int run_verify(const std::string& data, const std::string& pg, const std::string& witness_path) {
  std::optional<events::WitnessCheckpoint> witness;
  if (!witness_path.empty()) {
    auto w = read_witness(witness_path);
    if (!w) return report(w.status());
    witness = *w;
  }
  auto d = open_data(data, /*read_only=*/true, pg);
  if (!d) return report(d.status());
  auto r = events::verify_log(*d->log);
  if (!r) return report(r.status());
  if (!r->ok()) {
    const auto& f = *r->failure;
    std::cerr << "rxportal: integrity failure at position " << f.position;
    if (!f.stream_id.empty()) std::cerr << " (stream " << f.stream_id << " version " << f.version << ")";
    std::cerr << ": " << f.reason << "\n";
    return kExitIntegrity;
  }
  std::cout << "ok: " << r->events << " events in " << r->streams << " streams verified";
  if (r->shredded_events > 0) std::cout << " (" << r->shredded_events << " in shredded streams, chain only)";
  if (r->checkpoints > 0)
    std::cout << "; " << r->checkpoints << " signed checkpoints hold (up to position "
              << r->checkpointed_size << ")";
  std::cout << "\n";
  if (witness) {
    auto w = events::check_witness(*d->log, *witness);
    if (!w) return report(w.status());
    if (!w->ok()) {
      std::cerr << "rxportal: integrity failure against the witness checkpoint: " << *w->failure << "\n";
      return kExitIntegrity;
    }
    std::cout << "ok: the log (" << w->current_size << " events) extends the witnessed checkpoint of "
              << w->witness_size << " events (consistency proof of " << w->proof.size()
              << " hashes verified)\n";
  }
  return kExitOk;
}

}  // namespace

void add_verify(CLI::App& app, int& exit_code) {
  auto data = std::make_shared<std::string>();
  auto witness = std::make_shared<std::string>();
  auto pg = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("verify", "Check every hash chain, ciphertext, payload and checkpoint");
  sub->add_option("--data", *data, "Data directory")->required();
  add_pg_option(*sub, *pg);
  sub->add_option("--witness", *witness, "Checkpoint file from `checkpoint export` the log must extend");
  sub->callback([data, pg, witness, &exit_code] { exit_code = run_verify(*data, *pg, *witness); });
}

}  // namespace rxp::cli
