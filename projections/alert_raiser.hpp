// AlertRaiser: runs the anomaly detector (anomaly.hpp) over the committed log in global
// order and appends each alert it raises as AlertRaised, the first event of stream
// `alert/<alert id>`, with expected version 0.
//
// CONTRACT
// - Every committed event is judged once per process, in position order, from position 1:
//   the detector's per-user baselines live in memory and are rebuilt by this replay at
//   start, so no state outside the log is trusted. Alert ids are derived from positions, so
//   the replay raises the same alerts again; the store answers those appends kConflict and
//   they are counted as already raised (the alert exists exactly once).
// - The cursor advances past an event only after its alerts are durably appended; an append
//   error stops the step, the detector state is put back as it was before that event (by
//   replaying the log up to it: copying the state for every event would make a long replay
//   quadratic), and the event is judged again on the next step (its alerts already appended
//   then conflict).
// - AlertRaised carries the principal {system, role system}; its occurred_at is the time of
//   the triggering event, so a replayed log yields byte-equal alert payloads.
// Thread-safety: step()/catch_up() are serialized by a mutex; start() runs them on one
// background thread. The EventLog must outlive the raiser.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "events/event_log.hpp"
#include "projections/anomaly.hpp"

namespace rxp::projections {

// The event an alert becomes (pure).
events::AlertRaised alert_event(const Alert& alert);

class AlertRaiser {
 public:
  explicit AlertRaiser(events::EventLog& log, DetectorConfig config = {}, size_t page_size = 4096);
  ~AlertRaiser();  // stops the background thread
  AlertRaiser(const AlertRaiser&) = delete;
  AlertRaiser& operator=(const AlertRaiser&) = delete;

  // Judges at most one page of events. Returns how many were read.
  Result<size_t> step();
  // Steps until the head as of the call has been judged.
  Status catch_up();
  void start(std::chrono::milliseconds poll = std::chrono::milliseconds(100));
  void stop();
  Status background_status() const;

  uint64_t position() const { return position_.load(); }  // last judged position
  uint64_t raised() const { return raised_.load(); }      // appended by this process
  uint64_t already_raised() const { return already_.load(); }

 private:
  Result<size_t> step_locked();
  void restore_state_through(uint64_t position);
  events::EventLog& log_;
  DetectorConfig config_;
  size_t page_size_;
  std::mutex mu_;  // guards state_ and the steps
  DetectorState state_;
  std::atomic<uint64_t> position_{0}, raised_{0}, already_{0};
  mutable std::mutex status_mu_;
  Status status_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  std::thread thread_;
};

}  // namespace rxp::projections
