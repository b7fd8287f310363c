// The limits of this machine that a run of many buyers meets: pids and
// threads, room in /dev/shm, open files (the processes per user,
// RLIMIT_NPROC, are checked where the buyers' count is read: set_buyers). Checked before anything is forked, so that a run that could
// not start all its buyers says so in one line instead of failing part-way.
#pragma once

#include "sim/scenario.h"
#include "storage/store.h"

namespace ticketsim {

// Throws InputError naming the limit, its value, what the run needs and how
// to raise it, when one would stop `scenario`.
void check_process_limits(const Scenario& scenario, const StrategyInfo& strategy);

}  // namespace ticketsim
