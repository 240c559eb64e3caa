// rxportal bench (append | record-read | replay | projections) --data DIR [--json]
#include <CLI/CLI.hpp>

#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

// "must be a whole number from 1 to N" for anything else (CLI11 names the option).
std::function<std::string(const std::string&)> whole_number(unsigned long max) {
  return [max](const std::string& value) -> std::string {
    std::string why = "must be a whole number from 1 to " + std::to_string(max);
    if (value.empty() || value.size() > 12 ||
        value.find_first_not_of("0123456789") != std::string::npos)
      return why;
    unsigned long v = std::stoul(value);
    return v >= 1 && v <= max ? std::string() : why;
  };
}

}  // namespace

void add_bench(CLI::App& app, int& exit_code) {
  auto* bench = app.add_subcommand("bench", "Benchmarks, each with a baseline measured in the same run");
  bench->require_subcommand(1);

  auto a = std::make_shared<BenchAppendOptions>();
  auto* append = bench->add_subcommand("append", "Durable encrypted appends vs plain SQLite inserts of the same bytes");
  append->add_option("--data", a->data, "Scratch data directory (created)")->required();
  append->add_option("--events", a->events, "Events to append")->check(whole_number(100000000));
  append->add_option("--batch", a->batch, "Events per durable transaction")->check(whole_number(100000));
  append->add_option("--streams", a->streams, "Distinct streams")->check(whole_number(10000000));
  append->add_flag("--json", a->json, "Print one JSON object");
  append->add_option("--pg", a->pg, "PostgreSQL URL of an empty database: bench the PostgreSQL store against "
                                    "raw inserts and a pgcrypto + audit-trigger table there");
  append->callback([a, &exit_code] { exit_code = run_bench_append(*a); });

  auto rr = std::make_shared<BenchRecordReadOptions>();
  auto* record_read = bench->add_subcommand("record-read", "Audited reads through the actor runtime vs plain batched inserts");
  record_read->add_option("--data", rr->data, "Scratch data directory (created)")->required();
  record_read->add_option("--records", rr->records, "Records the reads are spread over")->check(whole_number(10000000));
  record_read->add_option("--reads", rr->reads, "Audited reads")->check(whole_number(100000000));
  record_read->add_option("--callers", rr->callers, "Concurrent callers")->check(whole_number(4096));
  record_read->add_option("--activations", rr->activations, "Records activated for the p99")->check(whole_number(100000));
  record_read->add_option("--idle-records", rr->idle_records, "Idle record actors for the memory figure")->check(whole_number(10000000));
  record_read->add_flag("--json", rr->json, "Print one JSON object");
  record_read->callback([rr, &exit_code] { exit_code = run_bench_record_read(*rr); });

  auto r = std::make_shared<BenchReplayOptions>();
  auto* replay = bench->add_subcommand("replay", "Read+verify+decrypt+decode vs an in-memory decrypt+hash loop");
  replay->add_option("--data", r->data, "Data directory (populated if new)")->required();
  replay->add_option("--events", r->events, "Events to populate a new directory with")->check(whole_number(100000000));
  replay->add_option("--threads", r->threads, "Threads for hashing, decryption, decoding (default: one per core)")->check(whole_number(64));
  replay->add_flag("--json", r->json, "Print one JSON object");
  replay->callback([r, &exit_code] { exit_code = run_bench_replay(*r); });

  auto p = std::make_shared<BenchProjectionsOptions>();
  auto* proj = bench->add_subcommand("projections", "Disclosures rebuild vs replay of the same log; live lag at a sustained append rate");
  proj->add_option("--data", p->data, "Scratch data directory (created)")->required();
  proj->add_option("--events", p->events, "Events to populate the log with")->check(whole_number(100000000));
  proj->add_option("--rate", p->rate, "Live phase: events appended per second")->check(whole_number(1000000));
  proj->add_option("--seconds", p->seconds, "Live phase: duration")->check(whole_number(3600));
  proj->add_option("--threads", p->threads, "Threads of the replay comparison (default: one per core)")->check(whole_number(64));
  proj->add_flag("--json", p->json, "Print one JSON object");
  proj->callback([p, &exit_code] { exit_code = run_bench_projections(*p); });
}

}  // namespace rxp::cli
