#include "sim/buyer.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

namespace ticketsim {
namespace {

void record_error(BuyerSlot& slot, const char* message) {
  std::snprintf(slot.error, sizeof slot.error, "%s", message);
}

void sleep_for(Duration delay) {
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

// Carries out a planned fault on the buyer itself, saying so first in its
// slot: the report tells a fault carried out from one never reached.
void strike(FaultAction action, BuyerSlot& slot) {
  slot.struck.store(1, std::memory_order_release);
  switch (action) {
    case FaultAction::kKill: raise(SIGKILL); break;
    case FaultAction::kTerminate: raise(SIGTERM); break;
    case FaultAction::kPause: raise(SIGSTOP); break;  // the parent sends SIGCONT
    case FaultAction::kCrash: break;                   // the server's, never a buyer's
  }
}

// Marks the buyer's slot once a purchase is inside its critical section (so
// that a buyer killed before is known to have changed nothing), and strikes
// there, or once the COMMIT has been sent, at the purchase it is armed for.
class CriticalSectionHook final : public PurchaseHook {
 public:
  CriticalSectionHook(const BuyerFault* fault, BuyerSlot& slot) : fault_(fault), slot_(slot) {}
  void arm(std::int64_t attempt) { armed_ = fault_ && fault_->attempt == attempt; }
  void in_critical_section() override {
    slot_.in_critical_section.store(1, std::memory_order_release);
    if (armed_ && fault_->point == FaultPoint::kInCriticalSection) strike(fault_->action, slot_);
  }
  void after_commit_sent() override {
    if (armed_ && fault_->point == FaultPoint::kAfterCommitSent) strike(fault_->action, slot_);
  }

 private:
  const BuyerFault* fault_;
  BuyerSlot& slot_;
  bool armed_ = false;
};

bool strikes_at(const BuyerFault* fault, FaultPoint point, std::int64_t attempt) {
  return fault && fault->point == point && fault->attempt == attempt;
}

// Whether an outcome means a wait passed lock_timeout.
bool timed_out(Outcome outcome) { return outcome == Outcome::kTimeout || outcome == Outcome::kIndeterminate; }

}  // namespace

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Duration jittered(Duration delay, double jitter, std::uint64_t& state) {
  if (jitter <= 0 || delay.count() == 0) return delay;
  double unit = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
  double factor = 1.0 + jitter * (2.0 * unit - 1.0);
  return Duration(static_cast<Duration::rep>(static_cast<double>(delay.count()) * factor));
}

void run_buyer(std::int64_t index, const Scenario& scenario, StoreSetup& setup, SharedHistory& history,
               const BuyerFault* fault, std::int64_t first_buyer) {
  BuyerSlot& slot = history.slot(index);
  slot.pid = getpid();
  slot.ppid = getppid();
  int status = kBuyerOk;
  try {
    std::unique_ptr<Store> store;
    try {
      store = setup.open(index);
    } catch (const std::exception& e) {
      record_error(slot, e.what());
      _exit(kBuyerCannotOpenStore);
    }
    slot.connect_ns = store->connect_time().count();
    slot.ready_ns = monotonic_ns();
    history.arrive_and_wait(index);

    // By the buyer's place in the whole run: buyers on other hosts (a run on
    // several hosts) draw other jitter.
    std::uint64_t random = scenario.seed * 0x100000001b3ULL + static_cast<std::uint64_t>(first_buyer + index);
    Operation* operations = history.operations(index);
    std::uint32_t recorded = 0;
    // An operation is recorded as indeterminate before it starts and
    // completed after: a buyer that dies inside it leaves it indeterminate.
    auto begin = [&](OperationKind kind) -> Operation& {
      Operation& op = operations[recorded];
      op = Operation{.start_ns = monotonic_ns(), .kind = kind, .outcome = Outcome::kIndeterminate};
      slot.recorded.store(++recorded, std::memory_order_release);
      return op;
    };

    sleep_for(jittered(scenario.delays.search, scenario.delays.jitter, random));
    Operation& search = begin(OperationKind::kSearch);
    SearchResult found = store->search();
    search.end_ns = monotonic_ns();
    search.count_read = found.count;
    search.outcome = found.outcome;
    bool stuck = timed_out(found.outcome);

    CriticalSectionHook hook(fault, slot);
    BuyRequest request{.buyer_pid = slot.pid, .hook = &hook};
    for (std::int64_t attempt = 1; !stuck && attempt <= scenario.max_attempts(); ++attempt) {
      request.operation_id = static_cast<std::uint64_t>((first_buyer + index) * history.capacity() + recorded);
      request.purchase_delay = jittered(scenario.delays.purchase, scenario.delays.jitter, random);
      hook.arm(attempt);
      Operation& buy = begin(OperationKind::kBuy);
      if (strikes_at(fault, FaultPoint::kBeforeLock, attempt)) strike(fault->action, slot);
      BuyResult bought = store->buy(request);
      if (strikes_at(fault, FaultPoint::kAfterWriteBeforeAck, attempt)) strike(fault->action, slot);
      buy.end_ns = monotonic_ns();
      buy.count_read = bought.count_read;
      buy.ticket = bought.ticket;
      buy.retries = bought.retries;
      buy.outcome = bought.outcome;
      slot.in_critical_section.store(0, std::memory_order_release);
      buy.flags = static_cast<std::uint8_t>((bought.serialization_failures ? kOperationSerializationFailure : 0) |
                                            (bought.deadlock_failures ? kOperationDeadlockFailure : 0) |
                                            (bought.tries_exhausted ? kOperationTriesExhausted : 0));
      slot.serialization_failures += bought.serialization_failures;
      slot.deadlock_failures += bought.deadlock_failures;
      // A purchase the server's crash cut off is indeterminate, not a wait
      // that timed out: the buyer goes on.
      stuck = timed_out(bought.outcome) && !bought.connection_lost;
      if (bought.outcome == Outcome::kSoldOut) break;
    }
    if (stuck) history.mark_stuck();
    slot.done_ns = monotonic_ns();
  } catch (const std::exception& e) {
    record_error(slot, e.what());
    status = kBuyerFailed;
  } catch (...) {
    record_error(slot, "unknown exception");
    status = kBuyerFailed;
  }
  _exit(status);
}

void run_monitor(const Scenario& scenario, StoreSetup& setup, SharedHistory& history) {
  try {
    std::unique_ptr<Store> store = setup.open(StoreSetup::kMonitor);
    std::int64_t next = monotonic_ns();
    for (;;) {
      SearchResult found = store->search();
      if (!history.add_monitor_sample({monotonic_ns(), found.count, found.outcome})) break;
      next += scenario.monitor_interval.count();
      std::int64_t wait = next - monotonic_ns();
      if (wait > 0) sleep_for(Duration(wait));
    }
  } catch (const std::exception&) {
    _exit(kBuyerFailed);
  }
  // Full: wait to be stopped with the run.
  for (;;) pause();
}

}  // namespace ticketsim
