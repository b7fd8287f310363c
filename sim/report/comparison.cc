#include "sim/report/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sim/checker.h"
#include "sim/report/report.h"
#include "sim/report/result_json.h"
#include "sim/scenario.h"
#include "sim/stats.h"

namespace ticketsim {
namespace {

// Reading a JSON document someone may have edited: every miss is a
// one-line InputError that says where.
const nlohmann::json& member(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw InputError(fmt::format("{}: missing key '{}'", where, key));
  }
  return object[key];
}

double number(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = member(object, key, where);
  if (!value.is_number()) throw InputError(fmt::format("{}: key '{}' must be a number", where, key));
  return value.get<double>();
}

std::int64_t integer(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = member(object, key, where);
  if (!value.is_number_integer()) throw InputError(fmt::format("{}: key '{}' must be an integer", where, key));
  return value.get<std::int64_t>();
}

std::string text(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = member(object, key, where);
  if (!value.is_string()) throw InputError(fmt::format("{}: key '{}' must be a string", where, key));
  return value.get<std::string>();
}

LatencyStats latency_from(const nlohmann::json& object, const std::string& where) {
  LatencyStats stats;
  stats.count = integer(object, "count", where);
  stats.min = number(object, "min", where);
  stats.mean = number(object, "mean", where);
  stats.stddev = number(object, "stddev", where);
  stats.p50 = number(object, "p50", where);
  stats.p90 = number(object, "p90", where);
  stats.p99 = number(object, "p99", where);
  stats.p999 = number(object, "p99_9", where);
  stats.max = number(object, "max", where);
  return stats;
}

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

}  // namespace

std::int64_t RunRow::anomaly_total() const {
  std::int64_t total = 0;
  for (const auto& [key, count] : anomalies) total += count;
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
  for (const RunRow& row : comparison.rows) largest = std::max(largest, row.buyers);
  return largest;
}

std::string format_rate(double value) {
  if (std::fabs(value) < 100) return fmt::format("{:.3g}", value);
  std::string digits = fmt::format("{:.0f}", value);
  std::string out;
  std::size_t first = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

RunRow run_row(const nlohmann::json& result, const std::string& where) {
  RunRow row;
  row.strategy = text(result, "strategy", where);
  row.buyers = integer(result, "buyer_count", where);
  row.seed = static_cast<std::uint64_t>(integer(result, "seed", where));
  row.verdict = text(result, "verdict", where);
  row.expected_verdict = text(result, "expected_verdict", where);
  row.tickets = integer(result, "tickets", where);
  row.sold = integer(result, "sold", where);
  const nlohmann::json& remaining = member(result, "remaining", where);
  if (remaining.is_number_integer()) row.remaining = remaining.get<std::int64_t>();
  const nlohmann::json& throughput = member(result, "throughput", where);
  row.sales_per_s = number(throughput, "sales_per_s", where + ": throughput");
  row.window_s = number(throughput, "window_s", where + ": throughput");
  const nlohmann::json& latency = member(result, "latency_s", where);
  row.buy = latency_from(member(latency, "buy", where + ": latency_s"), where + ": latency_s: buy");
  row.search = latency_from(member(latency, "search", where + ": latency_s"), where + ": latency_s: search");
  row.retries = integer(result, "retries", where);
  row.indeterminate = integer(result, "indeterminate", where);
  row.timeouts = integer(result, "timeouts", where);
  const nlohmann::json& anomalies = member(result, "anomalies", where);
  for (int i = 0; i < kAnomalyClasses; ++i) {
    std::string key(anomaly_key(static_cast<Anomaly>(i)));
    row.anomalies.emplace_back(key, integer(anomalies, key.c_str(), where + ": anomalies"));
  }
  if (result.contains("latency_histogram")) {
    const nlohmann::json& buy = member(result["latency_histogram"], "buy", where + ": latency_histogram");
    if (!buy.is_array() || buy.size() != kHistogramBuckets) {
      throw InputError(fmt::format("{}: latency_histogram: key 'buy' must list {} counts", where, kHistogramBuckets));
    }
    for (const nlohmann::json& count : buy) {
      if (!count.is_number_integer()) throw InputError(fmt::format("{}: latency_histogram: counts must be integers", where));
      row.buy_histogram.push_back(count.get<std::int64_t>());
    }
  }
  const nlohmann::json& inventory = member(result, "inventory", where);
  if (!inventory.is_array()) throw InputError(fmt::format("{}: key 'inventory' must be a list", where));
  for (const nlohmann::json& sample : inventory) {
    row.inventory.push_back({number(sample, "t_s", where + ": inventory"), integer(sample, "count", where + ": inventory")});
  }
  if (result.contains("cell")) row.run = integer(result["cell"], "run", where + ": cell");
  if (result.contains("repeat_command") && result["repeat_command"].is_string()) {
    row.repeat_command = result["repeat_command"].get<std::string>();
  }
  row.result = result;
  return row;
}

RunRow run_row(const Result& result, std::int64_t run, const std::string& repeat_command) {
  nlohmann::json json = result_json(result);
  json["cell"] = {{"strategy", result.scenario.strategy}, {"buyers", result.scenario.buyers}, {"run", run}};
  json["repeat_command"] = repeat_command;
  return run_row(json, "run");
}

std::vector<Cell> cells_of(const Comparison& comparison) {
  std::vector<Cell> cells;
  for (const std::string& strategy : comparison.strategies) {
    for (std::int64_t buyers : comparison.buyers) {
      Cell cell;
      cell.strategy = strategy;
      cell.buyers = buyers;
      for (const RunRow& row : comparison.rows) {
        if (row.strategy == strategy && row.buyers == buyers) cell.runs.push_back(&row);
      }
      if (cell.runs.empty()) continue;
      std::vector<double> rates, p99s;
      std::map<std::string, std::int64_t> runs_with, totals;
      for (const RunRow* row : cell.runs) {
        rates.push_back(row->sales_per_s);
        p99s.push_back(row->buy.p99);
        if (row->verdict == "valid") ++cell.valid;
        else if (row->verdict == "invalid") ++cell.invalid;
        else if (row->verdict == "stuck") ++cell.stuck;
        else ++cell.interrupted;
        for (const auto& [key, count] : row->anomalies) {
          runs_with[key] += count > 0;
          totals[key] += count;
        }
      }
      for (const auto& [key, count] : cell.runs.front()->anomalies) {
        cell.runs_with.emplace_back(key, runs_with[key]);
        cell.totals.emplace_back(key, totals[key]);
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
    for (bool need_correct : {true, false}) {
      for (Cell& cell : cells) {
        if (cell.buyers != buyers || (need_correct && !cell.all_correct())) continue;
        if (!reference || cell.median > reference->median) reference = &cell;
      }
      if (reference) break;
    }
    if (!reference) continue;
    reference->reference = true;
    for (Cell& cell : cells) {
      if (cell.buyers != buyers || reference->median <= 0) continue;
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
    std::string at = buyers == 1 ? "at 1 buyer" : fmt::format("at {} buyers", buyers);
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
    std::map<std::string, std::int64_t> runs_with;
    std::vector<std::string> order;
    for (const Cell& cell : cells) {
      if (cell.strategy != strategy) continue;
      runs += static_cast<std::int64_t>(cell.runs.size());
      invalid += cell.invalid;
      stuck += cell.stuck;
      interrupted += cell.interrupted;
      for (const auto& [key, count] : cell.runs_with) {
        if (!runs_with.contains(key)) order.push_back(key);
        runs_with[key] += count;
      }
    }
    if (invalid > 0) {
      std::string line = fmt::format("{} was invalid in {} of {}", strategy, invalid, plural(runs, "run"));
      std::string found;
      for (const std::string& key : order) {
        if (runs_with[key] == 0) continue;
        std::string words = key;
        std::replace(words.begin(), words.end(), '_', ' ');
        found += fmt::format("{}{} in {}", found.empty() ? ": " : ", ", words, runs_with[key]);
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
    lines.push_back(fmt::format("interrupted by {} after {} of {} runs", comparison.interrupted_by,
                                comparison.rows.size(),
                                comparison.strategies.size() * comparison.buyers.size() * comparison.runs));
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
    for (const auto& [key, count] : cell.runs_with) runs_with[key] = count;
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
                         {"relative", cell.relative},
                         {"relative_error", cell.relative_error},
                         {"reference", cell.reference},
                         {"buy_p99_s", cell.buy_p99_s},
                         {"verdicts",
                          {{"valid", cell.valid},
                           {"invalid", cell.invalid},
                           {"stuck", cell.stuck},
                           {"interrupted", cell.interrupted}}},
                         {"runs_with_anomaly", runs_with}});
  }
  json["cells"] = std::move(cell_list);
  json["summary"] = summary_lines(comparison, cells);
  nlohmann::json runs = nlohmann::json::array();
  for (const RunRow& row : comparison.rows) runs.push_back(row.result);
  json["runs"] = std::move(runs);
  return json;
}

Comparison comparison_from_json(const nlohmann::json& json, const std::string& file) {
  if (!json.is_object()) throw InputError(fmt::format("{}: not a ticketsim result (not a JSON object)", file));
  Comparison comparison;
  if (!json.contains("kind")) {
    // One run's result, as `run --json` writes it.
    if (!json.contains("verdict")) {
      throw InputError(fmt::format("{}: not a ticketsim result or comparison (no 'kind' and no 'verdict')", file));
    }
    if (integer(json, "schema_version", file) != kSchemaVersion) {
      throw InputError(fmt::format("{}: schema_version {} is not the {} this ticketsim reads", file,
                                   json["schema_version"].dump(), kSchemaVersion));
    }
    RunRow row = run_row(json, file);
    comparison.context = context_from_json(json.value("context", nlohmann::json::object()));
    if (json.contains("scenario") && json["scenario"].is_object()) {
      comparison.scenario_name = json["scenario"].value("name", "");
      comparison.scenario_file = json["scenario"].value("file", "");
    }
    comparison.strategies = {row.strategy};
    comparison.buyers = {row.buyers};
    comparison.rows.push_back(std::move(row));
    return comparison;
  }
  if (text(json, "kind", file) != kComparisonKind) {
    throw InputError(fmt::format("{}: key 'kind' is '{}', not {}", file, json["kind"].get<std::string>(), kComparisonKind));
  }
  if (integer(json, "schema_version", file) != kComparisonSchemaVersion) {
    throw InputError(fmt::format("{}: schema_version {} is not the {} this ticketsim reads", file,
                                 json["schema_version"].dump(), kComparisonSchemaVersion));
  }
  comparison.context = context_from_json(member(json, "context", file));
  const nlohmann::json& scenario = member(json, "scenario", file);
  comparison.scenario_name = text(scenario, "name", file + ": scenario");
  comparison.scenario_file = text(scenario, "file", file + ": scenario");
  const nlohmann::json& matrix = member(json, "matrix", file);
  const nlohmann::json& strategies = member(matrix, "strategies", file + ": matrix");
  const nlohmann::json& buyers = member(matrix, "buyers", file + ": matrix");
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
  comparison.runs = integer(matrix, "runs", file + ": matrix");
  comparison.warmup = integer(matrix, "warmup", file + ": matrix");
  if (json.contains("interrupted_by") && json["interrupted_by"].is_string()) {
    comparison.interrupted_by = json["interrupted_by"].get<std::string>();
  }
  if (comparison.strategies.empty() || comparison.buyers.empty()) {
    throw InputError(fmt::format("{}: matrix: 'strategies' and 'buyers' must not be empty", file));
  }
  const nlohmann::json& runs = member(json, "runs", file);
  if (!runs.is_array()) throw InputError(fmt::format("{}: key 'runs' must be a list", file));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::string where = fmt::format("{}: runs[{}]", file, i);
    RunRow row = run_row(runs[i], where);
    if (std::find(comparison.strategies.begin(), comparison.strategies.end(), row.strategy) == comparison.strategies.end() ||
        std::find(comparison.buyers.begin(), comparison.buyers.end(), row.buyers) == comparison.buyers.end()) {
      throw InputError(fmt::format("{}: {} at {} buyers is not a cell of the matrix", where, row.strategy, row.buyers));
    }
    comparison.rows.push_back(std::move(row));
  }
  return comparison;
}

}  // namespace ticketsim
