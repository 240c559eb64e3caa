// rxportal: one binary, git-style subcommands (DESIGN.md, "The command line").
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "infra/secure.hpp"
#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace {

// CLI11 2.1 reports "A subcommand is required" before it reports an unknown word, so an
// unknown subcommand is found here first and named in the message.
const char* unknown_subcommand(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    auto subs = current->get_subcommands({});
    if (word.empty() || word[0] == '-' || subs.empty()) return nullptr;
    auto it = std::find_if(subs.begin(), subs.end(), [&](CLI::App* s) { return s->get_name() == word; });
    if (it == subs.end()) return argv[i];
    current = *it;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (!rxp::secure_init()) {
    std::cerr << "rxportal: libsodium failed to initialise\n";
    return rxp::cli::kExitFailure;
  }
  CLI::App app{"rxportal: secure backend for clinical pharmacology patient portals"};
  app.require_subcommand(1);
  int exit_code = rxp::cli::kExitOk;
  rxp::cli::add_init(app, exit_code);
  rxp::cli::add_verify(app, exit_code);
  rxp::cli::add_replay(app, exit_code);
  rxp::cli::add_keys(app, exit_code);
  rxp::cli::add_bench(app, exit_code);
  rxp::cli::add_projections(app, exit_code);
  rxp::cli::add_audit(app, exit_code);
  rxp::cli::add_serve(app, exit_code);
  rxp::cli::add_siem(app, exit_code);
  rxp::cli::add_breach_scope(app, exit_code);
  rxp::cli::add_checkpoint(app, exit_code);
  rxp::cli::add_bench_feed(app, exit_code);  // under "bench": after add_bench
  rxp::cli::add_drill(app, exit_code);
  if (const char* word = unknown_subcommand(app, argc, argv)) {
    std::cerr << "rxportal: usage: unknown subcommand '" << word << "' (see --help)\n";
    return rxp::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "rxportal: usage: " << e.what() << " (see --help)\n";
    return rxp::cli::kExitUsage;
  }
  return exit_code;
}
