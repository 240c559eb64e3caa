// Time source. Everything that reads the time takes a Clock&, so drills and tests can run on
// simulated time. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace rxp {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_us() const = 0;  // UTC microseconds since the epoch
};

class SystemClock final : public Clock {
 public:
  int64_t now_us() const override;
  static SystemClock& instance();
};

// Moves only when told to.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(int64_t start_us) : now_(start_us) {}
  int64_t now_us() const override { return now_.load(); }
  void advance_us(int64_t d) { now_ += d; }
  void set_us(int64_t t) { now_ = t; }

 private:
  std::atomic<int64_t> now_;
};

// "2026-12-04T19:22:47.123456Z"
std::string format_rfc3339_us(int64_t us);
// Accepts "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (or +00:00); false on anything else.
bool parse_rfc3339_us(const std::string& s, int64_t& out);

}  // namespace rxp
