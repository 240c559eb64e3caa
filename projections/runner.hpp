// ProjectionRunner: feeds committed events, in global position order, to a set of projections
// and keeps each one's checkpoint (table `checkpoints(name, position)`) in the read-model
// database, in the same transaction as the rows the events produced.
//
// Each step is one read-model transaction (BEGIN IMMEDIATE): it reads the checkpoints, reads
// the next page of the event log from the lowest one, checks that positions continue without a
// gap (checkpoint + 1, + 2, ...; a gap is kCorruption, never skipped), checks every event's
// envelope and hash, decrypts only events some projection wants, applies them, writes the new
// checkpoints and commits. Because checkpoints are read inside the write transaction, two
// runners (threads or processes) on one file never apply an event twice.
//
// catch_up() steps until every projection has reached the head as of the call. start() runs
// the same steps on a background thread, waking on commits of this process (and polling for
// other processes'); the first error stops it and is kept (background_status()).
// rebuild(name) drops the projection's tables and checkpoint in one transaction, recreates
// them and catches up from position 1. Until it has caught up, readers see a partial read
// model; the lag tells them how far behind it is.
//
// The background thread reads from options.source when one is given (the JetStream feed),
// from the store otherwise; catch_up(), step() and rebuild() always read the store, so a
// caller that needs its own writes reflected never waits on the feed.
//
// Metrics: lag(name) = head position - checkpoint, in events.
// Thread-safety: every method may be called from any thread; steps are serialized by a mutex.
// The EventLog (and its store and key ring) must outlive the runner, which owns its projections
// and its read-model connection.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "projections/event_source.hpp"
#include "projections/projection.hpp"

namespace rxp::projections {

struct RunnerOptions {
  std::string db_path;                          // DIR/projections.db
  size_t page_size = 8192;                      // at most this many events per transaction
  std::chrono::milliseconds poll{100};          // background: longest wait between head checks
  EventSource* source = nullptr;                // background source; null: the store. Not owned,
                                                // must outlive the runner's background thread
};

struct ProjectionState {
  std::string name;
  uint64_t checkpoint = 0;  // last applied position (0: none)
  uint64_t head = 0;        // the event store's head when asked
  uint64_t lag = 0;         // head - checkpoint
};

class ProjectionRunner {
 public:
  // Opens (creates) the read-model database and each projection's tables.
  static Result<std::unique_ptr<ProjectionRunner>> open(
      events::EventLog& log, std::vector<std::unique_ptr<Projection>> projections,
      RunnerOptions options);
  ~ProjectionRunner();  // stops the background thread
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  Status catch_up();
  // One step: at most one page, one transaction. Returns the number of events read.
  Result<size_t> step();

  void start();
  void stop();  // joins; safe to call twice
  bool running() const { return running_.load(); }
  Status background_status() const;

  Status rebuild(const std::string& name);  // kNotFound for an unknown name

  // Checkpoint as of this runner's last step (lock-free; for metrics).
  Result<uint64_t> checkpoint(const std::string& name) const;
  Result<uint64_t> lag(const std::string& name) const;
  Result<std::vector<ProjectionState>> states() const;

 private:
  struct Entry {
    std::unique_ptr<Projection> projection;
    std::atomic<uint64_t> checkpoint{0};
  };
  ProjectionRunner(events::EventLog& log, RunnerOptions options);
  Entry* find(const std::string& name) const;
  Result<size_t> step_locked(EventSource& source);
  void run();

  events::EventLog& log_;
  RunnerOptions options_;
  StoreSource store_source_;
  std::unique_ptr<ReadModelDb> db_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::mutex step_mu_;  // guards db_ and the steps
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  mutable std::mutex status_mu_;
  Status background_status_;
  std::thread thread_;
};

}  // namespace rxp::projections
