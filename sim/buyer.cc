#include "sim/buyer.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

namespace ticketsim {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void record_error(BuyerSlot& slot, const char* message) {
  std::snprintf(slot.error, sizeof slot.error, "%s", message);
}

void sleep_for(Duration delay) {
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

}  // namespace

Duration jittered(Duration delay, double jitter, std::uint64_t& state) {
  if (jitter <= 0 || delay.count() == 0) return delay;
  double unit = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;  // [0, 1)
  double factor = 1.0 + jitter * (2.0 * unit - 1.0);
  return Duration(static_cast<Duration::rep>(static_cast<double>(delay.count()) * factor));
}

void run_buyer(std::int64_t index, const Scenario& scenario, StoreSetup& setup,
               SharedHistory& history, pid_t parent) {
  // Die with ticketsim; if it is already gone, do not start at all.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(kBuyerFailed);

  BuyerSlot& slot = history.slot(index);
  slot.pid = getpid();
  slot.ppid = getppid();
  int status = kBuyerOk;
  try {
    std::unique_ptr<Store> store;
    try {
      store = setup.open();
    } catch (const std::exception& e) {
      record_error(slot, e.what());
      _exit(kBuyerCannotOpenStore);
    }
    slot.ready_ns = monotonic_ns();
    history.arrive_and_wait(index);

    std::uint64_t random = scenario.seed * 0x100000001b3ULL + static_cast<std::uint64_t>(index);
    Operation* operations = history.operations(index);
    std::uint32_t recorded = 0;
    auto commit = [&](const Operation& operation) {
      operations[recorded++] = operation;
      slot.recorded.store(recorded, std::memory_order_release);
    };

    sleep_for(jittered(scenario.delays.search, scenario.delays.jitter, random));
    Operation search{.start_ns = monotonic_ns(), .kind = OperationKind::kSearch};
    SearchResult found = store->search();
    search.end_ns = monotonic_ns();
    search.count_read = found.count;
    search.outcome = found.outcome;
    commit(search);

    BuyRequest request{.buyer_pid = slot.pid};
    for (std::int64_t attempt = 0; attempt < scenario.max_attempts(); ++attempt) {
      request.operation_id = static_cast<std::uint64_t>(index * history.capacity() + recorded);
      request.purchase_delay = jittered(scenario.delays.purchase, scenario.delays.jitter, random);
      Operation buy{.start_ns = monotonic_ns(), .kind = OperationKind::kBuy};
      BuyResult bought = store->buy(request);
      buy.end_ns = monotonic_ns();
      buy.count_read = bought.count_read;
      buy.ticket = bought.ticket;
      buy.retries = bought.retries;
      buy.outcome = bought.outcome;
      commit(buy);
      if (bought.outcome == Outcome::kSoldOut) break;
    }
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

}  // namespace ticketsim
