// The order in which buyers wait for SQLite's write lock.
//
// SQLite keeps no queue of waiters: a connection that finds the lock taken
// calls its busy handler, which sleeps and asks again, and whoever asks
// first once the lock is free gets it. With sleeps that grow the longer a
// buyer has waited, the buyer that has just committed (and asks again at
// once) beats those that have waited longest: under 1,000-way contention
// one purchase waited more than a minute while the median waited 0.1 s.
//
// So the buyers take a numbered ticket when they first find the lock busy,
// and ask SQLite again only when their turn has come; the others sleep on a
// futex until then. A buyer that comes to the lock anew asks SQLite at once
// (it may go first, which keeps the lock busy at low contention) unless the
// queue is fair: once the buyer whose turn it is has waited more than 1 ms
// (Go's sync.Mutex does the same, "starvation mode"), newcomers go behind
// the queue until a buyer gets the lock within 1 ms or the queue is empty.
// The queue only decides who asks next: SQLite's lock alone decides who
// writes, and a buyer that dies or stalls in the queue holds no one up for
// long (see await).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

namespace ticketsim {

// In memory shared with every buyer (SharedCell).
struct SqliteWaitQueue {
  static constexpr std::uint32_t kSlots = 4096;
  std::atomic<std::uint64_t> next{0};     // the ticket the next waiter takes
  std::atomic<std::uint64_t> serving{0};  // tickets below it have had their turn
  std::atomic<std::uint32_t> fair{0};     // newcomers go behind the waiters
  // Bumped (and woken) when the turn reaches a ticket t, at t % kSlots:
  // each waiter sleeps on its own ticket's slot, not on one word for all.
  std::atomic<std::uint32_t> slots[kSlots]{};
};

// One buyer's place in the queue, for one purchase at a time.
class SqliteWaitTurn {
 public:
  explicit SqliteWaitTurn(SqliteWaitQueue& queue) : queue_(queue) {}
  ~SqliteWaitTurn() { pass(); }
  SqliteWaitTurn(const SqliteWaitTurn&) = delete;
  SqliteWaitTurn& operator=(const SqliteWaitTurn&) = delete;

  // Whether a buyer who comes now goes behind the waiters: the queue is
  // fair and not empty.
  bool must_queue() const;
  // Takes a ticket, unless this buyer holds one.
  void join();
  // Called while its turn has come and SQLite is still busy: the queue
  // becomes fair once it has waited 1 ms since it joined.
  void still_busy();
  // It holds no ticket, or its ticket's turn has come.
  bool my_turn() const;
  // Sleeps until its turn, or until the turn has not moved for 100 ms times
  // its distance from it: the buyers before it died or stall, and this one
  // asks SQLite anyway. False when `deadline_ns` (monotonic) passed first.
  bool await(std::int64_t deadline_ns);
  // Leaves the queue: the turn goes past this buyer's ticket. Done once it
  // holds SQLite's lock (`got_lock`), or gives up. A buyer that got the lock
  // within 1 ms of joining, or leaves no one waiting, ends fair mode.
  void pass(bool got_lock = false);

 private:
  SqliteWaitQueue& queue_;
  std::optional<std::uint64_t> ticket_;
  std::int64_t joined_ns_ = 0;
};

}  // namespace ticketsim
