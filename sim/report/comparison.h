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
#include "sim/metrics.h"
#include "sim/result.h"

namespace ticketsim {

inline constexpr int kComparisonSchemaVersion = 1;
inline constexpr const char* kComparisonKind = "ticketsim-comparison";

// One run, as the exports read it.
struct RunRow {
  std::string strategy;
  std::int64_t buyers = 0;
  std::int64_t run = 1;  // 1-based within its cell
  std::uint64_t seed = 0;
  std::string verdict;  // valid, invalid, stuck, interrupted
  std::string expected_verdict;
  std::int64_t tickets = 0;
  std::int64_t sold = 0;
  std::optional<std::int64_t> remaining;  // none when the store was corrupt
  double sales_per_s = 0;
  double window_s = 0;
  LatencyStats buy;
  LatencyStats search;
  std::int64_t retries = 0;
  std::int64_t indeterminate = 0;
  std::int64_t timeouts = 0;
  std::vector<std::pair<std::string, std::int64_t>> anomalies;  // every class, in report order
  std::vector<std::int64_t> buy_histogram;  // empty when the result had none
  std::vector<InventorySample> inventory;
  std::string repeat_command;
  nlohmann::json result;  // the whole JSON result of the run

  std::int64_t anomaly_total() const;
  bool correct() const { return verdict == "valid"; }
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
  // Per anomaly class: in how many runs it was found, and how often in all.
  std::vector<std::pair<std::string, std::int64_t>> runs_with;
  std::vector<std::pair<std::string, std::int64_t>> totals;
  // Median sales/s against the fastest cell at the same buyer count that was
  // correct in every run (or the fastest, if none was), with its error.
  double relative = 0, relative_error = 0;
  bool reference = false;

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

// The row of one run just made; `repeat_command` repeats it.
RunRow run_row(const Result& result, std::int64_t run, const std::string& repeat_command);

// The row of a JSON result (result_json's, or a comparison's run). `where`
// names it in errors, which are InputError.
RunRow run_row(const nlohmann::json& result, const std::string& where);

// One cell per strategy and buyer count with at least one run, strategies
// in matrix order, then buyer counts.
std::vector<Cell> cells_of(const Comparison& comparison);

// The summary in words: who is fastest where, by how much; who was wrong.
std::vector<std::string> summary_lines(const Comparison& comparison, const std::vector<Cell>& cells);

// The JSON export: context, matrix, cells, summary and every run.
nlohmann::json comparison_json(const Comparison& comparison);

// Reads a JSON export back, or a single run's JSON result (`run --json`).
// `file` names it in errors (InputError).
Comparison comparison_from_json(const nlohmann::json& json, const std::string& file);

// "12,345" from 100 up (thousands separators, no decimals); "8.52" below
// (three significant digits).
std::string format_rate(double value);

// "6 strategies x 4 buyer counts x 3 runs (1 warm-up run per cell not
// counted)": the matrix in words, as every report states it.
std::string matrix_words(const Comparison& comparison);

// The largest buyer count that has a run; 0 when none has.
std::int64_t largest_buyers_run(const Comparison& comparison);

}  // namespace ticketsim
