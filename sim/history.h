// The run's history: what every buyer did, recorded by the buyers themselves
// into one shared mapping made before fork. Recording an operation is a few
// stores into memory: no system call, no lock. The same mapping holds the
// start barrier.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "storage/process.h"
#include "storage/store.h"

namespace ticketsim {

enum class OperationKind : std::uint8_t { kSearch = 0, kBuy = 1 };

// One operation as its buyer saw it. Times are CLOCK_MONOTONIC nanoseconds.
struct Operation {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t count_read = 0;  // the count the operation read (search or buy)
  std::int64_t ticket = 0;      // the ticket sold, when outcome is kSold
  std::uint32_t retries = 0;    // store retries (SQLITE_BUSY, PostgreSQL's retried tries) within it
  OperationKind kind = OperationKind::kSearch;
  Outcome outcome = Outcome::kOk;
  // kOperation* bits, in what was padding: the exact failure counts are the
  // buyer's, in its slot.
  std::uint8_t flags = 0;
};
static_assert(sizeof(Operation) == 40, "history memory per operation is a budget");

// Operation::flags.
inline constexpr std::uint8_t kOperationSerializationFailure = 1;  // a try failed with SQLSTATE 40001
inline constexpr std::uint8_t kOperationDeadlockFailure = 2;       // a try failed with SQLSTATE 40P01
inline constexpr std::uint8_t kOperationTriesExhausted = 4;        // failed: its tries ran out (max_tries)

// One sample of the monitor: the count it read at a time.
struct MonitorSample {
  std::int64_t at_ns = 0;
  std::int64_t count = 0;
  Outcome outcome = Outcome::kOk;
};

// A crash of the store's server, as the runner made it (monotonic ns): the
// immediate shutdown sent at `at_ns`, the server back at `restarted_ns`.
struct ServerCrash {
  std::int64_t at_ns = 0;
  std::int64_t restarted_ns = 0;
};

// One buyer's operations, as the checker and the metrics read them.
struct BuyerHistory {
  std::int32_t pid = 0;
  std::span<const Operation> operations;
  // Why the buyer did not run to its end; empty when it did.
  std::string failure;
  // How long opening its store spent connecting to a server (0 without one).
  std::int64_t connect_ns = 0;
  // Tries that failed with a serialization failure or a deadlock, over all
  // its purchases (pgbench --failures-detailed).
  std::int64_t serialization_failures = 0;
  std::int64_t deadlock_failures = 0;
  // Its times are true within +- this: its host's clock uncertainty, in a
  // run on several hosts (sim/hosts/clock.h); 0 on the coordinator's own.
  std::int64_t uncertainty_ns = 0;
};

// What a buyer writes about itself besides its operations.
struct alignas(64) BuyerSlot {
  std::atomic<std::uint32_t> recorded{0};  // operations written so far
  std::int32_t pid = 0;
  std::int32_t ppid = 0;
  // buyer: 1 from the critical section of a purchase (just before its
  // write) until its outcome is recorded. A buyer killed while it is 0 had
  // not begun to change the store.
  std::atomic<std::uint8_t> in_critical_section{0};
  std::int64_t forked_ns = 0;    // parent: just before fork
  std::int64_t ready_ns = 0;     // buyer: store opened, at the barrier
  std::int64_t released_ns = 0;  // parent: barrier released
  std::int64_t done_ns = 0;      // buyer: last operation done
  std::int64_t connect_ns = 0;   // buyer: time its store spent connecting to a server
  std::uint32_t serialization_failures = 0;  // buyer: tries failed with SQLSTATE 40001
  std::uint32_t deadlock_failures = 0;       // buyer: tries failed with SQLSTATE 40P01
  std::atomic<std::uint8_t> struck{0};  // buyer: its planned fault was carried out (set just before)
  char error[191] = {};          // buyer: why it could not run, if it could not
};
static_assert(sizeof(BuyerSlot) == 256, "a buyer's slot stays four cache lines");

// Owns the shared mapping: barrier, one slot per buyer, and room for
// `capacity` operations per buyer. Pages nobody touches cost nothing.
class SharedHistory {
 public:
  // Bytes the mapping needs, or 0 when that does not fit in memory at all.
  static std::size_t bytes_needed(std::int64_t buyers, std::int64_t capacity);

  SharedHistory(std::int64_t buyers, std::int64_t capacity);
  ~SharedHistory();
  SharedHistory(const SharedHistory&) = delete;
  SharedHistory& operator=(const SharedHistory&) = delete;

  std::int64_t buyers() const { return buyers_; }
  std::int64_t capacity() const { return capacity_; }
  BuyerSlot& slot(std::int64_t buyer) { return slots_[buyer]; }
  const BuyerSlot& slot(std::int64_t buyer) const { return slots_[buyer]; }
  Operation* operations(std::int64_t buyer) { return operations_ + buyer * capacity_; }
  const Operation* operations(std::int64_t buyer) const { return operations_ + buyer * capacity_; }

  // Every buyer's recorded operations.
  std::vector<BuyerHistory> histories() const;

  // The start barrier. A buyer arrives, then waits until the parent has
  // released at least buyer + 1 buyers.
  void arrive_and_wait(std::int64_t buyer);
  // Parent: waits up to `timeout_ms` for `count` buyers to have arrived;
  // returns how many have.
  std::uint32_t wait_for_arrivals(std::uint32_t count, int timeout_ms);
  // Parent: lets buyers 0 .. count-1 start.
  void release(std::uint32_t count);

  // A buyer whose wait passed lock_timeout says so; the parent ends the run.
  void mark_stuck() { header_->stuck.store(1, std::memory_order_release); }
  bool stuck() const { return header_->stuck.load(std::memory_order_acquire) != 0; }

  // The monitor's samples: it appends, the parent reads after it is stopped.
  static constexpr std::uint32_t kMonitorCapacity = 1 << 16;
  bool add_monitor_sample(const MonitorSample& sample);
  std::vector<MonitorSample> monitor_samples() const;

 private:
  struct Header {
    std::atomic<std::uint32_t> arrived{0};
    std::atomic<std::uint32_t> released{0};
    std::atomic<std::uint32_t> stuck{0};
    std::atomic<std::uint32_t> monitor_samples{0};
  };

  std::int64_t buyers_;
  std::int64_t capacity_;
  std::size_t bytes_;
  void* mapping_;
  Header* header_;
  BuyerSlot* slots_;
  Operation* operations_;
  MonitorSample* monitor_;
};

}  // namespace ticketsim
