// rxportal keys rotate-kek | rotate-dek STREAM | shred STREAM --data DIR
#include <CLI/CLI.hpp>
#include <iostream>

#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct KeysOptions {
  std::string data;
  std::string stream;
};

int run_rotate_kek(const KeysOptions& o) {
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());
  auto id = d->log->rotate_kek();
  if (!id) return report(id.status());
  std::cout << "KEK rotated: every DEK is now wrapped by " << *id
            << "; the previous KEK was destroyed\n";
  return kExitOk;
}

// STREAM is checked here so the message names the argument (EventLog would refuse it too).
Status check_stream(const KeysOptions& o) {
  if (events::is_valid_stream_id(o.stream)) return Status::ok();
  return Status(ErrorCode::kInvalidArgument, "STREAM '" + o.stream + "' must look like record/<id>");
}

int run_rotate_dek(const KeysOptions& o) {
  if (Status st = check_stream(o); !st) return report(st);
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());
  auto v = d->log->rotate_dek(o.stream);
  if (!v) return report(v.status());
  std::cout << "DEK of " << o.stream << " rotated: new events use key version " << *v << "\n";
  return kExitOk;
}

int run_shred(const KeysOptions& o) {
  if (Status st = check_stream(o); !st) return report(st);
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());
  if (Status st = d->log->shred(o.stream); !st) return report(st);
  std::cout << "stream " << o.stream << " shredded: its keys are destroyed, its chain remains\n";
  return kExitOk;
}

}  // namespace

void add_keys(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<KeysOptions>();
  auto* keys = app.add_subcommand("keys", "Key management");
  keys->require_subcommand(1);
  auto* kek = keys->add_subcommand("rotate-kek", "New KEK; rewrap every DEK; destroy the old KEK");
  kek->add_option("--data", o->data, "Data directory")->required();
  kek->callback([o, &exit_code] { exit_code = run_rotate_kek(*o); });
  auto* dek = keys->add_subcommand("rotate-dek", "New DEK version for one stream");
  dek->add_option("STREAM", o->stream, "Stream id, e.g. record/<patient id>")->required();
  dek->add_option("--data", o->data, "Data directory")->required();
  dek->callback([o, &exit_code] { exit_code = run_rotate_dek(*o); });
  auto* shred = keys->add_subcommand("shred", "Destroy a stream's DEKs (crypto-shredding)");
  shred->add_option("STREAM", o->stream, "Stream id, e.g. record/<patient id>")->required();
  shred->add_option("--data", o->data, "Data directory")->required();
  shred->callback([o, &exit_code] { exit_code = run_shred(*o); });
}

}  // namespace rxp::cli
