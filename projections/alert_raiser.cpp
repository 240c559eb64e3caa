#include "projections/alert_raiser.hpp"

#include "projections/alerts.hpp"

namespace rxp::projections {

events::AlertRaised alert_event(const Alert& a) {
  return events::AlertRaised{a.rule, a.severity, a.explanation, a.user_id, a.patient_id, a.evidence, a.score};
}

AlertRaiser::AlertRaiser(events::EventLog& log, DetectorConfig config, size_t page_size)
    : log_(log), config_(config), page_size_(page_size == 0 ? 1 : page_size) {}

AlertRaiser::~AlertRaiser() { stop(); }

Result<size_t> AlertRaiser::step() {
  std::lock_guard lock(mu_);
  return step_locked();
}

Result<size_t> AlertRaiser::step_locked() {
  auto page = log_.read_all(position_.load() + 1, page_size_);
  if (!page) return page.status();
  for (const auto& e : *page) {
    if (e.header.position != position_.load() + 1)
      return Status(ErrorCode::kCorruption, "alert raiser: gap in positions after " + std::to_string(position_.load()));
    // No copy of the state per event (quadratic over a long log): the rare failed append
    // rebuilds the state instead (restore_state_through).
    for (const Alert& alert : detect(state_, e, config_)) {
      events::AppendRequest req;
      req.stream_id = std::string(kAlertStreamPrefix) + alert.alert_id;
      req.expected_version = 0;
      auto pending = events::make_pending(alert_event(alert), {"system", "system", ""}, e.header.correlation_id,
                                          "pos-" + std::to_string(e.header.position));
      pending.occurred_at_us = e.header.occurred_at_us;
      req.events.push_back(std::move(pending));
      auto r = log_.append(req);
      if (r) {
        ++raised_;
      } else if (r.status().code() == ErrorCode::kConflict) {
        ++already_;
      } else {
        restore_state_through(position_.load());  // judge this event again next time
        return r.status();
      }
    }
    position_ = e.header.position;
  }
  return page->size();
}

// The detector state as it was after judging `through`: replayed from position 1 (detect is
// deterministic). If the log cannot be read now, the next step starts again from position 1;
// alerts raised before then conflict and are counted as already raised.
void AlertRaiser::restore_state_through(uint64_t through) {
  state_ = DetectorState{};
  for (uint64_t from = 1; from <= through;) {
    auto page = log_.read_all(from, page_size_);
    if (!page || page->empty()) {
      state_ = DetectorState{};
      position_ = 0;
      return;
    }
    for (const auto& e : *page) {
      if (e.header.position > through) return;
      (void)detect(state_, e, config_);
      from = e.header.position + 1;
    }
  }
}

Status AlertRaiser::catch_up() {
  for (;;) {
    auto n = step();
    if (!n) return n.status();
    if (*n < page_size_) return Status::ok();
  }
}

void AlertRaiser::start(std::chrono::milliseconds poll) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(wake_mu_);
    stop_requested_ = false;
  }
  thread_ = std::thread([this, poll] {
    for (;;) {
      auto n = step();
      if (!n) {
        std::lock_guard lock(status_mu_);
        status_ = n.status();
        return;
      }
      if (*n == page_size_) continue;
      std::unique_lock lock(wake_mu_);
      if (wake_.wait_for(lock, poll, [this] { return stop_requested_; })) return;
    }
  });
}

void AlertRaiser::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status AlertRaiser::background_status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

}  // namespace rxp::projections
