// rxportal bench feed --data NEWDIR [--nats URL] [--rate R] [--seconds S] [--json]:
// publish-to-consume latency of the JetStream feed at a steady append rate. A writer appends R
// events/s (a batch every 10 ms, each batch one durable commit); for every event, the latency
// is from its commit being acknowledged to the writer until the feed consumer hands it out
// verified against the store (commit -> publisher -> JetStream file store -> durable pull
// consumer -> hash compared with the store). Baseline in the same run: the local bus (an
// events::Subscription on the store, woken by the commit). Without --nats the bench starts
// its own nats-server -js on a free loopback port with its store under the data directory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "events/subscription.hpp"
#include "projections/jetstream_consumer.hpp"
#include "projections/jetstream_publisher.hpp"
#include "tools/bench.hpp"
#include "tools/cli_common.hpp"

namespace rxp::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchFeedOptions {
  std::string data;
  std::string nats;
  size_t rate = 1000;
  size_t seconds = 10;
  bool json = false;
};

// A nats-server for the bench's lifetime (SIGTERM and waited for on destruction).
class OwnNatsServer {
 public:
  ~OwnNatsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Result<std::string> start(const std::string& dir) {
    std::string bin;
    for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
      if (::access(p, X_OK) == 0) bin = p;
    if (bin.empty()) return Status(ErrorCode::kNotFound, "nats-server is not installed; give --nats URL");
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      if (fd >= 0) ::close(fd);
      return Status(ErrorCode::kIo, "no free loopback port");
    }
    ::close(fd);
    int port = ntohs(a.sin_port);
    std::filesystem::create_directories(dir);
    std::string port_s = std::to_string(port), log = dir + "/nats.log", store = dir + "/js";
    pid_ = ::fork();
    if (pid_ < 0) return Status(ErrorCode::kIo, "fork failed");
    if (pid_ == 0) {
      ::execl(bin.c_str(), "nats-server", "-a", "127.0.0.1", "-p", port_s.c_str(), "-l", log.c_str(), "-js", "-sd",
              store.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 400; ++i) {  // ready when it greets a client
      int c = ::socket(AF_INET, SOCK_STREAM, 0);
      a.sin_port = htons(static_cast<uint16_t>(port));
      char buf[4];
      bool ok = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::recv(c, buf, 4, 0) == 4;
      ::close(c);
      if (ok) return "nats://127.0.0.1:" + port_s;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return Status(ErrorCode::kIo, "nats-server did not start (see " + log + ")");
  }

 private:
  pid_t pid_ = -1;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

int run_bench_feed(const BenchFeedOptions& o) {
  if (std::filesystem::exists(db_path(o.data)))
    return report(Status(ErrorCode::kInvalidArgument, "--data " + o.data + " already holds a store; bench feed needs a new directory"));
  OwnNatsServer own;
  std::string url = o.nats;
  if (url.empty()) {
    auto started = own.start(o.data + "/nats-bench");
    if (!started) return report(started.status());
    url = *started;
  }
  if (Status st = ensure_initialised(o.data); !st) return report(st);
  auto d = open_data(o.data, false);
  if (!d) return report(d.status());

  projections::FeedOptions fo;
  fo.url = url;
  fo.stale_after = std::chrono::hours(1);  // measure the feed only: no store fallback
  if (Status st = projections::check_feed_options(fo); !st) return report(st);
  projections::FeedPublisher publisher(*d->store, fo);
  projections::FeedConsumer consumer(*d->store, fo);
  if (Status st = publisher.start(); !st) return report(st);
  if (Status st = consumer.start(); !st) return report(st);

  const size_t per_batch = std::max<size_t>(1, o.rate / 100);
  const size_t batches = std::max<size_t>(1, o.rate * o.seconds / per_batch);
  const size_t total = batches * per_batch;
  const uint64_t first = 1;  // a new store: this writer assigns positions 1..total
  std::vector<Clock::time_point> committed(total), via_feed(total), via_local(total);
  std::atomic<uint64_t> local_next{first};
  events::Subscription local(*d->store, first, [&](const std::vector<events::RawEvent>& page) {
    auto now = Clock::now();
    for (const auto& e : page)
      if (e.position - first < total) via_local[e.position - first] = now;
    local_next = page.back().position + 1;
    return Status::ok();
  }, std::chrono::milliseconds(100), 4096);

  std::atomic<bool> reading{true};
  std::atomic<uint64_t> feed_next{first};
  Status reader_status;
  std::thread reader([&] {  // what the projection runner does with the consumer
    uint64_t next = first;
    while (reading.load() && next < first + total) {
      (void)consumer.wait(next - 1, std::chrono::milliseconds(5));
      auto page = consumer.read(next, 4096);
      if (!page) {
        reader_status = page.status();
        return;
      }
      auto now = Clock::now();
      for (const auto& e : *page) via_feed[e.position - first] = now;
      next += page->size();
      feed_next = next;
    }
  });

  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(per_batch) / static_cast<double>(o.rate)));
  Status writer_status;
  auto t0 = Clock::now(), next_at = t0;
  for (size_t b = 0; b < batches && writer_status; ++b) {
    std::this_thread::sleep_until(next_at);
    next_at += interval;
    std::vector<events::AppendRequest> batch;
    for (size_t i = 0; i < per_batch; ++i) batch.push_back(bench_request(b * per_batch + i, 1000));
    auto results = d->log->append_batch(batch);
    auto now = Clock::now();
    for (auto& r : results) {
      if (!r) {
        writer_status = r.status();
        break;
      }
      for (uint64_t p = r->first_position; p <= r->last_position; ++p) committed[p - first] = now;
    }
  }
  double write_seconds = seconds_since(t0);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while ((feed_next.load() < first + total || local_next.load() < first + total) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  reading = false;
  reader.join();
  local.stop();
  consumer.stop();
  publisher.stop();
  if (!writer_status) return report(writer_status);
  if (!reader_status) return report(reader_status);
  if (feed_next.load() < first + total)
    return report(Status(ErrorCode::kInternal, "the feed did not deliver every event within 30 s after the writer stopped"));

  auto latencies = [&](const std::vector<Clock::time_point>& at) {
    std::vector<double> ms;
    for (size_t i = 0; i < total; ++i)
      if (at[i] != Clock::time_point{})
        ms.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(at[i] - committed[i]).count()));
    return ms;
  };
  auto feed_ms = latencies(via_feed), local_ms = latencies(via_local);
  nlohmann::json j = {{"bench", "feed"},
                      {"events", total},
                      {"rate_target", o.rate},
                      {"rate", static_cast<double>(total) / write_seconds},
                      {"seconds", write_seconds},
                      {"own_nats_server", o.nats.empty()},
                      {"feed_ms_p50", percentile(feed_ms, 0.50)},
                      {"feed_ms_p99", percentile(feed_ms, 0.99)},
                      {"feed_ms_max", percentile(feed_ms, 1.0)},
                      {"local_ms_p50", percentile(local_ms, 0.50)},
                      {"local_ms_p99", percentile(local_ms, 0.99)},
                      {"local_ms_max", percentile(local_ms, 1.0)},
                      {"published", publisher.published()},
                      {"consumer_store_reads", consumer.store_reads()},
                      {"consumer_rejected", consumer.rejected()}};
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "feed: " << total << " events at " << static_cast<long>(static_cast<double>(total) / write_seconds)
              << "/s; commit -> JetStream consumer p50 " << percentile(feed_ms, 0.5) << " ms, p99 "
              << percentile(feed_ms, 0.99) << " ms (local bus p50 " << percentile(local_ms, 0.5) << " ms, p99 "
              << percentile(local_ms, 0.99) << " ms)\n";
  }
  return kExitOk;
}

}  // namespace

void add_bench_feed(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.get_subcommand("bench");
  auto o = std::make_shared<BenchFeedOptions>();
  auto* feed = bench->add_subcommand("feed", "JetStream feed: commit-to-consumer latency at a steady rate vs the local bus");
  feed->add_option("--data", o->data, "Scratch data directory (created)")->required();
  feed->add_option("--nats", o->nats, "NATS server with JetStream (default: start a nats-server here)");
  feed->add_option("--rate", o->rate, "Events appended per second")->check(CLI::Range(1, 100000));
  feed->add_option("--seconds", o->seconds, "Duration of the appending")->check(CLI::Range(1, 3600));
  feed->add_flag("--json", o->json, "Print one JSON object");
  feed->callback([o, &exit_code] { exit_code = run_bench_feed(*o); });
}

}  // namespace rxp::cli
