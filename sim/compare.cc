#include "sim/compare.h"

#include <algorithm>

#include "sim/children.h"

namespace ticketsim {

Scenario cell_scenario(const Scenario& base, const std::string& strategy, std::int64_t buyers, std::uint64_t seed) {
  Scenario scenario = base;
  scenario.strategy = strategy;
  scenario.buyers = buyers;
  scenario.strategies = {strategy};
  scenario.buyer_counts = {buyers};
  scenario.seed = seed;
  return scenario;
}

void check_matrix(const Scenario& scenario, const std::vector<std::string>& strategies,
                  const std::vector<std::int64_t>& buyers) {
  for (const std::string& strategy : strategies) {
    for (std::int64_t count : buyers) check_runnable(cell_scenario(scenario, strategy, count, scenario.seed));
  }
}

MatrixRuns run_matrix(const Scenario& base, const CompareOptions& options) {
  check_matrix(base, options.strategies, options.buyers);

  std::vector<MatrixRun> plan;
  for (std::int64_t r = options.warmup > 0 ? -options.warmup + 1 : 1; r <= options.runs; ++r) {
    for (const std::string& strategy : options.strategies) {
      for (std::int64_t buyers : options.buyers) {
        MatrixRun run;
        run.strategy = strategy;
        run.buyers = buyers;
        run.run = std::max<std::int64_t>(r, 0);
        run.seed = base.seed + static_cast<std::uint64_t>(run.warmup() ? 0 : r - 1);
        plan.push_back(std::move(run));
      }
    }
  }

  MatrixRuns done;
  // Held across the runs: a Ctrl-C between two runs waits for the next
  // check instead of killing ticketsim with the exports unwritten.
  BlockedSignals signals;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    MatrixRun& run = plan[i];
    if (options.before_run) options.before_run(run, i + 1, plan.size());
    run.result = make_result(run_scenario(cell_scenario(base, run.strategy, run.buyers, run.seed), options.run));
    if (run.result.verdict == Verdict::kInterrupted) {
      done.interrupted_by = run.result.interrupted_by;
      break;
    }
    if (options.on_run) options.on_run(run, i + 1, plan.size());
    if (!run.warmup()) done.runs.push_back(std::move(run));
    if (std::string stop = signals.take_pending_stop(); !stop.empty()) {
      done.interrupted_by = stop;
      break;
    }
  }
  return done;
}

}  // namespace ticketsim
