// A comparison: runs of one scenario across strategies and buyer counts,
// repeated. The model every export and report reads, whether the runs were
// just made (`compare`, `run`) or read back from a JSON export (`report`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/report/context.h"
#include "sim/checker.h"
#include "sim/metrics.h"
#include "sim/result.h"
#include "sim/scenario.h"

namespace ticketsim {

inline constexpr int kComparisonSchemaVersion = 2;
inline constexpr const char* kComparisonKind = "ticketsim-comparison";

// One run, as the exports read it: the run's Result, and where it sits in
// the comparison. Every figure of a run that an export shows is read from
// the Result here, and nowhere else.
struct RunRow {
  Result result;
  std::int64_t run = 1;        // 1-based within its cell
  std::string repeat_command;  // the `ticketsim run` command line that repeats it
  // Where and how it ran, for a run that carries its own: the one run of
  // `run --export`, or a `run --json` result read back. A run of `compare`
  // has none: the comparison's context is its.
  std::optional<Context> context;

  const std::string& strategy() const { return result.scenario.strategy; }
  std::int64_t buyers() const { return result.scenario.buyers; }
  std::uint64_t seed() const { return result.scenario.seed; }
  Verdict verdict() const { return result.verdict; }
  Verdict expected_verdict() const { return result.scenario.expected; }
  bool correct() const { return result.verdict == Verdict::kValid; }
  std::int64_t tickets() const { return result.scenario.tickets; }
  std::int64_t sold() const { return result.check.sold; }
  // None when the store ended corrupt.
  std::optional<std::int64_t> remaining() const;
  double sales_per_s() const { return result.metrics.sales_per_s; }
  double window_s() const { return result.metrics.window_s; }
  const LatencyStats& buy() const { return result.metrics.buy; }
  const LatencyStats& search() const { return result.metrics.search; }
  std::int64_t retries() const { return result.check.retries; }
  const RetryCounts& retry() const { return result.metrics.retry; }
  const ConnectStats& connect() const { return result.metrics.connect; }
  std::int64_t indeterminate() const { return result.check.indeterminate; }
  std::int64_t timeouts() const { return result.check.timeouts; }
  // Every class, in report order.
  const std::vector<AnomalyReport>& anomalies() const { return result.check.anomalies; }
  std::int64_t anomaly_total() const;
  // Empty when the result had none.
  const std::vector<std::int64_t>& buy_histogram() const { return result.metrics.buy_histogram; }
  const std::vector<InventorySample>& inventory() const { return result.inventory; }
};

// The runs of one strategy at one buyer count, summed up.
struct Cell {
  std::string strategy;
  std::int64_t buyers = 0;
  std::vector<const RunRow*> runs;
  // Sales per second over the runs: sample standard deviation, and its
  // coefficient of variation (stddev / mean).
  double median = 0, mean = 0, stddev = 0, cv = 0, min = 0, max = 0;
  double buy_p99_s = 0;  // median of the runs' p99
  int valid = 0, invalid = 0, stuck = 0, interrupted = 0;
  // Per anomaly class, every class in report order: in how many runs it
  // was found, and how often in all.
  std::vector<std::pair<Anomaly, std::int64_t>> runs_with;
  std::vector<std::pair<Anomaly, std::int64_t>> totals;
  RetryCounts retry;  // retries and failures, summed over the runs
  // Median sales/s against the fastest cell at the same buyer count that was
  // correct in every run, with its error.
  double relative = 0, relative_error = 0;
  bool reference = false;
  // Whether `relative` means anything: false when no cell at this buyer
  // count was correct in every run, since a strategy that was wrong is no
  // yardstick.
  bool has_relative = false;

  bool all_correct() const { return !runs.empty() && valid == static_cast<int>(runs.size()); }
};

struct Comparison {
  Context context;
  std::string scenario_name;
  std::string scenario_file;
  std::vector<std::string> strategies;
  std::vector<std::int64_t> buyers;
  std::int64_t runs = 1;
  std::int64_t warmup = 0;
  std::string interrupted_by;  // the signal that cut it short, if one did
  std::vector<RunRow> rows;    // in the order they ran
};

// The comparison of one run, as `run --export` writes it and `report` reads
// a `run --json` result: the run's own context is the comparison's, and
// its command line repeats it.
Comparison single_run_comparison(Result result, const Context& context);

// Whether `json` is one run's JSON result (`run --json`) rather than a
// comparison's export.
bool is_single_run(const nlohmann::json& json);

// One cell per strategy and buyer count with at least one run, strategies
// in matrix order, then buyer counts.
std::vector<Cell> cells_of(const Comparison& comparison);

// The summary in words: who is fastest where, by how much; who was wrong.
std::vector<std::string> summary_lines(const Comparison& comparison, const std::vector<Cell>& cells);

// The JSON export: context, matrix, cells, summary and every run.
nlohmann::json comparison_json(const Comparison& comparison);

// Reads a JSON export back, or a single run's JSON result (`run --json`) as
// single_run_comparison makes it. `file` names it in errors (InputError).
Comparison comparison_from_json(const nlohmann::json& json, const std::string& file);

// "6 strategies x 4 buyer counts x 3 runs (1 warm-up run per cell not
// counted)": the matrix in words, as every report states it.
std::string matrix_words(const Comparison& comparison);

// The largest buyer count that has a run; 0 when none has.
std::int64_t largest_buyers_run(const Comparison& comparison);

}  // namespace ticketsim
