// A buyer: the code one forked child runs, from fork to _exit. The monitor,
// the seed's daemon process, lives here too.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "sim/history.h"
#include "sim/scenario.h"
#include "storage/store.h"

namespace ticketsim {

// Exit statuses of a buyer process.
inline constexpr int kBuyerOk = 0;
inline constexpr int kBuyerCannotOpenStore = 3;
inline constexpr int kBuyerFailed = 4;

// The fault planned for one buyer: at its `attempt`-th purchase, at `point`,
// it kills, terminates or stops itself (so that the point is exact).
struct BuyerFault {
  FaultAction action = FaultAction::kKill;
  FaultPoint point = FaultPoint::kInCriticalSection;
  std::int64_t attempt = 1;
  Duration pause{0};
};

// Runs buyer `index` in a freshly forked child and never returns: opens its
// own store handle, waits at the start barrier, searches, buys up to the
// scenario's attempts, records every operation into `history` (a purchase
// is recorded as indeterminate before it starts, so that a buyer killed
// inside it leaves that behind), and ends with _exit. `first_buyer` is the
// number of buyers other hosts run before this host's (RunOptions), so that
// its purchases' operation ids are unique across the run.
[[noreturn]] void run_buyer(std::int64_t index, const Scenario& scenario, StoreSetup& setup,
                            SharedHistory& history, const BuyerFault* fault, std::int64_t first_buyer = 0);

// Runs the monitor in a freshly forked child: reads the count every
// `scenario.monitor_interval` into the history until it is killed.
[[noreturn]] void run_monitor(const Scenario& scenario, StoreSetup& setup, SharedHistory& history);

// A delay scaled by a factor in [1 - jitter, 1 + jitter], drawn from `state`
// (SplitMix64), so that one seed always gives the same delays.
Duration jittered(Duration delay, double jitter, std::uint64_t& state);

// SplitMix64: the next value of the sequence `state` walks.
std::uint64_t splitmix64(std::uint64_t& state);

}  // namespace ticketsim
