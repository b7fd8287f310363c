// A buyer: the code one forked child runs, from fork to _exit.
#pragma once

#include <cstdint>

#include "sim/history.h"
#include "sim/scenario.h"
#include "storage/store.h"

namespace ticketsim {

// Exit statuses of a buyer process.
inline constexpr int kBuyerOk = 0;
inline constexpr int kBuyerCannotOpenStore = 3;
inline constexpr int kBuyerFailed = 4;

// Runs buyer `index` in a freshly forked child and never returns: opens its
// own store handle, waits at the start barrier, searches, buys up to the
// scenario's attempts, records every operation into `history`, and ends
// with _exit.
[[noreturn]] void run_buyer(std::int64_t index, const Scenario& scenario, StoreSetup& setup,
                            SharedHistory& history, pid_t parent);

// A delay scaled by a factor in [1 - jitter, 1 + jitter], drawn from `state`
// (SplitMix64), so that one seed always gives the same delays.
Duration jittered(Duration delay, double jitter, std::uint64_t& state);

}  // namespace ticketsim
