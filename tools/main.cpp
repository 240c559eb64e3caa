// rxportal: one binary, git-style subcommands (DESIGN.md, "The command line").
#include <CLI/CLI.hpp>
#include <iostream>

#include "infra/secure.hpp"
#include "tools/cli_common.hpp"

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
