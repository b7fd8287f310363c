// `ticketsim compare`'s run loop: runs a scenario for every strategy and
// buyer count of its matrix, each cell `runs` times after `warmup` runs not
// kept. What the runs are summed up into lives in sim/report/comparison.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/result.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace ticketsim {

// One run of one cell of the matrix.
struct MatrixRun {
  std::string strategy;
  std::int64_t buyers = 0;
  std::int64_t run = 0;  // 1-based within its cell; 0 for a warm-up
  std::uint64_t seed = 0;
  Result result;

  bool warmup() const { return run == 0; }
};

struct CompareOptions {
  std::vector<std::string> strategies;
  std::vector<std::int64_t> buyers;
  std::int64_t runs = 3;
  std::int64_t warmup = 0;
  RunOptions run;  // where stores go, progress
  // Before every run, warm-up or not: the run (its result still empty), its
  // number from 1 and the number there are.
  std::function<void(const MatrixRun& run, std::size_t number, std::size_t total)> before_run;
  // After every run, the same, with its result.
  std::function<void(const MatrixRun& run, std::size_t number, std::size_t total)> on_run;
  // After every run that was not interrupted, with what the run recorded
  // (compare --history writes its history from it).
  std::function<void(const MatrixRun& run, const RunRecord& record)> on_record;
};

struct MatrixRuns {
  std::vector<MatrixRun> runs;  // the measured ones, in the order they ran
  std::string interrupted_by;   // the signal that cut the matrix short, if one did
};

// The scenario of one cell: `base` with one strategy, one buyer count and
// the run's seed.
Scenario cell_scenario(const Scenario& base, const std::string& strategy, std::int64_t buyers, std::uint64_t seed);

// Checks that every cell of the matrix could run (InputError), without
// running any: strategies x buyers of `scenario` (or its one cell).
void check_matrix(const Scenario& scenario, const std::vector<std::string>& strategies,
                  const std::vector<std::int64_t>& buyers);

// Checks every cell first (InputError), then runs them. Measured runs go
// round the matrix R times rather than one cell R times in a row, so that
// a slow spell of the machine spreads over every cell instead of landing
// on one. Run r of a cell uses seed + r - 1. A signal from the user ends it
// after the run it cut short, which is left out.
MatrixRuns run_matrix(const Scenario& scenario, const CompareOptions& options);

}  // namespace ticketsim
