#include "events/verify.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace rxp::events {
namespace {

constexpr size_t kPage = 4096;

// Reads pages of the log ahead on its own thread, so that SQLite reads overlap with hashing,
// decryption and decoding on the caller's thread. At most two pages wait in memory.
class PagePrefetcher {
 public:
  PagePrefetcher(EventStore& store, uint64_t from) : store_(store), next_(from) {
    thread_ = std::thread([this] { run(); });
  }
  ~PagePrefetcher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // The next page; an empty page marks the end.
  Result<std::vector<RawEvent>> next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !pages_.empty(); });
    auto page = std::move(pages_.front());
    pages_.pop_front();
    cv_.notify_all();
    return page;
  }

 private:
  void run() {
    for (;;) {
      auto page = store_.read_all(next_, kPage);
      bool last = !page || page->size() < kPage;
      if (page && !page->empty()) next_ = page->back().position + 1;
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || pages_.size() < 2; });
      if (stop_) return;
      bool empty_last = page && page->empty();
      pages_.push_back(std::move(page));
      if (last && !empty_last) pages_.push_back(std::vector<RawEvent>{});
      cv_.notify_all();
      if (last) return;
    }
  }

  EventStore& store_;
  uint64_t next_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result<std::vector<RawEvent>>> pages_;
  bool stop_ = false;
  std::thread thread_;
};

// What can be checked of one event without looking at the others.
struct EventCheck {
  Status status;        // first failure among: header parse, columns, hash, payload
  bool parsed = false;  // the header decoded
  EventHeader header;
  Hash computed{};
  bool shredded = false;
};

void check_events(EventLog& log, const std::vector<RawEvent>& page, size_t begin, size_t end,
                  std::vector<EventCheck>& out) {
  for (size_t i = begin; i < end; ++i) {
    const RawEvent& raw = page[i];
    EventCheck& c = out[i];
    auto header = decode_header(raw.header_bytes);
    if (!header) {
      c.status = header.status();
      continue;
    }
    c.header = std::move(header.value());
    c.parsed = true;
    c.computed = chain_hash(raw.header_bytes, raw.ciphertext);
    if (c.header.position != raw.position || c.header.stream_id != raw.stream_id ||
        c.header.version != raw.version) {
      c.status = Status(ErrorCode::kIntegrity, "stored columns disagree with the header");
      continue;
    }
    if (raw.hash.size() != c.computed.size() ||
        !std::equal(c.computed.begin(), c.computed.end(), raw.hash.begin())) {
      c.status = Status(ErrorCode::kIntegrity, "event hash does not match");
      continue;
    }
    auto payload = log.open_payload(raw, c.header);
    if (!payload)
      c.status = payload.status();
    else
      c.shredded = !payload->has_value();
  }
}

// Runs check_events over a page split into `threads` slices.
void check_page(EventLog& log, const std::vector<RawEvent>& page, unsigned threads,
                std::vector<EventCheck>& out) {
  out.assign(page.size(), EventCheck{});
  size_t slice = (page.size() + threads - 1) / threads;
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads && t * slice < page.size(); ++t)
    workers.emplace_back(check_events, std::ref(log), std::cref(page), t * slice,
                         std::min(page.size(), (t + 1) * slice), std::ref(out));
  check_events(log, page, 0, std::min(page.size(), slice), out);
  for (auto& w : workers) w.join();
}

}  // namespace

Result<VerifyReport> verify_log(EventLog& log, const VerifyOptions& options) {
  VerifyReport report;
  Status physical = options.physical_check ? log.store().check_physical() : Status::ok();
  if (Status st = physical; !st) {
    report.failure = VerifyFailure{0, "", 0, st.message()};
    return report;
  }
  struct Head {
    uint64_t version = 0;
    Hash hash{};
  };
  std::unordered_map<std::string, Head> heads;
  uint64_t expected_position = 1;
  PagePrefetcher pages(log.store(), 1);
  unsigned threads = options.threads != 0 ? options.threads
                                          : std::max(1u, std::thread::hardware_concurrency());
  std::vector<EventCheck> checks;
  for (;;) {
    auto page = pages.next();
    if (!page) {
      if (page.status().code() == ErrorCode::kCorruption) {
        report.failure = VerifyFailure{expected_position, "", 0, page.status().message()};
        return report;
      }
      return page.status();
    }
    check_page(log, *page, threads, checks);
    for (size_t i = 0; i < page->size(); ++i) {
      const RawEvent& raw = (*page)[i];
      const EventCheck& c = checks[i];
      auto fail = [&](std::string reason) {
        report.failure = VerifyFailure{raw.position, raw.stream_id, raw.version, std::move(reason)};
        return report;
      };
      if (raw.position != expected_position) {
        report.failure = VerifyFailure{expected_position, "", 0,
                                       "position " + std::to_string(expected_position) +
                                           " is missing (next stored: " +
                                           std::to_string(raw.position) + ")"};
        return report;
      }
      ++expected_position;
      // Report in the order a reader would meet the problems: the header, the chain, then the
      // event's own hash and payload.
      if (!c.parsed) return fail(c.status.message());
      Head& head = heads[raw.stream_id];
      if (c.header.version != head.version + 1)
        return fail("stream version " + std::to_string(c.header.version) + " follows " +
                    std::to_string(head.version));
      if (c.header.prev_hash != head.hash) return fail("previous hash does not match");
      if (!c.status) return fail(c.status.message());
      if (c.shredded) ++report.shredded_events;
      head.version = c.header.version;
      head.hash = c.computed;
      ++report.events;
    }
    if (page->empty()) break;
  }
  report.streams = heads.size();
  return report;
}

}  // namespace rxp::events
