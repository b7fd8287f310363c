// `ticketsim compare`: runs a scenario for every strategy and buyer count
// of its matrix, each cell `runs` times after `warmup` runs not recorded.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/comparison.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace ticketsim {

struct CompareOptions {
  std::vector<std::string> strategies;
  std::vector<std::int64_t> buyers;
  std::int64_t runs = 3;
  std::int64_t warmup = 0;
  RunOptions run;  // where stores go, progress
  // The command that repeats one run, less --strategy, --buyers and --seed:
  // "ticketsim run scenario.toml --tickets 500".
  std::vector<std::string> repeat_words;
  // After every run, warm-up or not: its row, its number from 1 and the
  // number there are.
  std::function<void(const RunRow& row, std::size_t number, std::size_t total, bool warmup)> on_run;
  // Before every run, the same.
  std::function<void(const std::string& strategy, std::int64_t buyers, std::size_t number, std::size_t total,
                     bool warmup)>
      before_run;
};

// Checks that every cell of the matrix could run (InputError), without
// running any: strategies x buyers of `scenario` (or its one cell).
void check_matrix(const Scenario& scenario, const std::vector<std::string>& strategies,
                  const std::vector<std::int64_t>& buyers);

// Checks every cell first (InputError), then runs them. Measured runs go
// round the matrix R times rather than one cell R times in a row, so that
// a slow spell of the machine spreads over every cell instead of landing
// on one. Run r of a cell uses seed + r - 1. A signal from the user ends it
// after the run it cut short, which is left out.
Comparison run_comparison(const Scenario& scenario, const Context& context, const CompareOptions& options);

}  // namespace ticketsim
