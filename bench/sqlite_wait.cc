#include "bench/sqlite_wait.h"

#include <fmt/format.h>

#include "sim/errors.h"
#include "sim/result.h"

namespace ticketsim {

Figure sqlite_wait_figure(const RunOptions& run_options) {
  Scenario scenario;
  scenario.file = "bench";
  scenario.name = "bench";
  scenario.strategy = "sqlite";
  scenario.buyers = kSqliteWaitBuyers;
  scenario.attempts = 3;
  scenario.tickets = kSqliteWaitBuyers * 3;
  Result result = make_result(run_scenario(scenario, run_options));
  if (result.verdict != Verdict::kValid) {
    throw RunError(fmt::format("sqlite at {} buyers: the run was {}", kSqliteWaitBuyers, verdict_name(result.verdict)));
  }
  const LatencyStats& buy = result.metrics.buy;
  return {fmt::format("sqlite at {} buyers: longest purchase wait", kSqliteWaitBuyers), buy.max, "s",
          "median purchase wait, same run", buy.p50, buy.max > 0 ? buy.p50 / buy.max : 0, 1.0 / 20};
}

}  // namespace ticketsim
