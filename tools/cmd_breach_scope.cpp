// rxportal breach-scope --data DIR (--actor UID | --key KID | --session SID) --from T --to T
// [--discovered T] [--investigator UID] [--format json|text]: every patient a misused account, a stolen session or a
// leaked key exposed in the window, with the sections and fields, first and last access, state
// of residence, and the notices due (projections/breach_scope.hpp). The computation is a
// security decision: it is recorded as BreachScopeComputed in a new investigation/<id> stream
// before the answer is printed, so the command needs write access (the server stopped, like
// `rxportal keys`). The output holds patient ids and codes, never clinical values.
#include <CLI/CLI.hpp>
#include <iostream>

#include "projections/breach_scope.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct BreachOptions {
  std::string data;
  std::string actor, key, session;
  std::string from, to, discovered;
  std::string investigator = "operator";
  std::string format = "json";
};

Status parse_time(const std::string& value, const char* option, int64_t& out) {
  if (parse_rfc3339_us(value, out)) return Status::ok();
  return Status(ErrorCode::kInvalidArgument,
                std::string(option) + " must be an RFC 3339 UTC time like 2026-12-04T10:00:00Z");
}

int run_breach_scope(const BreachOptions& o) {
  projections::BreachQuery q;
  int given = 0;
  const char* option = "--actor";
  for (auto [value, by, name] : {std::tuple{&o.actor, projections::BreachQuery::By::kActor, "--actor"},
                                 std::tuple{&o.key, projections::BreachQuery::By::kKey, "--key"},
                                 std::tuple{&o.session, projections::BreachQuery::By::kSession, "--session"}}) {
    if (value->empty()) continue;
    ++given;
    q.by = by;
    q.id = *value;
    option = name;
  }
  if (given != 1)
    return report(Status(ErrorCode::kInvalidArgument, "exactly one of --actor, --key or --session is required"));
  if (!events::is_opaque_id(q.id, false))
    return report(Status(ErrorCode::kInvalidArgument,
                         std::string(option) + " must be an opaque id ([A-Za-z0-9._:-], at most 64 characters)"));
  if (Status st = parse_time(o.from, "--from", q.from_us); !st) return report(st);
  if (Status st = parse_time(o.to, "--to", q.to_us); !st) return report(st);
  if (q.from_us > q.to_us) return report(Status(ErrorCode::kInvalidArgument, "--from is after --to"));
  if (!events::is_opaque_id(o.investigator, false))
    return report(Status(ErrorCode::kInvalidArgument,
                         "--investigator must be an opaque id ([A-Za-z0-9._:-], at most 64 characters)"));
  q.discovered_us = SystemClock::instance().now_us();
  if (!o.discovered.empty())
    if (Status st = parse_time(o.discovered, "--discovered", q.discovered_us); !st) return report(st);

  auto d = open_data(o.data, /*read_only=*/false);
  if (!d && d.status().code() == ErrorCode::kBusy)
    return report(Status(ErrorCode::kBusy, d.status().message() +
                                               " (breach-scope records its result: stop the server first)"));
  if (!d) return report(d.status());
  auto scope = projections::compute_breach_scope(*d->log, q);
  if (!scope) {
    if (scope.status().code() == ErrorCode::kNotFound)
      return report(Status(ErrorCode::kNotFound, "--key: " + scope.status().message()));
    return report(scope.status());
  }
  auto stream = projections::record_breach_scope(*d->log, *scope, events::Principal{o.investigator, "auditor", ""});
  if (!stream) return report(stream.status());
  if (o.format == "text") {
    std::cout << projections::breach_scope_report(*scope) << "Recorded as " << *stream << "\n";
  } else {
    nlohmann::json j = projections::breach_scope_json(*scope);
    j["investigation"] = *stream;
    std::cout << j.dump() << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_breach_scope(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BreachOptions>();
  auto* sub = app.add_subcommand("breach-scope",
                                 "Patients, sections and fields a breach exposed, and the notices due");
  sub->add_option("--data", o->data, "Data directory")->required();
  sub->add_option("--actor", o->actor, "User id whose account was misused");
  sub->add_option("--key", o->key, "DEK or KEK id that leaked");
  sub->add_option("--session", o->session, "Session id whose token was stolen");
  sub->add_option("--from", o->from, "Start of the window (RFC 3339 UTC)")->required();
  sub->add_option("--to", o->to, "End of the window (RFC 3339 UTC)")->required();
  sub->add_option("--discovered", o->discovered, "When the breach was discovered (default: now)");
  sub->add_option("--investigator", o->investigator,
                  "User id recorded as the principal of the BreachScopeComputed event (default: operator)");
  sub->add_option("--format", o->format, "json (default) or text (a readable report)")
      ->check(CLI::IsMember({"json", "text"}));
  sub->callback([o, &exit_code] { exit_code = run_breach_scope(*o); });
}

}  // namespace rxp::cli
