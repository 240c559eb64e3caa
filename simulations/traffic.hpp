// Daily traffic of the synthetic hospital on the simulated clock, and the schedule that runs
// it with the scenario's injected actions.
//
// Normal traffic per day: clinicians work a shift (day, or 22:00-06:00 for the night shift)
// with a burst of record views of their panel every 4-16 minutes (the session's 15-minute
// idle timeout ends some sessions: the next burst logs in again), prescriptions and adverse
// event reports; pharmacists likewise (medications, dosing, adverse events); admins and
// auditors sign in (auditors read access logs); about 8% of patients with an account and of
// proxies sign in and read medications, some report adverse events. Logins are password +
// TOTP through the real identity actors; a few mistype their password first; a few patients
// come back on a new phone.
//
// Schedule: activities ordered by (time, insertion order), all on one thread. Before an
// activity runs, the clock is set to its time (never backwards), and every detection tick
// (5 simulated minutes) and projection tick (1 simulated hour) passed meanwhile runs first.
// Thread-safety: one thread.
#pragma once

#include <functional>
#include <queue>

#include "simulations/sim.hpp"

namespace rxp::sim {

class Schedule {
 public:
  void at(int64_t at_us, std::function<void()> run);
  // Runs every activity up to `until_us` (inclusive), with the ticks, then the ticks up to it.
  Status run_until(Sim& sim, int64_t until_us);
  size_t pending() const { return queue_.size(); }

  int64_t detect_every_us = 5 * kMinute;
  int64_t project_every_us = kHour;

 private:
  struct Item {
    int64_t at_us;
    uint64_t seq;
    std::function<void()> run;
    bool operator>(const Item& o) const { return at_us != o.at_us ? at_us > o.at_us : seq > o.seq; }
  };
  Status ticks_until(Sim& sim, int64_t t);
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue_;
  uint64_t seq_ = 0;
  int64_t next_detect_us_ = -1, next_project_us_ = -1;
};

// Adds one day of normal traffic starting at `day_start_us` (00:00 UTC).
void plan_day(Sim& sim, Schedule& schedule, int64_t day_start_us);

// A clinician's burst of views of their own panel (also what insiders do for cover).
void view_burst(Sim& sim, size_t staff, int views);

}  // namespace rxp::sim
