#include "sim/report/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sim/checker.h"
#include "sim/report/json_input.h"
#include "sim/report/report.h"
#include "sim/report/result_json.h"
#include "sim/scenario.h"
#include "sim/stats.h"

namespace ticketsim {
namespace {

// "3.1 ± 0.2 × faster than sqlite"; with one run per cell there is no
// spread to give. A lead smaller than its own error is no lead: "level
// with queue (1.0 ± 0.2 ×)".
std::string lead_words(double ratio, double error, bool spread, const std::string& other) {
  int decimals = ratio >= 10 ? 0 : 2;
  std::string times = spread ? fmt::format("{:.{}f} ± {:.{}f} ×", ratio, decimals, error, decimals)
                             : fmt::format("{:.{}f} ×", ratio, decimals);
  bool level = spread ? ratio - error <= 1.0 : ratio < 1.05;
  if (level) return fmt::format("level with {} ({})", other, times);
  return fmt::format("{} faster than {}", times, other);
}

// A run of the JSON export: its JSON result, where it sits in the matrix,
// the command that repeats it, and its own context when it has one.
nlohmann::json run_json(const RunRow& row) {
  nlohmann::json json = result_json(row.result);
  json["cell"] = {{"strategy", row.strategy()}, {"buyers", row.buyers()}, {"run", row.run}};
  json["repeat_command"] = row.repeat_command;
  if (row.context) json["context"] = context_json(*row.context);
  return json;
}

// What run_json wrote, or a `run --json` result (no cell, no command).
RunRow run_from_json(const nlohmann::json& json, const std::string& where) {
  RunRow row;
  row.result = result_from_json(json, where);
  if (json.contains("cell")) row.run = json_integer(json["cell"], "run", where + ": cell");
  if (json.contains("repeat_command")) row.repeat_command = json_text(json, "repeat_command", where);
  if (json.contains("context")) row.context = context_from_json(json["context"]);
  return row;
}

}  // namespace

std::optional<std::int64_t> RunRow::remaining() const {
  if (result.final_state.corrupt) return std::nullopt;
  return result.final_state.remaining;
}

std::int64_t RunRow::anomaly_total() const {
  std::int64_t total = 0;
  for (const AnomalyReport& report : anomalies()) total += report.count;
  return total;
}

std::string matrix_words(const Comparison& c) {
  std::string line = fmt::format("{} x {} x {}", plural(static_cast<std::int64_t>(c.strategies.size()), "strategy", "strategies"),
                                 plural(static_cast<std::int64_t>(c.buyers.size()), "buyer count"), plural(c.runs, "run"));
  if (c.warmup > 0) line += fmt::format(" ({} per cell not counted)", plural(c.warmup, "warm-up run"));
  return line;
}

std::int64_t largest_buyers_run(const Comparison& comparison) {
  std::int64_t largest = 0;
  for (const RunRow& row : comparison.rows) largest = std::max(largest, row.buyers());
  return largest;
}

Comparison single_run_comparison(Result result, const Context& context) {
  Comparison comparison;
  comparison.context = context;
  comparison.scenario_name = result.scenario.name;
  comparison.scenario_file = result.scenario.file;
  comparison.strategies = {result.scenario.strategy};
  comparison.buyers = {result.scenario.buyers};
  comparison.rows.push_back({std::move(result), 1, context.command_line, context});
  return comparison;
}

bool is_single_run(const nlohmann::json& json) {
  return json.is_object() && !json.contains("kind") && json.contains("verdict");
}

std::vector<Cell> cells_of(const Comparison& comparison) {
  std::vector<Cell> cells;
  for (const std::string& strategy : comparison.strategies) {
    for (std::int64_t buyers : comparison.buyers) {
      Cell cell;
      cell.strategy = strategy;
      cell.buyers = buyers;
      for (const RunRow& row : comparison.rows) {
        if (row.strategy() == strategy && row.buyers() == buyers) cell.runs.push_back(&row);
      }
      if (cell.runs.empty()) continue;
      std::vector<double> rates, p99s;
      for (int i = 0; i < kAnomalyClasses; ++i) {
        cell.runs_with.emplace_back(static_cast<Anomaly>(i), 0);
        cell.totals.emplace_back(static_cast<Anomaly>(i), 0);
      }
      for (const RunRow* row : cell.runs) {
        rates.push_back(row->sales_per_s());
        p99s.push_back(row->buy().p99);
        cell.retry += row->retry();
        switch (row->verdict()) {
          case Verdict::kValid: ++cell.valid; break;
          case Verdict::kInvalid: ++cell.invalid; break;
          case Verdict::kStuck: ++cell.stuck; break;
          case Verdict::kInterrupted: ++cell.interrupted; break;
        }
        for (const AnomalyReport& report : row->anomalies()) {
          cell.runs_with[static_cast<int>(report.anomaly)].second += report.count > 0;
          cell.totals[static_cast<int>(report.anomaly)].second += report.count;
        }
      }
      cell.median = median(rates);
      cell.buy_p99_s = median(p99s);
      MeanDeviation spread = mean_deviation(rates, Deviation::kSample);
      cell.mean = spread.mean;
      cell.stddev = spread.stddev;
      cell.cv = cell.mean > 0 ? cell.stddev / cell.mean : 0;
      cell.min = *std::min_element(rates.begin(), rates.end());
      cell.max = *std::max_element(rates.begin(), rates.end());
      cells.push_back(std::move(cell));
    }
  }
  for (std::int64_t buyers : comparison.buyers) {
    Cell* reference = nullptr;
    for (Cell& cell : cells) {
      if (cell.buyers != buyers || !cell.all_correct()) continue;
      if (!reference || cell.median > reference->median) reference = &cell;
    }
    if (!reference) continue;
    reference->reference = true;
    for (Cell& cell : cells) {
      if (cell.buyers != buyers || reference->median <= 0) continue;
      cell.has_relative = true;
      cell.relative = cell.median / reference->median;
      cell.relative_error = &cell == reference ? 0 : cell.relative * std::hypot(cell.cv, reference->cv);
    }
  }
  return cells;
}

std::vector<std::string> summary_lines(const Comparison& comparison, const std::vector<Cell>& cells) {
  std::vector<std::string> lines;
  bool spread = comparison.runs > 1;
  for (std::int64_t buyers : comparison.buyers) {
    std::vector<const Cell*> ranked;
    bool ran = false;  // an interrupted comparison may not have reached it
    for (const Cell& cell : cells) {
      if (cell.buyers != buyers) continue;
      ran = true;
      if (cell.all_correct()) ranked.push_back(&cell);
    }
    if (!ran) continue;
    std::sort(ranked.begin(), ranked.end(), [](const Cell* a, const Cell* b) { return a->median > b->median; });
    std::string at = "at " + plural(buyers, "buyer");
    if (ranked.empty()) {
      lines.push_back(fmt::format("{}, no strategy was correct in every run", at));
      continue;
    }
    const Cell& best = *ranked.front();
    if (comparison.strategies.size() == 1) {  // nothing to rank against
      lines.push_back(fmt::format("{}, {} sold {} sales/s", at, best.strategy, format_rate(best.median)));
      continue;
    }
    std::string line = fmt::format("{}, {} sold fastest ({} sales/s)", at, best.strategy, format_rate(best.median));
    if (ranked.size() == 1) line += ", the only strategy correct in every run";
    for (std::size_t i = 1; i < ranked.size(); ++i) {
      const Cell& other = *ranked[i];
      if (other.median <= 0) {
        line += fmt::format("{} {} sold nothing", i == 1 ? ":" : ",", other.strategy);
        continue;
      }
      double ratio = best.median / other.median;
      double error = ratio * std::hypot(best.cv, other.cv);
      line += fmt::format("{} {}", i == 1 ? ":" : ",", lead_words(ratio, error, spread, other.strategy));
    }
    lines.push_back(line);
  }
  for (const std::string& strategy : comparison.strategies) {
    std::int64_t runs = 0, invalid = 0, stuck = 0, interrupted = 0;
    std::map<Anomaly, std::int64_t> runs_with;
    std::vector<Anomaly> order;
    for (const Cell& cell : cells) {
      if (cell.strategy != strategy) continue;
      runs += static_cast<std::int64_t>(cell.runs.size());
      invalid += cell.invalid;
      stuck += cell.stuck;
      interrupted += cell.interrupted;
      for (const auto& [anomaly, count] : cell.runs_with) {
        if (!runs_with.contains(anomaly)) order.push_back(anomaly);
        runs_with[anomaly] += count;
      }
    }
    if (invalid > 0) {
      std::string line = fmt::format("{} was invalid in {} of {}", strategy, invalid, plural(runs, "run"));
      std::string found;
      for (Anomaly anomaly : order) {
        if (runs_with[anomaly] == 0) continue;
        std::string words(anomaly_key(anomaly));
        std::replace(words.begin(), words.end(), '_', ' ');
        found += fmt::format("{}{} in {}", found.empty() ? ": " : ", ", words, runs_with[anomaly]);
      }
      lines.push_back(line + found);
    }
    if (stuck > 0) lines.push_back(fmt::format("{} was stuck in {} of {}", strategy, stuck, plural(runs, "run")));
    if (interrupted > 0) {
      lines.push_back(fmt::format("{} was interrupted in {} of {}", strategy, interrupted, plural(runs, "run")));
    }
  }
  std::vector<std::string> noisy;
  for (const Cell& cell : cells) {
    if (cell.runs.size() > 1 && cell.cv > 0.10) noisy.push_back(fmt::format("{} at {}", cell.strategy, cell.buyers));
  }
  if (!noisy.empty()) {
    std::string list;
    for (const std::string& name : noisy) list += (list.empty() ? "" : ", ") + name;
    lines.push_back(fmt::format("noisy (CV above 10%): {}; more runs would narrow it", list));
  }
  if (!comparison.interrupted_by.empty()) {
    std::int64_t planned = static_cast<std::int64_t>(comparison.strategies.size() * comparison.buyers.size()) *
                           comparison.runs;
    lines.push_back(fmt::format("interrupted by {} after {} of {}", comparison.interrupted_by,
                                grouped(static_cast<std::int64_t>(comparison.rows.size())), plural(planned, "run")));
  }
  return lines;
}

nlohmann::json comparison_json(const Comparison& comparison) {
  std::vector<Cell> cells = cells_of(comparison);
  nlohmann::json json;
  json["schema_version"] = kComparisonSchemaVersion;
  json["kind"] = kComparisonKind;
  json["context"] = context_json(comparison.context);
  json["scenario"] = {{"name", comparison.scenario_name}, {"file", comparison.scenario_file}};
  json["matrix"] = {{"strategies", comparison.strategies},
                    {"buyers", comparison.buyers},
                    {"runs", comparison.runs},
                    {"warmup", comparison.warmup}};
  json["interrupted_by"] =
      comparison.interrupted_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(comparison.interrupted_by);
  nlohmann::json cell_list = nlohmann::json::array();
  for (const Cell& cell : cells) {
    nlohmann::json runs_with = nlohmann::json::object();
    for (const auto& [anomaly, count] : cell.runs_with) runs_with[std::string(anomaly_key(anomaly))] = count;
    cell_list.push_back({{"strategy", cell.strategy},
                         {"buyers", cell.buyers},
                         {"runs", cell.runs.size()},
                         {"sales_per_s",
                          {{"median", cell.median},
                           {"mean", cell.mean},
                           {"stddev", cell.stddev},
                           {"cv", cell.cv},
                           {"min", cell.min},
                           {"max", cell.max}}},
                         {"relative", cell.has_relative ? nlohmann::json(cell.relative) : nlohmann::json(nullptr)},
                         {"relative_error",
                          cell.has_relative ? nlohmann::json(cell.relative_error) : nlohmann::json(nullptr)},
                         {"reference", cell.reference},
                         {"buy_p99_s", cell.buy_p99_s},
                         {"verdicts",
                          {{"valid", cell.valid},
                           {"invalid", cell.invalid},
                           {"stuck", cell.stuck},
                           {"interrupted", cell.interrupted}}},
                         {"runs_with_anomaly", runs_with},
                         {"failures_detailed",
                          {{"serialization_failures", cell.retry.serialization_failures},
                           {"deadlock_failures", cell.retry.deadlock_failures},
                           {"retried_transactions", cell.retry.retried},
                           {"total_retries", cell.retry.retries},
                           {"failed_transactions", cell.retry.failed}}}});
  }
  json["cells"] = std::move(cell_list);
  json["summary"] = summary_lines(comparison, cells);
  nlohmann::json runs = nlohmann::json::array();
  for (const RunRow& row : comparison.rows) runs.push_back(run_json(row));
  json["runs"] = std::move(runs);
  return json;
}

Comparison comparison_from_json(const nlohmann::json& json, const std::string& file) {
  if (!json.is_object()) throw InputError(fmt::format("{}: not a ticketsim result (not a JSON object)", file));
  if (!json.contains("kind")) {
    if (!is_single_run(json)) {
      throw InputError(fmt::format("{}: not a ticketsim result or comparison (no 'kind' and no 'verdict')", file));
    }
    RunRow row = run_from_json(json, file);
    Comparison comparison = single_run_comparison(std::move(row.result), row.context.value_or(Context{}));
    // A result without a context keeps none; one that names its repeat
    // command keeps it rather than the context's command line.
    RunRow& only = comparison.rows.front();
    only.context = row.context;
    if (!row.repeat_command.empty()) only.repeat_command = row.repeat_command;
    return comparison;
  }
  Comparison comparison;
  if (json_text(json, "kind", file) != kComparisonKind) {
    throw InputError(fmt::format("{}: key 'kind' is '{}', not {}", file, json["kind"].get<std::string>(), kComparisonKind));
  }
  if (json_integer(json, "schema_version", file) != kComparisonSchemaVersion) {
    throw InputError(fmt::format("{}: schema_version {} is not the {} this ticketsim reads", file,
                                 json["schema_version"].dump(), kComparisonSchemaVersion));
  }
  comparison.context = context_from_json(json_member(json, "context", file));
  const nlohmann::json& scenario = json_member(json, "scenario", file);
  comparison.scenario_name = json_text(scenario, "name", file + ": scenario");
  comparison.scenario_file = json_text(scenario, "file", file + ": scenario");
  const nlohmann::json& matrix = json_member(json, "matrix", file);
  const nlohmann::json& strategies = json_member(matrix, "strategies", file + ": matrix");
  const nlohmann::json& buyers = json_member(matrix, "buyers", file + ": matrix");
  if (!strategies.is_array() || !buyers.is_array()) {
    throw InputError(fmt::format("{}: matrix: 'strategies' and 'buyers' must be lists", file));
  }
  for (const nlohmann::json& name : strategies) {
    if (!name.is_string()) throw InputError(fmt::format("{}: matrix: strategies must be strings", file));
    comparison.strategies.push_back(name.get<std::string>());
  }
  for (const nlohmann::json& count : buyers) {
    if (!count.is_number_integer()) throw InputError(fmt::format("{}: matrix: buyers must be integers", file));
    comparison.buyers.push_back(count.get<std::int64_t>());
  }
  comparison.runs = json_integer(matrix, "runs", file + ": matrix");
  comparison.warmup = json_integer(matrix, "warmup", file + ": matrix");
  if (json.contains("interrupted_by") && json["interrupted_by"].is_string()) {
    comparison.interrupted_by = json["interrupted_by"].get<std::string>();
  }
  if (comparison.strategies.empty() || comparison.buyers.empty()) {
    throw InputError(fmt::format("{}: matrix: 'strategies' and 'buyers' must not be empty", file));
  }
  const nlohmann::json& runs = json_list(json, "runs", file);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::string where = fmt::format("{}: runs[{}]", file, i);
    RunRow row = run_from_json(runs[i], where);
    if (std::find(comparison.strategies.begin(), comparison.strategies.end(), row.strategy()) == comparison.strategies.end() ||
        std::find(comparison.buyers.begin(), comparison.buyers.end(), row.buyers()) == comparison.buyers.end()) {
      throw InputError(fmt::format("{}: {} at {} buyers is not a cell of the matrix", where, row.strategy(), row.buyers()));
    }
    comparison.rows.push_back(std::move(row));
  }
  return comparison;
}

}  // namespace ticketsim
