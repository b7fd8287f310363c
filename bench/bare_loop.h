// The bare loop: the limit ticketsim's own cost is measured against. N
// forked processes do exactly the store work N buyers do (sim/buyer.cc's
// run_buyer: the same StoreSetup and Store, the same lock and statements;
// open the store after fork, wait at the same start barrier, search once,
// then buy up to `purchases` times) with nothing around it: no history, no
// timestamps per operation, no fault hooks, no buyer loop bookkeeping.
#pragma once

#include <cstdint>

#include "storage/store.h"

namespace ticketsim {

// Sales per second of `buyers` bare processes on `setup` (made for at
// least that many buyers), from the barrier's release until the last one
// is done, as the runner times a run. Forks the seller first for a
// strategy that has one. Throws RunError when a process fails.
double bare_loop_rate(StoreSetup& setup, const StrategyInfo& strategy, std::int64_t buyers,
                      std::int64_t purchases);

}  // namespace ticketsim
