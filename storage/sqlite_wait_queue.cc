#include "storage/sqlite_wait_queue.h"

#include <algorithm>
#include <chrono>
#include <climits>

#include "storage/futex.h"

namespace ticketsim {
namespace {

constexpr std::int64_t kStallNs = 100'000'000;
constexpr std::int64_t kStarvingNs = 1'000'000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool SqliteWaitTurn::must_queue() const {
  return queue_.fair.load(std::memory_order_acquire) != 0 &&
         queue_.next.load(std::memory_order_acquire) != queue_.serving.load(std::memory_order_acquire);
}

void SqliteWaitTurn::join() {
  if (ticket_) return;
  ticket_ = queue_.next.fetch_add(1, std::memory_order_acq_rel);
  joined_ns_ = now_ns();
}

void SqliteWaitTurn::still_busy() {
  if (ticket_ && now_ns() - joined_ns_ > kStarvingNs && queue_.fair.load(std::memory_order_relaxed) == 0) {
    queue_.fair.store(1, std::memory_order_release);
  }
}

bool SqliteWaitTurn::my_turn() const {
  return !ticket_ || *ticket_ <= queue_.serving.load(std::memory_order_acquire);
}

bool SqliteWaitTurn::await(std::int64_t deadline_ns) {
  if (!ticket_) return true;
  std::atomic<std::uint32_t>& slot = queue_.slots[*ticket_ % SqliteWaitQueue::kSlots];
  std::uint64_t seen = queue_.serving.load(std::memory_order_acquire);
  std::int64_t seen_at = now_ns();
  for (;;) {
    // The slot before the turn: a pass in between changes the slot, and
    // the futex does not sleep.
    std::uint32_t generation = slot.load(std::memory_order_acquire);
    std::uint64_t serving = queue_.serving.load(std::memory_order_acquire);
    if (*ticket_ <= serving) return true;
    std::int64_t now = now_ns();
    if (serving != seen) seen = serving, seen_at = now;
    // No cap: with 10,000 waiters and a slow lock, a cap sent thousands to
    // ask SQLite at once each time the turn stood still that long.
    std::int64_t stall_at = seen_at + kStallNs * static_cast<std::int64_t>(*ticket_ - serving);
    if (now >= stall_at) return true;
    if (now >= deadline_ns) return false;
    std::int64_t sleep = std::min(stall_at, deadline_ns) - now;
    timespec timeout{static_cast<time_t>(sleep / 1'000'000'000), static_cast<long>(sleep % 1'000'000'000)};
    futex_wait(&slot, generation, &timeout);
  }
}

void SqliteWaitTurn::pass(bool got_lock) {
  if (!ticket_) return;
  std::uint64_t to = *ticket_ + 1;
  ticket_.reset();
  if (got_lock && now_ns() - joined_ns_ <= kStarvingNs && queue_.fair.load(std::memory_order_relaxed) != 0) {
    queue_.fair.store(0, std::memory_order_release);
  }
  std::uint64_t from = queue_.serving.load(std::memory_order_acquire);
  while (from < to && !queue_.serving.compare_exchange_weak(from, to, std::memory_order_acq_rel)) {
  }
  if (from >= to) return;  // a later ticket went first: the turn is past this one already
  if (queue_.next.load(std::memory_order_acquire) == to && queue_.fair.load(std::memory_order_relaxed) != 0) {
    queue_.fair.store(0, std::memory_order_release);  // no one waits
  }
  // Every ticket the turn reached: the next one, and those it went past
  // (their buyers ask SQLite again without waiting for the stall).
  for (std::uint64_t t = std::max(from + 1, to - std::min<std::uint64_t>(to, SqliteWaitQueue::kSlots) + 1); t <= to;
       ++t) {
    std::atomic<std::uint32_t>& slot = queue_.slots[t % SqliteWaitQueue::kSlots];
    slot.fetch_add(1, std::memory_order_acq_rel);
    futex_wake(&slot, INT_MAX);
  }
}

}  // namespace ticketsim
