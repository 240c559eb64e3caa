// rxportal siem --data DIR --format ocsf|cef [--out FILE|-] [--nats URL] [--subject S]
//               [--from T] [--to T] [--after-position N]
// The SIEM export (issue 5): every security-relevant event (account changes, authentication,
// session authorisation, record access and changes, denials, break-glass, alerts) after a global
// position and inside a time window, in global order, as OCSF 1.1 JSON lines or CEF:0 lines,
// redacted to opaque ids and codes (projections/siem.hpp). Events are read straight from the
// log, each hash-checked and authenticated. Output: --out (a file, mode 0600, or - for
// stdout) and/or --nats (one message per event on --subject, default rxportal.siem, flushed
// before exit); stdout when neither is given. Publishing happens on this thread.
#include <CLI/CLI.hpp>
#include <charconv>
#include <limits>

#include "projections/siem.hpp"
#include "projections/siem_export.hpp"
#include "projections/siem_sink.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct SiemOptions {
  std::string data;
  std::string format;
  std::string out;
  std::string nats;
  std::string subject = "rxportal.siem";
  std::string from;
  std::string to;
  std::string after_position;
};

Status parse_time(const std::string& value, const char* option, int64_t& out) {
  if (value.empty() || parse_rfc3339_us(value, out)) return Status::ok();
  return Status(ErrorCode::kInvalidArgument,
                std::string(option) + " must be an RFC 3339 UTC time like 2026-12-04T10:00:00Z");
}

Status usage(const char* message) { return Status(ErrorCode::kInvalidArgument, message); }

int run_siem(const SiemOptions& o) {
  projections::SiemQuery q;
  if (!o.after_position.empty()) {
    const char* b = o.after_position.data();
    const char* e = b + o.after_position.size();
    auto [end, ec] = std::from_chars(b, e, q.after_position);
    if (ec != std::errc() || end != e)
      return report(usage("--after-position must be a global position (an integer, 0 or more)"));
  }
  if (Status st = parse_time(o.from, "--from", q.from_us); !st) return report(st);
  if (Status st = parse_time(o.to, "--to", q.to_us); !st) return report(st);
  if (q.from_us > q.to_us) return report(usage("--from is after --to"));
  if (!o.nats.empty() && !projections::is_valid_nats_url(o.nats))
    return report(usage("--nats must be a URL like nats://127.0.0.1:4222"));
  if (!projections::is_valid_nats_subject(o.subject))
    return report(usage("--subject must be dot-separated tokens of [A-Za-z0-9_-], no wildcards"));
  if (o.nats.empty() && o.subject != "rxportal.siem")
    return report(usage("--subject needs --nats"));

  // The log first: a bad data directory fails before any output file is truncated.
  auto d = open_data(o.data, /*read_only=*/true);
  if (!d) return report(d.status());

  std::vector<std::unique_ptr<projections::SiemSink>> sinks;
  if (!o.out.empty() || o.nats.empty()) {
    auto f = projections::open_file_sink(o.out.empty() ? "-" : o.out);
    if (!f) return report(f.status());
    sinks.push_back(std::move(f.value()));
  }
  bool nats = !o.nats.empty();
  if (nats) {
    projections::NatsSinkOptions no;
    no.url = o.nats;
    no.subject = o.subject;
    auto n = projections::open_nats_sink(no);
    if (!n) {
      projections::close_nats_library();
      return report(n.status());
    }
    sinks.push_back(std::move(n.value()));
  }

  const bool ocsf = o.format == "ocsf";
  auto emit = [&](const events::RecordedEvent& e) -> Status {
    auto r = projections::siem_record(e);
    if (!r) return Status::ok();
    std::string line = ocsf ? projections::to_ocsf(*r).dump() : projections::to_cef(*r);
    for (auto& s : sinks)
      if (Status st = s->write(line); !st) return st;
    return Status::ok();
  };
  auto exported = projections::export_siem_events(*d->log, q, emit);
  Status st = exported.is_ok() ? Status::ok() : exported.status();
  for (auto& s : sinks) {
    Status fin = s->finish();
    if (st.is_ok()) st = fin;
  }
  sinks.clear();
  if (nats) projections::close_nats_library();
  return report(st);
}

}  // namespace

void add_siem(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SiemOptions>();
  auto* sub = app.add_subcommand(
      "siem", "SIEM export of security events (OCSF 1.1 JSON or CEF lines; file, stdout, NATS)");
  sub->add_option("--data", o->data, "Data directory")->required();
  sub->add_option("--format", o->format, "ocsf (JSON lines) or cef (CEF:0 lines)")
      ->required()
      ->check(CLI::IsMember({"ocsf", "cef"}));
  sub->add_option("--out", o->out, "Output file (mode 0600), or - for stdout (default without --nats)");
  sub->add_option("--nats", o->nats, "NATS server URL, e.g. nats://127.0.0.1:4222");
  sub->add_option("--subject", o->subject, "NATS subject (default rxportal.siem)");
  sub->add_option("--from", o->from, "Only events at or after this RFC 3339 time");
  sub->add_option("--to", o->to, "Only events at or before this RFC 3339 time");
  sub->add_option("--after-position", o->after_position,
                  "Only events after this global position (resume where a consumer stopped)");
  sub->callback([o, &exit_code] { exit_code = run_siem(*o); });
}

}  // namespace rxp::cli
