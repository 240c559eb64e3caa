#include "events/subscription.hpp"

namespace rxp::events {

Subscription::Subscription(EventStore& store, uint64_t from_position, Handler handler,
                           std::chrono::milliseconds poll, size_t page_size)
    : store_(store),
      handler_(std::move(handler)),
      poll_(poll),
      page_size_(page_size),
      next_(from_position == 0 ? 1 : from_position) {
  thread_ = std::thread([this] { run(); });
}

Subscription::~Subscription() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void Subscription::stop() { stop_requested_ = true; }

Status Subscription::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void Subscription::run() {
  auto finish = [this](Status st) {
    std::lock_guard lock(mu_);
    status_ = std::move(st);
    stopped_ = true;
  };
  while (!stop_requested_) {
    auto page = store_.read_all(next_, page_size_);
    if (!page) return finish(page.status());
    if (!page->empty()) {
      // Positions are gapless in commit order; anything else means the store is damaged.
      for (size_t i = 0; i < page->size(); ++i)
        if ((*page)[i].position != next_ + i)
          return finish(Status(ErrorCode::kIntegrity,
                               "position " + std::to_string(next_ + i) + " is missing"));
      if (Status st = handler_(*page); !st) return finish(st);
      next_ += page->size();
      continue;
    }
    // Short waits so that stop() is honoured promptly and other processes' commits are seen.
    auto head = store_.wait_beyond(next_ - 1, poll_);
    if (!head) return finish(head.status());
  }
  finish(Status::ok());
}

}  // namespace rxp::events
