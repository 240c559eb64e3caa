// rxportal verify --data DIR: exit 0 when every chain holds and every payload that is not
// shredded decrypts and decodes; exit 3 naming the first bad event otherwise.
#include <CLI/CLI.hpp>
#include <iostream>

#include "events/verify.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

int run_verify(const std::string& data, const std::string& pg) {
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
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

void add_verify(CLI::App& app, int& exit_code) {
  auto data = std::make_shared<std::string>();
  auto pg = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("verify", "Check every hash chain, ciphertext and payload");
  sub->add_option("--data", *data, "Data directory")->required();
  add_pg_option(*sub, *pg);
  sub->callback([data, pg, &exit_code] { exit_code = run_verify(*data, *pg); });
}

}  // namespace rxp::cli
