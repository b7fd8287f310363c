// How evenly SQLite's waiters are served (storage/sqlite_wait_queue.h): the
// longest purchase wait of a run of `sqlite` at 1,000 buyers against the
// median wait of the same run.
#pragma once

#include "bench/budgets.h"
#include "sim/runner.h"

namespace ticketsim {

inline constexpr std::int64_t kSqliteWaitBuyers = 1000;

// The figure: median / longest, with its budget (the longest within 20x).
Figure sqlite_wait_figure(const RunOptions& run_options);

}  // namespace ticketsim
