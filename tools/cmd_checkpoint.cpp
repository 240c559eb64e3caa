// rxportal checkpoint create | export --out FILE | prove --position P [--tree-size N] --data DIR
//
// create: signs the Merkle root of the whole log and appends it to checkpoint/log (adds the
// signing key to a key file from before checkpoints). export: writes the latest signed
// checkpoint with its public key for an outside witness (`verify --witness FILE` later proves
// the log still extends it). prove: an RFC 9162 inclusion proof of one event, as JSON.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "events/checkpoint.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct CheckpointOptions {
  std::string data;
  std::string out;
  uint64_t position = 0;
  uint64_t tree_size = 0;
};

std::string hex32(const events::MerkleHash& h) { return to_hex(BytesView(h.data(), h.size())); }

int run_create(const CheckpointOptions& o) {
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());
  if (Status st = d->keys->ensure_signing_key(); !st) return report(st);
  auto c = events::create_checkpoint(*d->log, *d->keys, SystemClock::instance());
  if (!c) return report(c.status());
  std::cout << "checkpoint: positions 1.." << c->tree_size << " root " << hex32(c->root)
            << " signed by " << c->key_id << "\n";
  return kExitOk;
}

// Written whole to a temporary file and renamed, so a witness never reads half a file.
Status write_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f || !(f << text) || !f.flush())
      return Status(ErrorCode::kIo, "--out " + path + ": cannot be written");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, "--out " + path + ": cannot be written");
  }
  return Status::ok();
}

int run_export(const CheckpointOptions& o) {
  auto d = open_data(o.data, true);
  if (!d) return report(d.status());
  auto w = events::export_checkpoint(*d->log, *d->keys);
  if (!w) return report(w.status());
  if (Status st = write_file(o.out, events::witness_to_json(*w)); !st) return report(st);
  std::cout << "exported checkpoint of positions 1.." << w->checkpoint.tree_size << " to "
            << o.out << "\n";
  return kExitOk;
}

int run_prove(const CheckpointOptions& o) {
  auto d = open_data(o.data, true);
  if (!d) return report(d.status());
  auto p = events::prove_inclusion(*d->log, o.position, o.tree_size);
  if (!p) return report(p.status());
  std::cout << events::inclusion_proof_to_json(*p);
  return kExitOk;
}

}  // namespace

void add_checkpoint(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CheckpointOptions>();
  auto* cp = app.add_subcommand("checkpoint", "Signed Merkle checkpoints of the log");
  cp->require_subcommand(1);
  auto* create = cp->add_subcommand("create", "Sign the Merkle root of the whole log and store it");
  create->add_option("--data", o->data, "Data directory")->required();
  create->callback([o, &exit_code] { exit_code = run_create(*o); });
  auto* exp = cp->add_subcommand("export", "Write the latest signed checkpoint for an outside witness");
  exp->add_option("--data", o->data, "Data directory")->required();
  exp->add_option("--out", o->out, "Witness file to write")->required();
  exp->callback([o, &exit_code] { exit_code = run_export(*o); });
  auto* prove = cp->add_subcommand("prove", "Inclusion proof of one event (JSON)");
  prove->add_option("--data", o->data, "Data directory")->required();
  prove->add_option("--position", o->position, "Global position of the event")->required();
  prove->add_option("--tree-size", o->tree_size, "Tree of the first N events (default: whole log)");
  prove->callback([o, &exit_code] { exit_code = run_prove(*o); });
}

}  // namespace rxp::cli
