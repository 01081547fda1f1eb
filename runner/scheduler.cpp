// Scheduler: lock table, ordering and worker count.
#include "runner/scheduler.hpp"

#include <algorithm>

namespace certify::runner {

namespace {
bool needs_system(const SchedJob& j) { return std::find(j.locks.begin(), j.locks.end(), "system") != j.locks.end(); }
}  // namespace

Scheduler::Scheduler(std::vector<SchedJob> jobs, int workers)
    : jobs_(std::move(jobs)), state_(jobs_.size(), State::pending), workers_(std::max(1, workers)),
      pending_(jobs_.size()) {}

void Scheduler::skip(std::size_t i) {
  if (state_.at(i) == State::pending) --pending_;
  if (state_[i] == State::running) release(i);
  state_[i] = State::finished;
}

bool Scheduler::ready(std::size_t i) const {
  for (auto a : jobs_[i].after)
    if (a < state_.size() && state_[a] != State::finished) return false;
  return true;
}

bool Scheduler::locks_free(std::size_t i) const {
  if (system_held_) return false;
  if (needs_system(jobs_[i])) return running_ == 0;
  for (const auto& l : jobs_[i].locks)
    if (auto it = held_.find(l); it != held_.end() && it->second > 0) return false;
  return true;
}

std::optional<std::size_t> Scheduler::next() {
  if (system_held_ || running_ >= static_cast<std::size_t>(workers_)) return std::nullopt;
  // Jobs before the first pending one never become pending again: start
  // there, so a long plan is not rescanned from its head for every start.
  while (first_pending_ < state_.size() && state_[first_pending_] != State::pending) ++first_pending_;
  for (std::size_t i = first_pending_; i < jobs_.size(); ++i) {
    if (state_[i] != State::pending || !ready(i)) continue;
    if (!locks_free(i)) {
      if (needs_system(jobs_[i])) return std::nullopt;  // drain for it
      continue;
    }
    state_[i] = State::running;
    ++running_;
    --pending_;
    if (needs_system(jobs_[i])) system_held_ = true;
    for (const auto& l : jobs_[i].locks)
      if (l != "system") ++held_[l];
    return i;
  }
  return std::nullopt;
}

void Scheduler::finish(std::size_t i) {
  if (state_.at(i) != State::running) return;
  release(i);
  state_[i] = State::finished;
}

std::vector<std::size_t> Scheduler::upcoming(std::size_t n) const {
  std::vector<std::size_t> out;
  // A bounded look: in a plan of long after= chains, scanning to the end
  // for every call would cost more than preparing saves.
  std::size_t end = std::min(jobs_.size(), first_pending_ + 8 * n + 64);
  for (std::size_t i = first_pending_; i < end && out.size() < n; ++i)
    if (state_[i] == State::pending && ready(i)) out.push_back(i);
  return out;
}

void Scheduler::release(std::size_t i) {
  --running_;
  if (needs_system(jobs_[i])) system_held_ = false;
  for (const auto& l : jobs_[i].locks)
    if (l != "system") --held_[l];
}

std::vector<std::size_t> Scheduler::stuck() const {
  std::vector<std::size_t> out;
  if (running_ != 0) return out;
  for (std::size_t i = first_pending_; i < jobs_.size(); ++i)
    if (state_[i] == State::pending && !ready(i)) out.push_back(i);
  // Only stuck when no pending job is ready at all.
  for (std::size_t i = first_pending_; i < jobs_.size(); ++i)
    if (state_[i] == State::pending && ready(i)) return {};
  return out;
}

}  // namespace certify::runner
