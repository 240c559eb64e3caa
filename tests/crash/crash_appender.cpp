// Child process of crash_test: appends batches to DATA_DIR's store in a loop until it is
// killed, and acknowledges every appended event on stdout only after append_batch returned.
//
// Usage: crash_appender DATA_DIR SEED
// Each acknowledged event is one line "position stream version tag\n"; `tag` is also inside
// the event's encrypted payload, so the parent can tell this event from any other. All lines
// of one batch go out in a single write(2) of less than PIPE_BUF bytes, which a pipe delivers
// whole or not at all. Exits 1 with a message on stderr on any error.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "events/event_log.hpp"
#include "events/keyring.hpp"
#include "events/sqlite_store.hpp"
#include "infra/clock.hpp"
#include "infra/secure.hpp"

namespace rxp::events {
namespace {

constexpr int kStreams = 20;
constexpr int kMaxRequests = 8;
constexpr int kMaxEventsPerRequest = 3;

[[noreturn]] void die(const std::string& what) {
  std::cerr << "crash_appender: " << what << "\n";
  std::exit(1);
}

// Writes all of `s` to stdout, unbuffered.
void write_all(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die(std::string("write to stdout failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

DomainEvent make_event(std::mt19937_64& rng, const std::string& tag) {
  if (rng() % 2 == 0) return RecordViewed{tag, "treatment"};
  MedicationAdded m;
  m.medication_id = tag;
  m.name = "crashamide";
  m.dose = "10 mg";
  m.route = "oral";
  m.frequency = "daily";
  m.start = "2025-12-04";
  return m;
}

int run(int argc, char** argv) {
  if (argc != 3) die("usage: crash_appender DATA_DIR SEED");
  const std::string dir = argv[1];
  const std::string seed_text = argv[2];
  char* end = nullptr;
  const uint64_t seed = std::strtoull(seed_text.c_str(), &end, 10);
  if (seed_text.empty() || *end != '\0') die("SEED must be a decimal number");
  if (!secure_init()) die("sodium_init failed");

  auto keys = KeyRing::open(dir + "/rxportal.key");
  if (!keys) die(keys.status().to_string());
  SqliteOptions o;
  o.path = dir + "/events.db";
  auto store = open_sqlite_store(o);
  if (!store) die(store.status().to_string());
  EventLog log(**store, *keys, SystemClock::instance());

  std::mt19937_64 rng(seed);
  const Principal principal{"usr-crash", "system", "ses-crash"};
  // Tags are unique across runs because the parent gives every run its own seed.
  const std::string tag_prefix = "t" + seed_text + "-";
  uint64_t counter = 0;
  for (;;) {
    std::vector<AppendRequest> batch(1 + rng() % kMaxRequests);
    std::vector<std::vector<std::string>> tags(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].stream_id = "record/crash-" + std::to_string(rng() % kStreams);
      batch[i].expected_version = kAnyVersion;
      const size_t n = 1 + rng() % kMaxEventsPerRequest;
      for (size_t j = 0; j < n; ++j) {
        tags[i].push_back(tag_prefix + std::to_string(++counter));
        batch[i].events.push_back(
            make_pending(make_event(rng, tags[i].back()), principal, "corr-" + seed_text));
      }
    }
    auto results = log.append_batch(batch);
    if (results.size() != batch.size()) die("append_batch returned the wrong number of results");
    std::string out;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!results[i]) die("append failed: " + results[i].status().to_string());
      const AppendResult& r = *results[i];
      const uint64_t n = batch[i].events.size();
      if (r.last_position - r.first_position + 1 != n || r.last_version < n)
        die("append result does not match the request");
      for (uint64_t j = 0; j < n; ++j) {
        out += std::to_string(r.first_position + j) + " " + batch[i].stream_id + " " +
               std::to_string(r.last_version - n + 1 + j) + " " + tags[i][j] + "\n";
      }
    }
    // append_batch returned, so the batch is durable: only now acknowledge it.
    write_all(out);
  }
}

}  // namespace
}  // namespace rxp::events

int main(int argc, char** argv) {
  return rxp::events::run(argc, argv);
}
