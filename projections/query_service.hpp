// QueryService: runs read-model queries (and other short blocking work, such as an auditor's
// append of AlertReviewed) on its own thread, for callers that must not block: the HTTP edge's
// I/O threads and the actor runtime's workers.
//
// CONTRACT
// - post(job) queues `job` and returns at once; jobs run one at a time, in order, on the
//   service's thread, with the service's read-only connection to the read-model database
//   (opened on first use; a job gets nullptr and the open error when it cannot be opened).
// - At most `max_queue` jobs wait; post() returns false beyond that (the caller answers 503).
// - The destructor runs the jobs already queued, then joins.
// Thread-safety: post() may be called from any thread. Jobs must not call post() and wait.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "projections/read_model.hpp"

namespace rxp::projections {

class QueryService {
 public:
  using Job = std::function<void(ReadModelDb* db, const Status& open_error)>;
  explicit QueryService(std::string db_path, size_t max_queue = 1024);
  ~QueryService();
  QueryService(const QueryService&) = delete;
  QueryService& operator=(const QueryService&) = delete;

  bool post(Job job);

 private:
  void run();
  std::string db_path_;
  size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::unique_ptr<ReadModelDb> db_;  // the service thread's only
  std::thread thread_;
};

}  // namespace rxp::projections
