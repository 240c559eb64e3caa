#include "tools/background_jobs.hpp"

#include <iostream>

#include "actors/identity_messages.hpp"
#include "events/checkpoint.hpp"
#include "projections/access_review.hpp"
#include "projections/catalog.hpp"

namespace rxp::cli {

BackgroundJobs::BackgroundJobs(events::EventLog& log, actors::Runtime& runtime, const Clock& clock,
                               BackgroundOptions options)
    : log_(log), runtime_(runtime), clock_(clock), options_(std::move(options)), raiser_(log) {}

BackgroundJobs::~BackgroundJobs() { stop(); }

Status BackgroundJobs::start() {
  projections::RunnerOptions ro;
  ro.db_path = projections::projections_db_path(options_.data_dir);
  if (!options_.nats_url.empty()) {
    projections::FeedOptions fo;
    fo.url = options_.nats_url;
    feed_publisher_ = std::make_unique<projections::FeedPublisher>(log_.store(), fo);
    feed_consumer_ = std::make_unique<projections::FeedConsumer>(log_.store(), fo);
    if (Status st = feed_publisher_->start(); !st) return st;
    if (Status st = feed_consumer_->start(); !st) return st;
    ro.source = feed_consumer_.get();
  }
  auto runner = projections::ProjectionRunner::open(log_, projections::make_projections(), ro);
  if (!runner) return runner.status();
  runner_ = std::move(runner.value());
  if (Status st = raiser_.catch_up(); !st) return st;
  if (Status st = runner_->catch_up(); !st) return st;
  runner_->start();
  raiser_.start();
  sweeper_ = std::thread([this] { sweep_loop(); });
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
  return Status::ok();
}

void BackgroundJobs::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
  raiser_.stop();
  if (runner_) runner_->stop();  // before its source, the feed consumer
  if (feed_consumer_) feed_consumer_->stop();
  if (feed_publisher_) feed_publisher_->stop();
}

void BackgroundJobs::sweep_loop() {
  auto db = projections::ReadModelDb::open(projections::projections_db_path(options_.data_dir), true);
  if (!db) {
    std::cerr << "rxportal: dormant-role sweep disabled: " << db.status().to_string() << "\n";
    return;
  }
  for (;;) {
    auto n = projections::sweep_dormant_roles(**db, clock_.now_us(), [this](const projections::AccessGrant& g) {
      actors::UserRequest req{g.subject_id, identity::RevokeRole{g.object_id, "dormant", {}}};
      req.correlation_id = "dormant-sweep";
      req.actor_user_id = "system";
      req.actor_role = "system";
      auto r = runtime_.call(req);
      // Not found: the role went in the meantime; the next sweep sees the view catch up.
      if (r.outcome == identity::UserOutcome::kOk || r.outcome == identity::UserOutcome::kNotFound) return Status::ok();
      return Status(ErrorCode::kInternal, std::string("dormant role removal refused: ") + r.reason);
    });
    if (n) removed_ += *n;
    else std::cerr << "rxportal: dormant-role sweep: " << n.status().to_string() << "\n";
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.sweep_every, [this] { return stopping_; })) return;
  }
}

}  // namespace rxp::cli

namespace rxp::cli {

void BackgroundJobs::checkpoint_loop() {
  events::Checkpointer checkpointer(log_, log_.keys(), clock_);
  const int64_t every_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.checkpoint_every).count();
  int64_t last_at = clock_.now_us();
  for (;;) {
    auto pending = checkpointer.events_since_checkpoint();
    if (!pending) {
      std::cerr << "rxportal: checkpointer: " << pending.status().to_string() << "\n";
    } else if (*pending > 0 &&
               ((options_.checkpoint_every_events != 0 && *pending >= options_.checkpoint_every_events) ||
                clock_.now_us() - last_at >= every_us)) {
      auto c = checkpointer.checkpoint_now();
      if (c) {
        last_at = clock_.now_us();
        ++checkpoints_;
      } else {
        std::cerr << "rxportal: checkpointer: " << c.status().to_string() << "\n";
      }
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.checkpoint_poll, [this] { return stopping_; })) return;
  }
}

}  // namespace rxp::cli
