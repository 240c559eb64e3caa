// rxportal serve --data DIR [--listen 127.0.0.1:8443] [--cert F --key F] [--threads N]
// [--rate-per-source R] [--bus local|nats --nats URL]: the HTTPS edge (api/) over the actor runtime, until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "actors/runtime.hpp"
#include "api/edge.hpp"
#include "api/http_server.hpp"
#include "api/tls.hpp"
#include "projections/catalog.hpp"
#include "projections/jetstream_common.hpp"
#include "projections/query_service.hpp"
#include "tools/background_jobs.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

struct ServeOptions {
  std::string data;
  std::string pg;  // PostgreSQL URL; empty: the SQLite store under data
  std::string listen = "127.0.0.1:8443";
  std::string cert, key;
  unsigned threads = 2;
  unsigned workers = 2;
  bool metrics_public = false;
  double rate_per_source = api::RateLimitOptions{}.per_second;
  double rate_per_account = api::EdgeOptions{}.account_rate.per_second;
  uint64_t checkpoint_events = BackgroundOptions{}.checkpoint_every_events;
  uint64_t checkpoint_seconds = 600;
  std::string bus = "local";  // local | nats (the JetStream feed, issue 7)
  std::string nats;
};

void print_how_to_log_in(const std::string& base, const std::string& cert) {
  std::cout << "rxportal serving " << base << "  (TLS 1.2/1.3; certificate " << cert << ")\n"
            << "To log in (a user must exist in this data directory):\n"
            << "  curl --cacert " << cert << " -c jar -b jar -H 'Content-Type: application/json' \\\n"
            << "       -d '{\"username\":\"NAME\",\"password\":\"PASSWORD\"}' " << base << "/v1/auth/login\n"
            << "  then, with the login_id it answers and your authenticator app's code:\n"
            << "  curl --cacert " << cert << " -c jar -b jar -H 'Content-Type: application/json' \\\n"
            << "       -d '{\"login_id\":\"LOGIN_ID\",\"code\":\"123456\"}' " << base << "/v1/auth/mfa/totp\n"
            << "  State changes then need the header X-CSRF-Token: <csrf_token from that answer>.\n"
            << "Stop with Ctrl-C (SIGINT) or SIGTERM.\n"
            << std::flush;
}

int run_serve(const ServeOptions& o) {
  if (o.cert.empty() != o.key.empty())
    return report(Status(ErrorCode::kInvalidArgument, "--cert and --key must be given together"));
  if (o.threads == 0 || o.threads > 64) return report(Status(ErrorCode::kInvalidArgument, "--threads must be 1..64"));
  if (!(o.rate_per_source >= 1 && o.rate_per_source <= 1e6))
    return report(Status(ErrorCode::kInvalidArgument, "--rate-per-source must be 1..1000000"));
  if (!(o.rate_per_account >= 1 && o.rate_per_account <= 1e6))
    return report(Status(ErrorCode::kInvalidArgument, "--rate-per-account must be 1..1000000"));
  if (o.bus != "local" && o.bus != "nats") return report(Status(ErrorCode::kInvalidArgument, "--bus must be local or nats"));
  if ((o.bus == "nats") != !o.nats.empty())
    return report(Status(ErrorCode::kInvalidArgument, "--nats URL goes with --bus nats, and only with it"));
  if (o.bus == "nats") {
    projections::FeedOptions fo;
    fo.url = o.nats;
    if (Status st = projections::check_feed_options(fo); !st) return report(st);  // never echoes the URL
  }
  std::string host;
  uint16_t port = 0;
  if (Status st = api::parse_listen(o.listen, host, port); !st) return report(st);

  // Every thread started from here on inherits the blocked signals; this one waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto data = open_data(o.data, false, o.pg);
  if (!data) return report(data.status());
  // The checkpointer signs with it; key files from before checkpoints get one here.
  if (Status st = data->keys->ensure_signing_key(); !st) return report(st);
  std::string cert = o.cert, key = o.key;
  if (cert.empty()) {
    auto made = api::make_self_signed(o.data + "/tls");
    if (!made) return report(made.status());
    cert = made->cert_path;
    key = made->key_path;
    if (made->created) std::cout << "created a self-signed certificate " << cert << " (key " << key << ", mode 0600)\n";
  }

  actors::RuntimeOptions ro;
  ro.worker_threads = o.workers;
  ro.identity.origin = "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                       (port == 443 ? "" : ":" + std::to_string(port));
  ro.identity.rp_id = host;
  actors::Runtime runtime(*data->log, SystemClock::instance(), ro);
  BackgroundOptions bo;
  bo.data_dir = o.data;
  bo.checkpoint_every_events = o.checkpoint_events;
  bo.checkpoint_every = std::chrono::seconds(o.checkpoint_seconds);
  bo.nats_url = o.nats;
  BackgroundJobs jobs(*data->log, runtime, SystemClock::instance(), bo);
  if (Status st = jobs.start(); !st) return report(st);
  projections::QueryService queries(projections::projections_db_path(o.data));
  api::EdgeOptions eo;
  eo.views.queries = &queries;
  eo.views.log = data->log.get();
  eo.views.catch_up = [&jobs] {  // read-your-writes: a break-glass shows up as an alert at once
    Status st = jobs.raiser().catch_up();
    return st.is_ok() ? jobs.runner()->catch_up() : st;
  };
  eo.webauthn_rp_id = ro.identity.rp_id;  // the options name the relying party the actors check
  eo.metrics_from_any_address = o.metrics_public;
  eo.account_rate.per_second = o.rate_per_account;
  eo.account_rate.burst = std::max(eo.account_rate.burst, 6 * o.rate_per_account);
  api::Edge edge(runtime, SystemClock::instance(), eo);
  api::ServerOptions so;
  so.metrics = edge.metrics();  // TLS failures and 429s are counted by the server
  // The projections' lag and the alert raiser's progress: names and counts, no ids.
  edge.metrics()->set_extra([&jobs] {
    std::string out =
        "# HELP rxportal_projection_lag_events Committed events a read model has not applied yet.\n"
        "# TYPE rxportal_projection_lag_events gauge\n";
    if (auto states = jobs.runner()->states())
      for (const auto& s : *states)
        out += "rxportal_projection_lag_events{projection=\"" + s.name + "\"} " + std::to_string(s.lag) + "\n";
    out += "# HELP rxportal_alerts_raised_total Alerts this process appended.\n"
           "# TYPE rxportal_alerts_raised_total counter\n"
           "rxportal_alerts_raised_total " + std::to_string(jobs.raiser().raised()) + "\n";
    out += "# HELP rxportal_dormant_roles_removed_total Elevated roles removed after 90 days unused.\n"
           "# TYPE rxportal_dormant_roles_removed_total counter\n"
           "rxportal_dormant_roles_removed_total " + std::to_string(jobs.roles_removed()) + "\n";
    return out;
  });
  so.host = host;
  so.port = port;
  so.cert_path = cert;
  so.key_path = key;
  so.io_threads = o.threads;
  so.rate.per_second = o.rate_per_source;
  so.rate.burst = 2 * o.rate_per_source;
  api::HttpServer server(so, [&edge](api::HttpRequest r, std::function<void(api::HttpResponse)> respond) {
    edge.handle(std::move(r), std::move(respond));
  });
  if (Status st = server.start(); !st) return report(st);
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  print_how_to_log_in("https://" + shown_host + ":" + std::to_string(server.port()), cert);

  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "rxportal: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n" << std::flush;
  server.stop();    // no new requests, threads joined
  edge.shutdown();  // nothing more reaches the runtime
  return kExitOk;   // the runtime stops (and the store closes) as the scope ends
}

}  // namespace

void add_serve(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  auto* sub = app.add_subcommand("serve", "Run the HTTPS API over the data directory until SIGINT/SIGTERM");
  sub->add_option("--data", o->data, "Data directory (from rxportal init)")->required();
  add_pg_option(*sub, o->pg);
  sub->add_option("--listen", o->listen, "Address and port, HOST:PORT (default 127.0.0.1:8443)");
  sub->add_option("--cert", o->cert, "PEM certificate chain (default: DIR/tls/server.crt, self-signed on first run)");
  sub->add_option("--key", o->key, "PEM private key for --cert (mode 0600)");
  sub->add_option("--threads", o->threads, "I/O threads (default 2)");
  sub->add_option("--workers", o->workers, "Actor scheduler threads (default 2)");
  sub->add_flag("--metrics-public", o->metrics_public,
                "Serve GET /metrics to every client (default: loopback clients only)");
  // For load tests from one address (scripts/bench-http.sh); the default is what production gets.
  sub->add_option("--rate-per-source", o->rate_per_source,
                  "Requests per second allowed from one address, burst twice that (default 50)");
  sub->add_option("--rate-per-account", o->rate_per_account,
                  "Requests per second allowed to one signed-in account, burst six times that (default 20)");
  sub->add_option("--checkpoint-every-events", o->checkpoint_events,
                  "Sign a Merkle checkpoint once this many events are new (default 10000; 0: by time only)");
  sub->add_option("--checkpoint-every-seconds", o->checkpoint_seconds,
                  "... and at least this often while anything is new (default 600)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{86400 * 7}));
  sub->add_option("--bus", o->bus, "Where the projections get committed events: local (the store) or nats");
  sub->add_option("--nats", o->nats, "With --bus nats: NATS server URL, nats://HOST:PORT (JetStream enabled)");
  sub->callback([o, &exit_code] { exit_code = run_serve(*o); });
}

}  // namespace rxp::cli
