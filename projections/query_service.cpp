#include "projections/query_service.hpp"

namespace rxp::projections {

QueryService::QueryService(std::string db_path, size_t max_queue)
    : db_path_(std::move(db_path)), max_queue_(max_queue), thread_([this] { run(); }) {}

QueryService::~QueryService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool QueryService::post(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= max_queue_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void QueryService::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every queued job has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Status open_error;
    if (!db_) {
      auto db = ReadModelDb::open(db_path_, true);
      if (db) db_ = std::move(db.value());
      else open_error = db.status();
    }
    job(db_.get(), open_error);
  }
}

}  // namespace rxp::projections
