// Launches made ahead on a thread (launch_maker.hpp).
#include "runner/launch_maker.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace certify::runner {

LaunchMaker::LaunchMaker(Make make) : make_(std::move(make)) {
  // Signals stay with the run loop: the thread inherits a mask that blocks
  // them all.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { work(); });
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

LaunchMaker::~LaunchMaker() { (void)stop(); }

void LaunchMaker::work() {
  // Below the tests and the run loop: a launch is needed only when a worker
  // frees, and the CPUs are idle most of the time while tests run. Not at
  // 19 (as the deferred syncs): take() waits for a launch this thread has
  // begun, and at 19 a thread preempted by busy tests waits long for its
  // next turn. A thread's nice value is its own on Linux.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  std::unique_lock lock(mutex_);
  while (true) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::size_t i = queue_.front();
    queue_.pop_front();
    making_ = i;
    lock.unlock();
    Result<Launch> l = make_(i);
    lock.lock();
    made_.emplace(i, std::move(l));
    making_.reset();
    made_one_.notify_all();
  }
}

void LaunchMaker::want(const std::vector<std::size_t>& jobs) {
  bool added = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    for (auto i : jobs) {
      if (making_ == i || made_.count(i) || std::find(queue_.begin(), queue_.end(), i) != queue_.end()) continue;
      queue_.push_back(i);
      added = true;
    }
  }
  if (added) queued_.notify_one();
}

std::size_t LaunchMaker::outstanding() {
  std::lock_guard lock(mutex_);
  return queue_.size() + (making_ ? 1 : 0) + made_.size();
}

Result<Launch> LaunchMaker::take(std::size_t i) {
  {
    std::unique_lock lock(mutex_);
    made_one_.wait(lock, [&] { return making_ != i; });
    if (auto m = made_.find(i); m != made_.end()) {
      Result<Launch> l = std::move(m->second);
      made_.erase(m);
      return l;
    }
    // Not begun: it is the caller's now.
    if (auto q = std::find(queue_.begin(), queue_.end(), i); q != queue_.end()) queue_.erase(q);
  }
  return make_(i);
}

std::vector<Launch> LaunchMaker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  queued_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<Launch> out;
  for (auto& [i, l] : made_)
    if (l) out.push_back(std::move(*l));
  made_.clear();
  return out;
}

}  // namespace certify::runner
