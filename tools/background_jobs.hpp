// The work `rxportal serve` does besides answering requests: the projection runner (read
// models for the API), the alert raiser (anomaly detection, alerts as events) and the
// dormant-role sweep (elevated roles unused for 90 days removed by RevokeRole commands) and
// the checkpointer (a signed Merkle checkpoint of the log once checkpoint_every_events new
// events have committed, or checkpoint_every has passed with anything new; the key ring's
// signing key must exist before start: KeyRing::ensure_signing_key).
//
// Each runs on its own thread; none touches a CAF worker (the sweep's commands go through
// Runtime::call from the sweep thread). start() catches the read models up before it returns,
// so the API never serves a view that is far behind at start-up. With a NATS URL, the JetStream
// feed's publisher runs too and the runner's background thread reads from the feed's consumer
// (catch_up for read-your-writes still reads the store).
// Thread-safety: start/stop from one thread. The EventLog, Runtime and Clock must outlive it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "actors/runtime.hpp"
#include "projections/alert_raiser.hpp"
#include "projections/jetstream_consumer.hpp"
#include "projections/jetstream_publisher.hpp"
#include "projections/runner.hpp"

namespace rxp::cli {

struct BackgroundOptions {
  std::string data_dir;
  std::chrono::milliseconds sweep_every{std::chrono::hours(1)};
  uint64_t checkpoint_every_events = 10000;                          // N; 0: never by count
  std::chrono::milliseconds checkpoint_every{std::chrono::minutes(10)};  // T, by the clock
  std::chrono::milliseconds checkpoint_poll{std::chrono::seconds(1)};   // how often N and T are looked at
  std::string nats_url;  // non-empty: publish committed events to JetStream and feed the
                         // projection runner from its durable consumer (--bus nats)
};

class BackgroundJobs {
 public:
  BackgroundJobs(events::EventLog& log, actors::Runtime& runtime, const Clock& clock, BackgroundOptions options);
  ~BackgroundJobs();
  Status start();
  void stop();
  projections::ProjectionRunner* runner() { return runner_.get(); }
  projections::AlertRaiser& raiser() { return raiser_; }
  uint64_t roles_removed() const { return removed_.load(); }
  uint64_t checkpoints_written() const { return checkpoints_.load(); }

 private:
  void sweep_loop();
  void checkpoint_loop();
  events::EventLog& log_;
  actors::Runtime& runtime_;
  const Clock& clock_;
  BackgroundOptions options_;
  std::unique_ptr<projections::FeedPublisher> feed_publisher_;  // --bus nats only
  std::unique_ptr<projections::FeedConsumer> feed_consumer_;    // the runner's source then
  std::unique_ptr<projections::ProjectionRunner> runner_;
  projections::AlertRaiser raiser_;
  std::atomic<uint64_t> removed_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread sweeper_;
  std::atomic<uint64_t> checkpoints_{0};
  std::thread checkpointer_;
};

}  // namespace rxp::cli
