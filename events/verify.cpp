#include "events/verify.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <map>
#include <set>
#include <unordered_map>

#include "events/checkpoint.hpp"

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
  MerkleHash leaf{};
  bool shredded = false;
  std::optional<LogCheckpointed> checkpoint;  // when the event is one
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
    c.leaf = event_leaf_hash(raw.position, c.computed);
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
    if (!payload) {
      c.status = payload.status();
    } else {
      c.shredded = !payload->has_value();
      if (!c.shredded)
        if (auto* cp = std::get_if<LogCheckpointed>(&**payload)) c.checkpoint = std::move(*cp);
    }
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

// The tree sizes the log's checkpoints claim, read ahead of the walk so the walk can keep the
// root at each of them. Events that do not open are skipped here: the walk reports them.
std::set<uint64_t> checkpoint_sizes(EventLog& log) {
  std::set<uint64_t> sizes{0};
  auto raws = log.store().read_stream(kCheckpointStream, 1, std::numeric_limits<size_t>::max());
  if (!raws) return sizes;
  for (const RawEvent& raw : *raws) {
    auto e = log.open(raw);
    if (!e || !e->payload) continue;
    if (auto* cp = std::get_if<LogCheckpointed>(&*e->payload)) sizes.insert(cp->tree_size);
  }
  return sizes;
}

struct SeenCheckpoint {
  uint64_t position = 0;
  uint64_t version = 0;
  LogCheckpointed event;
};

// Checks the signature and root of each checkpoint met so far; the first failure, if any.
// `roots` holds the recomputed root at every claimed size the walk has passed.
std::optional<VerifyFailure> check_checkpoints(const KeyRing& keys,
                                               const std::vector<SeenCheckpoint>& seen,
                                               const std::map<uint64_t, MerkleHash>& roots,
                                               uint64_t head_at_start, VerifyReport& report) {
  uint64_t last_good = 0;
  for (const SeenCheckpoint& s : seen) {
    auto fail = [&](std::string reason) {
      return VerifyFailure{s.position, kCheckpointStream, s.version, std::move(reason)};
    };
    auto c = from_event(s.event);
    if (!c) return fail(c.status().message());
    std::string what = "checkpoint of positions 1.." + std::to_string(c->tree_size);
    if (c->tree_size >= s.position) return fail(what + " does not precede it");
    auto pk = keys.signing_public_key(c->key_id);
    if (!pk) return fail(what + " is signed by " + c->key_id + ", which the key ring does not hold");
    if (!checkpoint_signature_valid(*c, *pk)) return fail(what + ": signature does not verify");
    auto root = roots.find(c->tree_size);
    if (root == roots.end()) {
      // Appended after the walk's size list was read: checked by the next verify.
      if (s.position > head_at_start) continue;
      return fail(what + ": root was not recomputed");
    }
    if (root->second != c->root) {
      // Earlier checkpoints that held narrow down where the log and this one part ways.
      if (last_good >= c->tree_size)
        return fail(what + ": Merkle root does not match the log, which a larger checkpoint covers intact");
      return fail(what + ": Merkle root does not match the log (the difference lies within positions " +
                  std::to_string(last_good + 1) + ".." + std::to_string(c->tree_size) + ")");
    }
    last_good = std::max(last_good, c->tree_size);
    ++report.checkpoints;
    report.checkpointed_size = std::max(report.checkpointed_size, c->tree_size);
  }
  return std::nullopt;
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
  auto head_at_start = log.store().head_position();
  if (!head_at_start) return head_at_start.status();
  const std::set<uint64_t> sizes = checkpoint_sizes(log);
  std::map<uint64_t, MerkleHash> roots;
  MerkleBuilder tree;
  roots[0] = tree.root();
  std::vector<SeenCheckpoint> seen;
  // A chain failure is reported unless a checkpoint met before it already failed.
  auto first_failure = [&](VerifyFailure chain_failure) {
    if (auto f = check_checkpoints(log.keys(), seen, roots, *head_at_start, report))
      report.failure = std::move(*f);
    else
      report.failure = std::move(chain_failure);
    return report;
  };
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
        return first_failure(VerifyFailure{raw.position, raw.stream_id, raw.version, std::move(reason)});
      };
      if (raw.position != expected_position)
        return first_failure(VerifyFailure{expected_position, "", 0,
                                           "position " + std::to_string(expected_position) +
                                               " is missing (next stored: " +
                                               std::to_string(raw.position) + ")"});
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
      tree.add(c.leaf);
      if (sizes.count(tree.size()) != 0) roots[tree.size()] = tree.root();
      if (c.checkpoint) seen.push_back(SeenCheckpoint{raw.position, raw.version, *c.checkpoint});
    }
    if (page->empty()) break;
  }
  report.streams = heads.size();
  if (auto f = check_checkpoints(log.keys(), seen, roots, *head_at_start, report))
    report.failure = std::move(*f);
  return report;
}

}  // namespace rxp::events
