// Comparisons on synthetic runs: the per-cell statistics, the Relative
// column and the summary in words; the JSON export read back; the CSV,
// Markdown and HTML exports; and the small helpers they stand on (rates,
// histogram buckets, shell quoting, file hashes, the context).
#include "sim/report/comparison.h"

#include <stdio.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/checker.h"
#include "sim/report/context.h"
#include "sim/report/exports.h"
#include "sim/report/html_report.h"
#include "sim/report/report.h"
#include "sim/report/result_json.h"
#include "sim/metrics.h"
#include "sim/result.h"
#include "sim/scenario.h"
#include "tests/temp_dir.h"

using namespace ticketsim;

// Lists of lines (summaries, CSV records) shown in failures, one per line.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string text = "{";
    for (const std::string& line : lines) text += "\n  \"" + line + "\"";
    return (text + "\n}").c_str();
  }
};
}  // namespace doctest

namespace {

// ---------------------------------------------------------------------------
// Synthetic runs

// One run as a test describes it; result_of plants it in a Result as a run
// would have made it, row_of in the RunRow a comparison holds.
struct Run {
  std::string strategy = "sqlite";
  std::int64_t buyers = 4;
  std::int64_t run = 1;
  double rate = 100;  // sales/s
  Verdict verdict = Verdict::kValid;
  double p99 = 0.001;  // buy p99, seconds
  std::vector<std::pair<std::string, std::int64_t>> anomalies = {};
  std::vector<std::pair<double, std::int64_t>> inventory = {};
  std::string repeat = "ticketsim run scenarios/rush.toml";
  std::optional<std::int64_t> remaining = 0;  // none: the store ended corrupt
  bool histogram = true;
};

LatencyStats latency_of(double p99) {
  return {.count = 40, .min = p99 / 10, .mean = p99 / 4, .stddev = p99 / 5, .p50 = p99 / 5, .p90 = p99 / 2,
          .p99 = p99, .p999 = p99 * 1.5, .max = p99 * 2};
}

Anomaly anomaly_named(const std::string& key) {
  for (int i = 0; i < kAnomalyClasses; ++i) {
    if (anomaly_key(static_cast<Anomaly>(i)) == key) return static_cast<Anomaly>(i);
  }
  FAIL("no anomaly class " << key);
  return Anomaly::kOversold;
}

Result result_of(const Run& r) {
  Result result;
  Scenario& scenario = result.scenario;
  scenario.name = "rush";
  scenario.file = "scenarios/rush.toml";
  scenario.strategy = r.strategy;
  scenario.buyers = r.buyers;
  scenario.tickets = 100;
  scenario.seed = 1000 + static_cast<std::uint64_t>(r.run);
  result.verdict = r.verdict;
  if (r.verdict == Verdict::kStuck) result.stuck_reason = "planted: the lock's holder is dead", result.stuck_after_s = 2;
  if (r.verdict == Verdict::kInterrupted) result.interrupted_by = "SIGINT";
  result.check.sold = r.verdict == Verdict::kValid ? 100 : 103;
  result.check.retries = 2;
  for (int i = 0; i < kAnomalyClasses; ++i) result.check.anomalies.push_back({static_cast<Anomaly>(i), 0, {}});
  for (const auto& [key, count] : r.anomalies) {
    AnomalyReport& report = result.check.anomalies[static_cast<int>(anomaly_named(key))];
    report.count = count;
    report.example = "planted " + key;
  }
  if (r.remaining) {
    result.final_state.remaining = *r.remaining;
  } else {
    result.final_state.corrupt = true;
    result.final_state.problem = "planted: torn document";
  }
  for (const auto& [t, count] : r.inventory) result.inventory.push_back({t, count});
  Metrics& metrics = result.metrics;
  metrics.sales_per_s = r.rate;
  metrics.attempts_per_s = r.rate;
  metrics.window_s = 1.5;
  metrics.buy = latency_of(r.p99);
  metrics.search = latency_of(r.p99 / 2);
  if (r.histogram) {
    metrics.buy_histogram.assign(kHistogramBuckets, 0);
    metrics.buy_histogram[histogram_bucket(static_cast<std::int64_t>(r.p99 / 5 * 1e9))] = 30;
    metrics.buy_histogram[histogram_bucket(static_cast<std::int64_t>(r.p99 * 1e9))] = 10;
  }
  return result;
}

RunRow row_of(const Run& r) { return {result_of(r), r.run, r.repeat, std::nullopt}; }

Comparison comparison_of(std::vector<std::string> strategies, std::vector<std::int64_t> buyers, std::int64_t runs,
                         const std::vector<Run>& list) {
  Comparison c;
  c.scenario_name = "rush";
  c.scenario_file = "scenarios/rush.toml";
  c.strategies = std::move(strategies);
  c.buyers = std::move(buyers);
  c.runs = runs;
  for (const Run& run : list) c.rows.push_back(row_of(run));
  return c;
}

// Runs of one cell, numbered 1.., one per rate.
std::vector<Run> cell_runs(const std::string& strategy, std::int64_t buyers, std::vector<double> rates,
                           Verdict verdict = Verdict::kValid) {
  std::vector<Run> list;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    list.push_back({.strategy = strategy, .buyers = buyers, .run = static_cast<std::int64_t>(i) + 1,
                    .rate = rates[i], .verdict = verdict});
  }
  return list;
}

std::vector<Run> joined(std::vector<std::vector<Run>> parts) {
  std::vector<Run> all;
  for (auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

const Cell& cell_at(const std::vector<Cell>& cells, const std::string& strategy, std::int64_t buyers) {
  auto it = std::find_if(cells.begin(), cells.end(),
                         [&](const Cell& c) { return c.strategy == strategy && c.buyers == buyers; });
  REQUIRE(it != cells.end());
  return *it;
}

std::int64_t pair_value(const std::vector<std::pair<Anomaly, std::int64_t>>& pairs, const std::string& key) {
  for (const auto& [anomaly, v] : pairs) {
    if (anomaly_key(anomaly) == key) return v;
  }
  FAIL("no key " << key);
  return -1;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// The matrix most export tests use: at 4 buyers file-lock is the fastest
// correct strategy (300 sales/s, CV 1/30), sqlite a third of it and noisy
// (CV 0.2), plain faster than both but invalid in every run (oversold).
Comparison sample_matrix() {
  std::vector<Run> plain = cell_runs("plain", 4, {950, 1000, 1050}, Verdict::kInvalid);
  for (Run& r : plain) r.anomalies = {{"oversold", 3}};
  plain[1].anomalies.push_back({"lost_updates", 2});
  std::vector<Run> file_lock = cell_runs("file-lock", 4, {290, 300, 310});
  file_lock[0].inventory = {{0.0, 100}, {0.1, 60}, {0.25, 0}};
  Comparison c = comparison_of({"file-lock", "sqlite", "plain"}, {1, 4}, 3,
                               joined({cell_runs("file-lock", 1, {60, 61, 62}), cell_runs("sqlite", 1, {40, 41, 42}),
                                       cell_runs("plain", 1, {70, 71, 72}), file_lock,
                                       cell_runs("sqlite", 4, {80, 100, 120}), plain}));
  c.warmup = 1;
  c.context.ticketsim_version = "0.4.0";
  c.context.git_revision = "9a1647f-dirty";
  c.context.build_type = "debugoptimized";
  c.context.compiler = "gcc 13.2.0";
  c.context.cpu_model = "Test CPU @ 3.00GHz";
  c.context.cpus_online = 8;
  c.context.cpus_usable = 4;
  c.context.kernel = "Linux 6.1.0 #1 SMP x86_64";
  c.context.store_dir = "/tmp/stores";
  c.context.store_filesystem = "tmpfs";
  c.context.sqlite_version = "3.40.1";
  c.context.boost_version = "1.83.0";
  c.context.scenario_file = "scenarios/rush.toml";
  c.context.scenario_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  c.context.seed = std::numeric_limits<std::uint64_t>::max();
  c.context.command_line = "ticketsim compare 'a b' --export 'x<y>.html'";
  c.context.started_at = "2024-05-01T12:00:00Z";
  return c;
}

// RFC 4180: records of fields; a quote only opens a field or doubles inside one.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c != '"') field += c;
      else if (i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else quoted = false;
    } else if (c == '"') {
      REQUIRE_MESSAGE((field.empty() && !was_quoted), "stray quote at " << i);
      quoted = was_quoted = true;
    } else if (c == ',' || c == '\n') {
      record.push_back(field);
      field.clear();
      was_quoted = false;
      if (c == '\n') records.push_back(std::move(record)), record.clear();
    } else {
      REQUIRE_MESSAGE(!was_quoted, "text after a closing quote at " << i);
      field += c;
    }
  }
  REQUIRE_MESSAGE(!quoted, "unterminated quoted field");
  REQUIRE_MESSAGE((record.empty() && field.empty()), "last record without a newline");
  return records;
}

// The cells of a Markdown table row "| a | b\|c |": split at unescaped pipes.
std::vector<std::string> md_row(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  cells.push_back(cell);
  REQUIRE(cells.size() >= 2);
  CHECK(cells.front().empty());
  CHECK(cells.back().empty());
  cells = {cells.begin() + 1, cells.end() - 1};
  for (std::string& c : cells) {
    c.erase(0, c.find_first_not_of(' '));
    c.erase(c.find_last_not_of(' ') + 1);
  }
  return cells;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// The table rows of a Markdown export (those starting with "| ", after the
// header and its alignment row).
std::vector<std::vector<std::string>> md_table(const std::string& markdown) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : lines_of(markdown)) {
    if (line.rfind("|", 0) == 0) rows.push_back(md_row(line));
  }
  return rows;
}

// The message of the InputError that comparison_from_json throws.
std::string from_json_error(const nlohmann::json& json, const std::string& file) {
  try {
    comparison_from_json(json, file);
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no InputError");
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------
// RunRow, and the JSON result written and read back

TEST_CASE("RunRow reads every figure from its Result") {
  Run r{.strategy = "file-lock", .buyers = 8, .run = 3, .rate = 1234.5, .verdict = Verdict::kInvalid, .p99 = 0.004,
        .anomalies = {{"oversold", 2}, {"unfinished_buyers", 1}}, .inventory = {{0.0, 100}, {0.5, 40}},
        .repeat = "ticketsim run x.toml --seed 7"};
  RunRow row = row_of(r);
  CHECK(row.strategy() == "file-lock");
  CHECK(row.buyers() == 8);
  CHECK(row.run == 3);
  CHECK(row.seed() == 1003);
  CHECK(row.verdict() == Verdict::kInvalid);
  CHECK_FALSE(row.correct());
  CHECK(row.expected_verdict() == Verdict::kValid);
  CHECK(row.tickets() == 100);
  CHECK(row.sold() == 103);
  REQUIRE(row.remaining().has_value());
  CHECK(*row.remaining() == 0);
  CHECK(row.sales_per_s() == 1234.5);
  CHECK(row.window_s() == 1.5);
  CHECK(row.buy().count == 40);
  CHECK(row.buy().p99 == doctest::Approx(0.004));
  CHECK(row.buy().p999 == doctest::Approx(0.006));
  CHECK(row.search().p99 == doctest::Approx(0.002));
  CHECK(row.retries() == 2);
  REQUIRE(row.anomalies().size() == static_cast<std::size_t>(kAnomalyClasses));
  for (int i = 0; i < kAnomalyClasses; ++i) CHECK(row.anomalies()[i].anomaly == static_cast<Anomaly>(i));
  CHECK(row.result.check.count(Anomaly::kOversold) == 2);
  CHECK(row.result.check.count(Anomaly::kUnfinishedBuyers) == 1);
  CHECK(row.anomaly_total() == 3);
  CHECK(row.buy_histogram().size() == static_cast<std::size_t>(kHistogramBuckets));
  REQUIRE(row.inventory().size() == 2);
  CHECK(row.inventory()[1].at_s == 0.5);
  CHECK(row.inventory()[1].count == 40);
  CHECK(row.repeat_command == "ticketsim run x.toml --seed 7");

  // A corrupt store ended with no count.
  row.result.final_state.corrupt = true;
  CHECK_FALSE(row.remaining().has_value());
}

namespace {

// A Result with every field result_json writes set to something other than
// its default, so that a field the reader dropped shows.
Result every_field_result() {
  Result result = result_of({.strategy = "queue", .buyers = 3, .run = 2, .rate = 812.25, .verdict = Verdict::kStuck,
                             .p99 = 0.0123, .anomalies = {{"stale_reads", 4}, {"corrupt_store", 1}},
                             .inventory = {{0.0, 100}, {0.125, 61}, {1.5, 3}}});
  result.ticketsim_version = "0.0.9-planted";  // an older ticketsim's result
  Scenario& scenario = result.scenario;
  scenario.description = "a \"quoted\" description,\nover two lines";
  scenario.mode = Mode::kSerial;
  scenario.attempts = 7;
  scenario.seed = std::numeric_limits<std::uint64_t>::max();
  scenario.delays = {std::chrono::microseconds(250), std::chrono::nanoseconds(1'500'000'001), 0.3};
  scenario.expected = Verdict::kStuck;
  scenario.expected_from = "--expect";
  scenario.file_expected = Verdict::kInvalid;
  scenario.lock_timeout = std::chrono::milliseconds(1500);
  result.check.searches = 41;
  result.check.attempts = 21;
  result.check.sold_out = 3;
  result.check.indeterminate = 2;
  result.check.timeouts = 5;
  result.check.cancelled = 6;
  result.check.retries = 9;
  result.final_state.ledger_sales = 17;
  result.final_state.lock_recoveries = 1;
  result.final_state.problem = "";
  result.final_state.remaining = 83;
  result.stuck_after_s = 2.75;
  result.faults = {{4242, "kill in-critical-section at purchase 1"}, {4243, "pause before-lock at purchase 2"}};
  result.seller_pid = 4200;
  result.seller_ended = "killed by SIGTERM";
  Metrics& metrics = result.metrics;
  metrics.spawn_s = 0.0042;
  metrics.attempts_per_s = 1234.0625;
  metrics.tickets_per_buyer = {.min = 1, .mean = 5.666666666666667, .max = 9, .stddev = 4.0414518843273797};
  result.buyers = {{4242, 4000, 137, "killed by SIGKILL", 1, 1, "", {}, 0.00125},
                   {4243, 4000, 0, "exited 0", 7, 9, "", {3, 1, 2, 4, 0}, 0.0025},
                   {4244, 4000, 1, "exited 1", 9, 11, "store: I/O error", {5, 0, 3, 4, 1}, 0.005},
                   {4245, 4000, 137, "killed by SIGKILL", 0, 1, "", {}, 0.00125, true}};
  metrics.retry = {8, 1, 5, 8, 1};
  metrics.connect = {.median_s = 0.0025, .max_s = 0.005};
  metrics.sold_by_buyer = {1, 7, 9, 0};
  metrics.attempts_by_buyer = {1, 9, 11, 1};
  return result;
}

// What `print` writes to a file, read back.
std::string printed(const std::function<void(std::FILE*)>& print) {
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  print(out);
  std::rewind(out);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;) text.append(buffer, n);
  std::fclose(out);
  return text;
}

std::string report_text(const Result& result) {
  return printed([&](std::FILE* out) { print_report(result, out); });
}

// The message of the InputError that result_from_json throws.
std::string result_error(const nlohmann::json& json) {
  try {
    result_from_json(json, "r.json");
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no InputError");
  return "";
}

}  // namespace

TEST_CASE("result_from_json restores every field result_json writes") {
  std::vector<Result> results = {every_field_result(), result_of({}), result_of({.remaining = std::nullopt}),
                                 result_of({.verdict = Verdict::kInterrupted, .histogram = false}),
                                 result_of({.verdict = Verdict::kInvalid, .anomalies = {{"oversold", 3}}})};
  // Every class with a count and an example.
  Result all = result_of({});
  for (AnomalyReport& report : all.check.anomalies) {
    report.count = static_cast<int>(report.anomaly) + 1;
    report.example = fmt::format("planted example {}", anomaly_key(report.anomaly));
  }
  results.push_back(all);
  Result until_sold_out = result_of({});
  until_sold_out.scenario.attempts.reset();
  results.push_back(until_sold_out);
  for (std::size_t i = 0; i < results.size(); ++i) {
    CAPTURE(i);
    nlohmann::json written = result_json(results[i]);
    // In memory, and through the text as `report` reads a file.
    Result back = result_from_json(written, "r.json");
    CHECK(result_json(back) == written);
    Result read = result_from_json(nlohmann::json::parse(written.dump(2)), "r.json");
    CHECK(result_json(read).dump(2) == written.dump(2));
    CHECK(read.buyers.size() == results[i].buyers.size());
    CHECK(read.metrics.sold_by_buyer == results[i].metrics.sold_by_buyer);
    CHECK(read.metrics.attempts_by_buyer == results[i].metrics.attempts_by_buyer);
  }
  // The fields the JSON does not spell as the Result does.
  Result read = result_from_json(nlohmann::json::parse(result_json(every_field_result()).dump()), "r.json");
  Result planted = every_field_result();
  CHECK(read.scenario.delays.search == planted.scenario.delays.search);
  CHECK(read.scenario.delays.purchase == planted.scenario.delays.purchase);
  CHECK(read.scenario.lock_timeout == planted.scenario.lock_timeout);
  CHECK(read.scenario.seed == std::numeric_limits<std::uint64_t>::max());
  CHECK(read.ticketsim_version == "0.0.9-planted");
  CHECK(read.scenario.mode == Mode::kSerial);
  CHECK(read.scenario.expected == Verdict::kStuck);
  CHECK(read.verdict == Verdict::kStuck);
  CHECK(read.stuck_reason == planted.stuck_reason);
  CHECK(read.check.count(Anomaly::kStaleReads) == 4);
  CHECK(read.check.anomalies[static_cast<int>(Anomaly::kStaleReads)].example == "planted stale_reads");
  CHECK(read.buyers[2].error == "store: I/O error");
  CHECK(read.buyers[0].exit_status == 137);
  CHECK(read.final_state.ledger_sales == 17);
  CHECK(read.scenario.expected_from == "--expect");
  CHECK(read.scenario.file_expected == Verdict::kInvalid);
  CHECK(read.check.cancelled == 6);
  CHECK(read.buyers[3].killed_waiting);
  CHECK_FALSE(read.buyers[2].killed_waiting);
  // The report a person reads is the same, line for line.
  std::string text = report_text(read);
  CHECK(text == report_text(planted));
  CHECK(contains(text, "  expect: stuck (from --expect; the scenario expected invalid)\n"));
  CHECK(contains(text, ", 5 timed out, 6 cancelled at the end,"));
  CHECK(contains(text, "killed by SIGKILL, waiting"));
  CHECK(contains(text, "  1 buyer still waiting was killed at the end; none had entered the critical section"));
}

TEST_CASE("result_from_json rejects what it cannot read in one line, naming the key's path") {
  const nlohmann::json good = result_json(every_field_result());
  REQUIRE_NOTHROW(result_from_json(good, "r.json"));
  auto changed = [&](auto change) {
    nlohmann::json json = good;
    change(json);
    return result_error(json);
  };
  std::vector<std::pair<std::string, std::string>> cases = {
      {changed([](auto& j) { j["anomalies"].erase("stale_reads"); }), "r.json: anomalies: missing key 'stale_reads'"},
      {changed([](auto& j) { j["anomaly_examples"].erase("stale_reads"); }),
       "r.json: anomaly_examples: missing key 'stale_reads'"},
      {changed([](auto& j) { j["latency_histogram"]["buy"].erase(0); }),
       "r.json: latency_histogram: key 'buy' must list 50 counts"},
      {changed([](auto& j) { j["latency_histogram"]["buckets_per_decade"] = 10; }),
       "r.json: latency_histogram: buckets other than 5 per decade from 1e-07 s are not read"},
      {changed([](auto& j) { j["throughput"]["sales_per_s"] = "fast"; }),
       "r.json: throughput: key 'sales_per_s' must be a number"},
      {changed([](auto& j) { j["latency_s"]["buy"].erase("p99_9"); }), "r.json: latency_s: buy: missing key 'p99_9'"},
      {changed([](auto& j) { j["buyers"][2]["sold"] = 1.5; }), "r.json: buyers[2]: key 'sold' must be an integer"},
      {changed([](auto& j) { j["faults"][1].erase("pid"); }), "r.json: faults[1]: missing key 'pid'"},
      {changed([](auto& j) { j["verdict"] = "fine"; }),
       "r.json: key 'verdict' is 'fine', not valid, invalid, stuck or interrupted"},
      {changed([](auto& j) { j["mode"] = "parallel"; }), "r.json: key 'mode' is 'parallel', not concurrent or serial"},
      {changed([](auto& j) { j["seed"] = -1; }), "r.json: key 'seed' must be a non-negative integer"},
      {changed([](auto& j) { j["delays"]["search_s"] = -0.5; }),
       "r.json: delays: key 'search_s' must be a duration in seconds, from 0 to a century"},
      {changed([](auto& j) { j["stuck"] = nullptr; }), "r.json: key 'stuck' must be an object"},
      {changed([](auto& j) { j["final_store"]["corrupt"] = "no"; }),
       "r.json: final_store: key 'corrupt' must be true or false"},
      {changed([](auto& j) { j["final_store"]["corrupt"] = true; }),
       "r.json: key 'remaining' must be null when the final store is corrupt"},
      {changed([](auto& j) { j["fairness"]["tickets_per_buyer"].erase("stddev"); }),
       "r.json: fairness: tickets_per_buyer: missing key 'stddev'"},
      {changed([](auto& j) { j["inventory"] = {{"t_s", 1}}; }), "r.json: key 'inventory' must be a list"},
      {changed([](auto& j) { j["inventory"][1]["count"] = "61"; }), "r.json: inventory[1]: key 'count' must be an integer"},
      {changed([](auto& j) { j["scenario"].erase("file"); }),
       "r.json: scenario: missing key 'file'"},
      {changed([](auto& j) { j["schema_version"] = 1; }), "r.json: schema_version 1 is not the 2 this ticketsim reads"},
      {result_error(nlohmann::json::array()), "r.json: a run's result must be a JSON object"},
  };
  for (const auto& [message, expected] : cases) {
    CHECK(message == expected);
    CHECK(message.find('\n') == std::string::npos);
  }
  // Not stuck: no stuck object either.
  nlohmann::json valid = result_json(result_of({}));
  valid["stuck"] = {{"reason", "x"}, {"after_s", 1}};
  CHECK(result_error(valid) == "r.json: key 'stuck' must be null unless the verdict is stuck");
}

// ---------------------------------------------------------------------------
// cells_of: statistics per cell

TEST_CASE("cells_of: median, mean, sample stddev, CV and extremes of an odd cell") {
  Comparison c = comparison_of({"sqlite"}, {4}, 3, cell_runs("sqlite", 4, {130, 100, 110}));
  std::vector<Cell> cells = cells_of(c);
  REQUIRE(cells.size() == 1);
  const Cell& cell = cells[0];
  CHECK(cell.runs.size() == 3);
  CHECK(cell.median == 110);
  CHECK(cell.mean == doctest::Approx(340.0 / 3));
  // Deviations 50/3, -40/3, -10/3: squares 4200/9, over n - 1 = 2.
  CHECK(cell.stddev == doctest::Approx(std::sqrt(700.0 / 3)));
  CHECK(cell.cv == doctest::Approx(std::sqrt(700.0 / 3) / (340.0 / 3)));
  CHECK(cell.min == 100);
  CHECK(cell.max == 130);
}

TEST_CASE("cells_of: the median of an even cell is the mean of the middle two") {
  std::vector<Run> list = cell_runs("sqlite", 4, {300, 1000, 100, 200});
  const double p99s[] = {0.004, 0.010, 0.001, 0.002};
  for (std::size_t i = 0; i < list.size(); ++i) list[i].p99 = p99s[i];
  Comparison c = comparison_of({"sqlite"}, {4}, 4, list);
  std::vector<Cell> cells = cells_of(c);
  REQUIRE(cells.size() == 1);
  const Cell& cell = cells[0];
  CHECK(cell.median == 250);
  CHECK(cell.mean == doctest::Approx(400));
  // Deviations -100, 600, -300, -200: squares 500 000, over 3.
  CHECK(cell.stddev == doctest::Approx(std::sqrt(500000.0 / 3)));
  CHECK(cell.cv == doctest::Approx(std::sqrt(500000.0 / 3) / 400));
  CHECK(cell.min == 100);
  CHECK(cell.max == 1000);
  // p99: the median of the runs' p99, (0.002 + 0.004) / 2.
  CHECK(cell.buy_p99_s == doctest::Approx(0.003));
}

TEST_CASE("cells_of: one run has no spread; p99 of an odd cell is its middle run's") {
  std::vector<Run> list = cell_runs("sqlite", 4, {100, 100, 100});
  list[0].p99 = 0.003, list[1].p99 = 0.001, list[2].p99 = 0.002;
  std::vector<Cell> cells = cells_of(comparison_of({"sqlite"}, {4}, 3, list));
  REQUIRE(cells.size() == 1);
  CHECK(cells[0].buy_p99_s == doctest::Approx(0.002));
  CHECK(cells[0].stddev == 0);
  CHECK(cells[0].cv == 0);

  cells = cells_of(comparison_of({"sqlite"}, {4}, 1, cell_runs("sqlite", 4, {42})));
  REQUIRE(cells.size() == 1);
  CHECK(cells[0].median == 42);
  CHECK(cells[0].mean == 42);
  CHECK(cells[0].stddev == 0);
  CHECK(cells[0].cv == 0);
  CHECK(cells[0].min == 42);
  CHECK(cells[0].max == 42);
}

TEST_CASE("cells_of: verdicts and anomalies per cell") {
  std::vector<Run> list = cell_runs("plain", 4, {10, 20, 30, 40, 50});
  list[0].verdict = Verdict::kInvalid, list[0].anomalies = {{"oversold", 3}, {"lost_updates", 1}};
  list[1].verdict = Verdict::kInvalid, list[1].anomalies = {{"oversold", 2}};
  list[2].verdict = Verdict::kStuck;
  list[3].verdict = Verdict::kInterrupted;
  std::vector<Cell> cells = cells_of(comparison_of({"plain"}, {4}, 5, list));
  REQUIRE(cells.size() == 1);
  const Cell& cell = cells[0];
  CHECK(cell.valid == 1);
  CHECK(cell.invalid == 2);
  CHECK(cell.stuck == 1);
  CHECK(cell.interrupted == 1);
  CHECK_FALSE(cell.all_correct());
  // Every class, in report order; found in how many runs, and how often.
  REQUIRE(cell.runs_with.size() == static_cast<std::size_t>(kAnomalyClasses));
  REQUIRE(cell.totals.size() == static_cast<std::size_t>(kAnomalyClasses));
  for (int i = 0; i < kAnomalyClasses; ++i) {
    CHECK(cell.runs_with[i].first == static_cast<Anomaly>(i));
    CHECK(cell.totals[i].first == static_cast<Anomaly>(i));
  }
  CHECK(pair_value(cell.runs_with, "oversold") == 2);
  CHECK(pair_value(cell.totals, "oversold") == 5);
  CHECK(pair_value(cell.runs_with, "lost_updates") == 1);
  CHECK(pair_value(cell.totals, "lost_updates") == 1);
  CHECK(pair_value(cell.runs_with, "stale_reads") == 0);
  CHECK(pair_value(cell.totals, "stale_reads") == 0);

  CHECK(correct_runs(cell) == "1 of 5 (invalid 2, stuck 1, interrupted 1)");
  std::vector<Cell> good = cells_of(comparison_of({"sqlite"}, {4}, 3, cell_runs("sqlite", 4, {1, 2, 3})));
  CHECK(good[0].all_correct());
  CHECK(correct_runs(good[0]) == "3 of 3");
  std::vector<Cell> bad = cells_of(comparison_of({"plain"}, {4}, 3, cell_runs("plain", 4, {1, 2, 3}, Verdict::kInvalid)));
  CHECK(correct_runs(bad[0]) == "0 of 3 (invalid 3)");
}

TEST_CASE("cells_of: matrix order, strategies then buyer counts, without empty cells") {
  // Rows in another order than the matrix; (b, 2) never ran; (c, 8) is no
  // strategy of the matrix.
  Comparison c = comparison_of({"b", "a"}, {8, 2}, 1,
                               {{.strategy = "a", .buyers = 2, .rate = 1}, {.strategy = "c", .buyers = 8, .rate = 2},
                                {.strategy = "b", .buyers = 8, .rate = 3}, {.strategy = "a", .buyers = 8, .rate = 4}});
  std::vector<Cell> cells = cells_of(c);
  REQUIRE(cells.size() == 3);
  CHECK(cells[0].strategy == "b");
  CHECK(cells[0].buyers == 8);
  CHECK(cells[1].strategy == "a");
  CHECK(cells[1].buyers == 8);
  CHECK(cells[2].strategy == "a");
  CHECK(cells[2].buyers == 2);
  for (const Cell& cell : cells) {
    REQUIRE(cell.runs.size() == 1);
    CHECK(cell.runs[0]->strategy() == cell.strategy);
    CHECK(cell.runs[0]->buyers() == cell.buyers);
  }
  CHECK(cells[0].median == 3);
  CHECK(cells[1].median == 4);
  CHECK(cells[2].median == 1);
}

// ---------------------------------------------------------------------------
// cells_of: the Relative column

TEST_CASE("relative: the reference is the fastest cell correct in every run, not a faster invalid one") {
  Comparison c = sample_matrix();
  std::vector<Cell> cells = cells_of(c);
  REQUIRE(cells.size() == 6);
  const Cell& file_lock = cell_at(cells, "file-lock", 4);
  const Cell& sqlite = cell_at(cells, "sqlite", 4);
  const Cell& plain = cell_at(cells, "plain", 4);
  CHECK(plain.median > file_lock.median);
  CHECK(file_lock.reference);
  CHECK_FALSE(sqlite.reference);
  CHECK_FALSE(plain.reference);
  CHECK(file_lock.relative == doctest::Approx(1.0));
  CHECK(file_lock.relative_error == 0);

  double cv_ref = 10.0 / 300;
  CHECK(file_lock.cv == doctest::Approx(cv_ref));
  CHECK(sqlite.cv == doctest::Approx(0.2));
  CHECK(sqlite.relative == doctest::Approx(100.0 / 300));
  CHECK(sqlite.relative_error == doctest::Approx(100.0 / 300 * std::hypot(0.2, cv_ref)));
  CHECK(plain.relative == doctest::Approx(1000.0 / 300));
  CHECK(plain.relative_error == doctest::Approx(1000.0 / 300 * std::hypot(0.05, cv_ref)));

  // Each buyer count has its own reference: at 1 buyer plain was correct
  // and fastest.
  CHECK(cell_at(cells, "plain", 1).reference);
  CHECK_FALSE(cell_at(cells, "file-lock", 1).reference);
  CHECK(cell_at(cells, "file-lock", 1).relative == doctest::Approx(61.0 / 71));
  CHECK(cell_at(cells, "sqlite", 1).relative == doctest::Approx(41.0 / 71));
  CHECK(std::count_if(cells.begin(), cells.end(), [](const Cell& cell) { return cell.reference; }) == 2);

  CHECK(relative_text(file_lock, true) == "1.00");
  CHECK(relative_text(sqlite, true) == "0.33 ± 0.07");
  CHECK(relative_text(plain, true) == "3.33 ± 0.20");
  CHECK(relative_text(sqlite, false) == "0.33");
}

TEST_CASE("relative: a cell with one wrong run is not the reference") {
  std::vector<Run> fast = cell_runs("fast", 2, {500, 500, 500});
  fast[2].verdict = Verdict::kStuck;
  std::vector<Cell> cells =
      cells_of(comparison_of({"fast", "slow"}, {2}, 3, joined({fast, cell_runs("slow", 2, {250, 250, 250})})));
  CHECK(cell_at(cells, "slow", 2).reference);
  CHECK_FALSE(cell_at(cells, "fast", 2).reference);
  CHECK(cell_at(cells, "fast", 2).relative == doctest::Approx(2.0));
}

TEST_CASE("relative: without an all-correct cell there is no yardstick, and relative says n/a") {
  std::vector<Run> a = cell_runs("a", 16, {100, 110, 120});
  std::vector<Run> b = cell_runs("b", 16, {200, 200, 200});
  a[0].verdict = Verdict::kInvalid;
  b[1].verdict = Verdict::kInterrupted;
  Comparison comparison = comparison_of({"a", "b"}, {16}, 3, joined({a, b}));
  std::vector<Cell> cells = cells_of(comparison);
  for (const Cell& cell : cells) {
    CAPTURE(cell.strategy);
    CHECK_FALSE(cell.reference);
    CHECK_FALSE(cell.has_relative);
    CHECK(relative_text(cell, true) == "n/a");
  }
  nlohmann::json json = comparison_json(comparison);
  for (const auto& cell : json["cells"]) CHECK(cell["relative"].is_null());
  CHECK(contains(comparison_markdown(comparison), "| a | 16 | 110 | 10 | 9.1% | n/a |"));
}

TEST_CASE("one run per cell: stddev and CV say n/a, not an exact 0") {
  Comparison comparison = comparison_of({"a", "b"}, {4}, 1, joined({cell_runs("a", 4, {100}), cell_runs("b", 4, {50})}));
  std::string markdown = comparison_markdown(comparison);
  CHECK(contains(markdown, "| a | 4 | 100 | n/a | n/a | 1.00 |"));
  CHECK(contains(markdown, "| b | 4 | 50 | n/a | n/a | 0.50 |"));
  CHECK_FALSE(contains(markdown, "0.0%"));
}

// ---------------------------------------------------------------------------
// summary_lines

TEST_CASE("summary: ranking, invalid strategies, noisy cells") {
  Comparison c = sample_matrix();
  std::vector<std::string> lines = summary_lines(c, cells_of(c));
  // ratio 3.0, error 3 * hypot(0.2, 1/30) = 0.61; at 1 buyer 71/61 and 71/41
  // with CVs near 1.6% and 2.4%.
  std::vector<std::string> expected = {
      "at 1 buyer, plain sold fastest (71 sales/s): 1.16 ± 0.03 × faster than file-lock, 1.73 ± 0.05 × "
      "faster than sqlite",
      "at 4 buyers, file-lock sold fastest (300 sales/s): 3.00 ± 0.61 × faster than sqlite",
      "plain was invalid in 3 of 6 runs: oversold in 3, lost updates in 1",
      "noisy (CV above 10%): sqlite at 4; more runs would narrow it",
  };
  CHECK(lines == expected);
  for (const std::string& line : lines) {
    if (line.rfind("at 4 buyers", 0) == 0) CHECK_FALSE(contains(line, "plain"));
  }
}

TEST_CASE("summary: one run per cell gives no ±; one buyer is singular; ten times or more has no decimals") {
  Comparison c = comparison_of({"file-lock", "sqlite", "flock"}, {1}, 1,
                               {{.strategy = "file-lock", .buyers = 1, .rate = 300},
                                {.strategy = "sqlite", .buyers = 1, .rate = 100},
                                {.strategy = "flock", .buyers = 1, .rate = 25}});
  std::vector<std::string> lines = summary_lines(c, cells_of(c));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "at 1 buyer, file-lock sold fastest (300 sales/s): 3.00 × faster than sqlite, 12 × faster than "
                    "flock");
  CHECK_FALSE(contains(lines[0], "±"));
}

TEST_CASE("summary: the only correct strategy, none correct, one that sold nothing") {
  SUBCASE("the only one") {
    Comparison c = comparison_of({"file-lock", "plain"}, {8}, 1,
                                 {{.strategy = "file-lock", .buyers = 8, .rate = 300},
                                  {.strategy = "plain", .buyers = 8, .rate = 900, .verdict = Verdict::kInvalid,
                                   .anomalies = {{"duplicate_tickets", 4}}}});
    std::vector<std::string> lines = summary_lines(c, cells_of(c));
    CHECK(lines == std::vector<std::string>{
                       "at 8 buyers, file-lock sold fastest (300 sales/s), the only strategy correct in every run",
                       "plain was invalid in 1 of 1 run: duplicate tickets in 1"});
  }
  SUBCASE("none") {
    Comparison c = comparison_of({"plain"}, {2}, 2, cell_runs("plain", 2, {10, 10}, Verdict::kInvalid));
    std::vector<std::string> lines = summary_lines(c, cells_of(c));
    CHECK(lines == std::vector<std::string>{"at 2 buyers, no strategy was correct in every run",
                                            "plain was invalid in 2 of 2 runs"});
  }
  SUBCASE("sold nothing") {
    Comparison c = comparison_of({"a", "b"}, {2}, 1,
                                 {{.strategy = "a", .buyers = 2, .rate = 12345.6},
                                  {.strategy = "b", .buyers = 2, .rate = 0}});
    std::vector<std::string> lines = summary_lines(c, cells_of(c));
    CHECK(lines == std::vector<std::string>{"at 2 buyers, a sold fastest (12,346 sales/s): b sold nothing"});
  }
}

TEST_CASE("summary: stuck and interrupted runs, and an interrupted comparison") {
  std::vector<Run> list = cell_runs("sqlite", 4, {100, 100, 100});
  list[1].verdict = Verdict::kStuck;
  list[2].verdict = Verdict::kInterrupted;
  Comparison c = comparison_of({"sqlite", "file-lock"}, {4}, 3, list);
  c.interrupted_by = "SIGINT";
  std::vector<std::string> lines = summary_lines(c, cells_of(c));
  CHECK(lines == std::vector<std::string>{"at 4 buyers, no strategy was correct in every run",
                                          "sqlite was stuck in 1 of 3 runs",
                                          "sqlite was interrupted in 1 of 3 runs",
                                          "interrupted by SIGINT after 3 of 6 runs"});
}

// ---------------------------------------------------------------------------
// The JSON export, read back

TEST_CASE("comparison_json read back: same rows, cells, summary and exports") {
  Comparison original = sample_matrix();
  original.strategies.push_back("a|b");
  original.rows.push_back(row_of({.strategy = "a|b", .buyers = 4, .rate = 5,
                                  .repeat = "ticketsim run \"my, scenario.toml\" --seed 7"}));
  original.scenario_name = "rush <hour> & 'co'";
  original.interrupted_by = "SIGTERM";

  nlohmann::json json = comparison_json(original);
  CHECK(json["schema_version"] == kComparisonSchemaVersion);
  CHECK(json["kind"] == kComparisonKind);
  CHECK(json["runs"].size() == original.rows.size());
  CHECK(json["cells"].size() == cells_of(original).size());
  // Through the text, as `report` reads a file.
  Comparison back = comparison_from_json(nlohmann::json::parse(json.dump(2)), "saved.json");

  CHECK(back.scenario_name == original.scenario_name);
  CHECK(back.scenario_file == original.scenario_file);
  CHECK(back.strategies == original.strategies);
  CHECK(back.buyers == original.buyers);
  CHECK(back.runs == original.runs);
  CHECK(back.warmup == original.warmup);
  CHECK(back.interrupted_by == "SIGTERM");
  CHECK(context_json(back.context) == context_json(original.context));
  CHECK(back.context.seed == std::numeric_limits<std::uint64_t>::max());
  REQUIRE(back.rows.size() == original.rows.size());
  for (std::size_t i = 0; i < back.rows.size(); ++i) {
    CAPTURE(i);
    const RunRow& a = original.rows[i];
    const RunRow& b = back.rows[i];
    CHECK(b.strategy() == a.strategy());
    CHECK(b.buyers() == a.buyers());
    CHECK(b.run == a.run);
    CHECK(b.seed() == a.seed());
    CHECK(b.verdict() == a.verdict());
    CHECK(b.sales_per_s() == a.sales_per_s());
    CHECK(b.buy().p99 == a.buy().p99);
    CHECK(b.anomaly_total() == a.anomaly_total());
    CHECK(b.buy_histogram() == a.buy_histogram());
    CHECK(b.inventory().size() == a.inventory().size());
    CHECK(b.repeat_command == a.repeat_command);
    CHECK_FALSE(b.context.has_value());
    CHECK(result_json(b.result) == result_json(a.result));
  }
  std::vector<Cell> cells_a = cells_of(original), cells_b = cells_of(back);
  REQUIRE(cells_b.size() == cells_a.size());
  for (std::size_t i = 0; i < cells_a.size(); ++i) {
    CHECK(cells_b[i].strategy == cells_a[i].strategy);
    CHECK(cells_b[i].buyers == cells_a[i].buyers);
    CHECK(cells_b[i].median == cells_a[i].median);
    CHECK(cells_b[i].stddev == cells_a[i].stddev);
    CHECK(cells_b[i].relative == cells_a[i].relative);
    CHECK(cells_b[i].reference == cells_a[i].reference);
    CHECK(cells_b[i].runs_with == cells_a[i].runs_with);
  }
  CHECK(summary_lines(back, cells_b) == summary_lines(original, cells_a));
  CHECK(json["summary"] == nlohmann::json(summary_lines(original, cells_a)));

  for (const char* extension : {".json", ".csv", ".md", ".html"}) {
    CAPTURE(extension);
    CHECK(export_text(back, extension) == export_text(original, extension));
  }
}

TEST_CASE("comparison_from_json reads a single run's result as a one-row comparison") {
  nlohmann::json json = result_json(result_of({.strategy = "file-lock", .buyers = 6, .rate = 321}));
  json["scenario"]["name"] = "single";
  json["scenario"]["file"] = "scenarios/single.toml";
  json["context"] = context_json(sample_matrix().context);
  Comparison c = comparison_from_json(nlohmann::json::parse(json.dump()), "run.json");
  CHECK(c.scenario_name == "single");
  CHECK(c.scenario_file == "scenarios/single.toml");
  CHECK(c.strategies == std::vector<std::string>{"file-lock"});
  CHECK(c.buyers == std::vector<std::int64_t>{6});
  CHECK(c.runs == 1);
  CHECK(c.context.cpu_model == "Test CPU @ 3.00GHz");
  REQUIRE(c.rows.size() == 1);
  CHECK(c.rows[0].sales_per_s() == 321);
  // The run keeps its context, and its command line repeats it.
  REQUIRE(c.rows[0].context.has_value());
  CHECK(context_json(*c.rows[0].context) == json["context"]);
  CHECK(c.rows[0].repeat_command == sample_matrix().context.command_line);
  std::vector<Cell> cells = cells_of(c);
  REQUIRE(cells.size() == 1);
  CHECK(cells[0].reference);
  CHECK(summary_lines(c, cells) == std::vector<std::string>{"at 6 buyers, file-lock sold 321 sales/s"});

  // Without a context it is empty, not an error.
  json.erase("context");
  Comparison without = comparison_from_json(json, "run.json");
  CHECK(without.context.cpu_model.empty());
  CHECK_FALSE(without.rows[0].context.has_value());
}

TEST_CASE("comparison_from_json rejects with a one-line InputError naming the file and the key") {
  nlohmann::json good = comparison_json(sample_matrix());
  REQUIRE_NOTHROW(comparison_from_json(good, "saved.json"));
  std::string message;

  SUBCASE("no runs") {
    nlohmann::json json = good;
    json.erase("runs");
    message = from_json_error(json, "saved.json");
    CHECK(message == "saved.json: missing key 'runs'");
  }
  SUBCASE("a run without a verdict") {
    nlohmann::json json = good;
    json["runs"][2].erase("verdict");
    message = from_json_error(json, "saved.json");
    CHECK(message == "saved.json: runs[2]: missing key 'verdict'");
  }
  SUBCASE("runs is not a list") {
    nlohmann::json json = good;
    json["runs"] = {{"a", 1}};
    message = from_json_error(json, "saved.json");
    CHECK(message == "saved.json: key 'runs' must be a list");
  }
  SUBCASE("another kind, with a newline in it") {
    nlohmann::json json = good;
    json["kind"] = "something\nelse";
    message = from_json_error(json, "saved.json");
    CHECK(message == "saved.json: key 'kind' is 'something\\nelse', not ticketsim-comparison");
  }
  SUBCASE("another schema_version") {
    nlohmann::json json = good;
    json["schema_version"] = 1;
    message = from_json_error(json, "saved.json");
    CHECK(message == "saved.json: schema_version 1 is not the 2 this ticketsim reads");
  }
  SUBCASE("a single run of another schema_version") {
    nlohmann::json json = result_json(result_of({}));
    json["schema_version"] = 7;
    message = from_json_error(json, "run.json");
    CHECK(message == "run.json: schema_version 7 is not the 2 this ticketsim reads");
  }
  SUBCASE("not an object") {
    message = from_json_error(nlohmann::json::array({1, 2}), "list.json");
    CHECK(contains(message, "list.json"));
    CHECK(contains(message, "not a JSON object"));
  }
  SUBCASE("neither a comparison nor a run") {
    message = from_json_error(nlohmann::json{{"hello", "world"}}, "other.json");
    CHECK(contains(message, "other.json"));
    CHECK(contains(message, "'kind'"));
    CHECK(contains(message, "'verdict'"));
  }
  SUBCASE("a matrix without buyers") {
    nlohmann::json json = good;
    json["matrix"].erase("buyers");
    message = from_json_error(json, "saved.json");
    CHECK(message == "saved.json: matrix: missing key 'buyers'");
  }
  SUBCASE("a file name with a newline") {
    nlohmann::json json = good;
    json.erase("runs");
    message = from_json_error(json, "odd\nname.json");
    CHECK(message == "odd\\nname.json: missing key 'runs'");
  }
  CHECK_FALSE(message.empty());
  CHECK(message.find('\n') == std::string::npos);
}

// ---------------------------------------------------------------------------
// CSV

TEST_CASE("CSV: a header and one row per run, every row as wide as the header") {
  Comparison c = sample_matrix();
  c.rows[0].result.scenario.strategy = "lock, then \"commit\"";
  c.rows[1].repeat_command = "ticketsim run 'it''s' \"quoted, twice\"";
  c.rows[2].repeat_command = "two\nlines";
  c.rows[3].result.final_state.corrupt = true;
  c.rows[4].repeat_command = "ticketsim run \"x.toml\"";  // a quote and no comma
  c.rows[16].result.metrics.retry = {.serialization_failures = 6, .deadlock_failures = 1, .retried = 4, .retries = 9,
                                     .failed = 2};
  c.rows[16].result.metrics.connect = {.median_s = 0.0015, .max_s = 0.004};
  std::string csv = comparison_csv(c);
  std::vector<std::vector<std::string>> records = parse_csv(csv);
  REQUIRE(records.size() == c.rows.size() + 1);
  const std::vector<std::string>& header = records[0];
  CHECK(header.size() == 29 + static_cast<std::size_t>(kAnomalyClasses) + 1);
  CHECK(header.front() == "strategy");
  CHECK(header.back() == "repeat_command");
  for (std::size_t i = 1; i < records.size(); ++i) {
    CAPTURE(i);
    CHECK(records[i].size() == header.size());
  }
  auto column = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  };
  // Quoted per RFC 4180, and read back as they were.
  CHECK(contains(csv, "\"lock, then \"\"commit\"\"\","));
  CHECK(records[1][column("strategy")] == "lock, then \"commit\"");
  CHECK(contains(csv, ",\"ticketsim run 'it''s' \"\"quoted, twice\"\"\"\n"));
  CHECK(records[2][column("repeat_command")] == "ticketsim run 'it''s' \"quoted, twice\"");
  CHECK(records[3][column("repeat_command")] == "two\nlines");
  CHECK(records[3][column("strategy")] == "file-lock");
  // Plain fields are not quoted.
  CHECK(contains(csv, "\nfile-lock,1,2,1002,valid,valid,"));
  CHECK(records[4][column("remaining")].empty());
  CHECK(contains(csv, ",\"ticketsim run \"\"x.toml\"\"\"\n"));
  CHECK(records[5][column("repeat_command")] == "ticketsim run \"x.toml\"");
  CHECK(records[5][column("remaining")] == "0");

  // The values of a row: the fifth run of plain at 4 buyers.
  const std::vector<std::string>& plain = records[17];
  CHECK(plain[column("strategy")] == "plain");
  CHECK(plain[column("buyers")] == "4");
  CHECK(plain[column("run")] == "2");
  CHECK(plain[column("seed")] == "1002");
  CHECK(plain[column("verdict")] == "invalid");
  CHECK(plain[column("sales_per_s")] == "1000");
  CHECK(plain[column("buys")] == "40");
  CHECK(plain[column("buy_p99_s")] == "0.001");
  CHECK(plain[column("anomalies")] == "5");
  CHECK(plain[column("oversold")] == "3");
  CHECK(plain[column("lost_updates")] == "2");
  CHECK(plain[column("stale_reads")] == "0");
  // pgbench's --failures-detailed figures, and the connection time.
  CHECK(plain[column("serialization_failures")] == "6");
  CHECK(plain[column("deadlock_failures")] == "1");
  CHECK(plain[column("retried_transactions")] == "4");
  CHECK(plain[column("failed_transactions")] == "2");
  CHECK(plain[column("connect_median_s")] == "0.0015");
  CHECK(plain[column("connect_max_s")] == "0.004");
  CHECK(records[16][column("serialization_failures")] == "0");
}

// ---------------------------------------------------------------------------
// Markdown

TEST_CASE("Markdown: the table has one row per cell and a Relative column") {
  Comparison c = sample_matrix();
  // Two runs of file-lock at 4 buyers retried purchases; one ran out of tries.
  for (RunRow& row : c.rows) {
    if (row.strategy() == "file-lock" && row.buyers() == 4 && row.run < 3) {
      row.result.metrics.retry = {.retried = 3, .retries = 5, .failed = row.run == 1 ? 1 : 0};
    }
  }
  std::string md = comparison_markdown(c);
  CHECK(md.rfind("# ticketsim: rush\n", 0) == 0);
  CHECK(contains(md, "3 strategies x 2 buyer counts x 3 runs (1 warm-up run per cell not counted)."));
  std::vector<std::vector<std::string>> table = md_table(md);
  REQUIRE(table.size() == 2 + 6);
  CHECK(table[0] == std::vector<std::string>{"Strategy", "Buyers", "Sales/s (median)", "± stddev", "CV", "Relative",
                                             "p99 buy", "Retried/failed", "Correct runs"});
  CHECK(table[1] == std::vector<std::string>{":--", "--:", "--:", "--:", "--:", "--:", "--:", "--:", ":--"});
  for (const auto& row : table) CHECK(row.size() == 9);
  // Matrix order: file-lock at 1 and 4, sqlite, plain.
  CHECK(table[2][0] == "file-lock");
  CHECK(table[2][1] == "1");
  CHECK(table[3][0] == "file-lock");
  CHECK(table[3][1] == "4");
  CHECK(table[3][2] == "300");
  CHECK(table[3][4] == "3.3%");
  CHECK(table[3][5] == "1.00");
  CHECK(table[3][7] == "6/1");  // over the cell's runs
  CHECK(table[2][7] == "0/0");
  CHECK(table[3][8] == "3 of 3");
  CHECK(table[5][0] == "sqlite");
  CHECK(table[5][5] == "0.33 ± 0.07");
  CHECK(table[5][4] == "20.0%");
  CHECK(table[7][0] == "plain");
  CHECK(table[7][5] == "3.33 ± 0.20");
  CHECK(table[7][8] == "0 of 3 (invalid 3)");
  CHECK(table[6][5] == "1.00");  // plain at 1 buyer: correct and fastest
  // The summary follows as a list.
  CHECK(contains(md, "\n- at 4 buyers, file-lock sold fastest (300 sales/s): 3.00 ± 0.61 × faster than sqlite\n"));
  CHECK(contains(md, "\n- plain was invalid in 3 of 6 runs: oversold in 3, lost updates in 1\n"));
}

TEST_CASE("Markdown: one run per cell shows no ±; a pipe in a strategy is escaped") {
  Comparison c = comparison_of({"a|b", "sqlite"}, {2}, 1,
                               {{.strategy = "a|b", .buyers = 2, .rate = 50},
                                {.strategy = "sqlite", .buyers = 2, .rate = 100}});
  std::string md = comparison_markdown(c);
  CHECK(contains(md, "| a\\|b | 2 |"));
  std::vector<std::vector<std::string>> table = md_table(md);
  REQUIRE(table.size() == 4);
  for (const auto& row : table) CHECK(row.size() == 9);
  CHECK(table[2][0] == "a\\|b");
  CHECK(table[2][5] == "0.50");
  CHECK(table[3][5] == "1.00");
  CHECK(contains(md, "\n- at 2 buyers, sqlite sold fastest (100 sales/s): 2.00 × faster than a\\|b\n"));
}

// ---------------------------------------------------------------------------
// HTML

TEST_CASE("HTML: every chart, escaped text, nothing to fetch or run") {
  Comparison c = sample_matrix();
  c.scenario_name = "rush <script>alert(1)</script> & co";
  std::string html = comparison_html(c);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* id : {"sales-per-second", "p99-latency", "anomalies", "inventory", "latency-distribution"}) {
    CAPTURE(id);
    CHECK(count_of(html, fmt::format("id=\"{}\"", id)) == 1);
  }
  CHECK(contains(html, "<title>ticketsim: rush &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>"));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<SCRIPT"));
  // No resource from elsewhere: the only URL is the SVG namespace.
  std::size_t urls = count_of(html, "http://") + count_of(html, "https://");
  CHECK(urls > 0);
  CHECK(urls == count_of(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_FALSE(contains(html, "<link"));
  CHECK_FALSE(contains(html, "<img"));
  CHECK_FALSE(contains(html, "src="));
  CHECK_FALSE(contains(html, "url("));
  CHECK_FALSE(contains(html, "@import"));
  // The context's command is escaped too.
  CHECK(contains(html, "x&lt;y&gt;.html"));
  // A monitor ran in file-lock's first run at 4 buyers: a chart, not the note.
  CHECK_FALSE(contains(html, "No run had the monitor"));
  CHECK(contains(html, "file-lock run 1: 60 left at 0.100 s"));
  // Summary and table rows.
  CHECK(contains(html, "<li>plain was invalid in 3 of 6 runs: oversold in 3, lost updates in 1</li>"));
  CHECK(count_of(html, "<tr class=\"correct\">") == 5);
  CHECK(count_of(html, "<tr class=\"wrong\">") == 1);
  CHECK(contains(html, "Every run (18)"));
}

TEST_CASE("HTML: without monitor samples the inventory figure says so") {
  Comparison c = comparison_of({"sqlite", "a<b"}, {1, 2}, 1,
                               {{.strategy = "sqlite", .buyers = 2, .rate = 10},
                                {.strategy = "a<b", .buyers = 2, .rate = 5}});
  std::string html = comparison_html(c);
  std::size_t figure = html.find("id=\"inventory\"");
  REQUIRE(figure != std::string::npos);
  std::size_t end = html.find("</figure>", figure);
  REQUIRE(end != std::string::npos);
  std::string inventory = html.substr(figure, end - figure);
  CHECK(contains(inventory, "No run had the monitor"));
  CHECK_FALSE(contains(inventory, "<svg"));
  CHECK(contains(html, "a&lt;b"));
  CHECK_FALSE(contains(html, "a<b"));
}

// ---------------------------------------------------------------------------
// Export formats and the terminal

TEST_CASE("is_export_format: exactly .json, .csv, .md and .html") {
  for (const char* yes : {".json", ".csv", ".md", ".html"}) CHECK(is_export_format(yes));
  for (const char* no : {".txt", "", ".", "json", ".JSON", ".Html", ".htm", ".markdown", ".json ", "x.json"}) {
    CAPTURE(no);
    CHECK_FALSE(is_export_format(no));
  }
}

TEST_CASE("export_text picks the document by extension") {
  Comparison c = sample_matrix();
  CHECK(export_text(c, ".json") == comparison_json(c).dump(2) + "\n");
  CHECK(export_text(c, ".csv") == comparison_csv(c));
  CHECK(export_text(c, ".md") == comparison_markdown(c));
  CHECK(export_text(c, ".html") == comparison_html(c));
}

TEST_CASE("print_comparison writes the table and the summary") {
  Comparison c = sample_matrix();
  std::string text = printed([&](std::FILE* out) { print_comparison(c, out); });
  CHECK(contains(text, "rush: 3 strategies x 2 buyer counts x 3 runs"));
  CHECK(contains(text, "\nsummary\n"));
  CHECK(contains(text, "  at 4 buyers, file-lock sold fastest (300 sales/s): 3.00 ± 0.61 × faster than sqlite\n"));
  CHECK(contains(text, "0.33 ± 0.07"));
  CHECK(contains(text, "0 of 3 (invalid 3)"));
}

// ---------------------------------------------------------------------------
// format_rate

TEST_CASE("format_rate: thousands separated, small rates to three digits") {
  CHECK(format_rate(12345.6) == "12,346");
  CHECK(format_rate(1234567) == "1,234,567");
  CHECK(format_rate(2.5e9) == "2,500,000,000");
  CHECK(format_rate(123456) == "123,456");
  CHECK(format_rate(1000) == "1,000");
  CHECK(format_rate(999) == "999");
  CHECK(format_rate(100) == "100");
  CHECK(format_rate(8.523) == "8.52");
  CHECK(format_rate(71) == "71");
  CHECK(format_rate(0.5) == "0.5");
  CHECK(format_rate(0) == "0");
  CHECK(format_rate(-12345.6) == "-12,346");
  CHECK(format_rate(-123456) == "-123,456");
  CHECK(format_rate(-1234) == "-1,234");
  CHECK(format_rate(-999) == "-999");
}

TEST_CASE("counts and durations: one style for every number a person reads") {
  CHECK(grouped(0) == "0");
  CHECK(grouped(999) == "999");
  CHECK(grouped(40000) == "40,000");
  CHECK(grouped(1000000) == "1,000,000");
  CHECK(grouped(-1234) == "-1,234");
  CHECK(plural(1, "ticket") == "1 ticket");
  CHECK(plural(1000000, "ticket") == "1,000,000 tickets");
  CHECK(plural(1, "strategy", "strategies") == "1 strategy");
  // Rounded before the unit and the decimals are chosen.
  CHECK(format_seconds(99.97e-6) == "100us");
  CHECK(format_seconds(158e-6) == "158us");
  CHECK(format_seconds(999.7e-6) == "1.00ms");
  CHECK(format_seconds(9.9996e-3) == "10.0ms");
  CHECK(format_seconds(1e-5) == "10.0us");
  CHECK(format_seconds(0.0123) == "12.3ms");
  CHECK(format_seconds(2.5) == "2.50s");
  CHECK(format_seconds(0) == "0");
}

TEST_CASE("the HTML writes every duration as the terminal does, three significant digits") {
  // Axis ticks (100us, 1.00ms), bucket bounds and tooltips alike: never
  // 100.0us beside 158us, nor 1ms beside 1.00ms.
  std::string html = comparison_html(sample_matrix());
  std::regex duration(R"(([0-9][0-9.]*)(ns|us|ms)\b)");
  std::size_t seen = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), duration); it != std::sregex_iterator(); ++it) {
    std::string digits = (*it)[1].str();
    CAPTURE(it->str());
    std::erase(digits, '.');
    CHECK(digits.size() == 3);
    ++seen;
  }
  CHECK(seen > 10);
}

TEST_CASE("the run report groups its counts and says when no window was measured") {
  Result result = result_of({.rate = 12345.6, .remaining = 960000});
  result.scenario.tickets = 1000000;
  result.check.sold = 40000;
  std::string text = report_text(result);
  CHECK(contains(text, "sales       40,000 acknowledged of 1,000,000 tickets; the store ends with 960,000 remaining\n"));
  CHECK(contains(text, "throughput  12,346 sales/s, 12,346 attempts/s over 1.50s"));
  result.scenario.tickets = 1;
  CHECK(contains(report_text(result), "of 1 ticket;"));
  // Stopped while forking: the buyers were never released.
  result.metrics.window_s = 0;
  result.metrics.spawn_s = 0;
  text = report_text(result);
  CHECK(contains(text, "throughput  stopped while spawning; no measured window\n"));
  CHECK(!contains(text, "spawning took 0"));
}

// ---------------------------------------------------------------------------
// Histogram buckets

TEST_CASE("histogram_bucket: five buckets per decade from 100 ns") {
  CHECK(histogram_lower_s(0) == doctest::Approx(1e-7));
  CHECK(histogram_lower_s(5) == doctest::Approx(1e-6));
  CHECK(histogram_lower_s(kHistogramBuckets) == doctest::Approx(1000.0));
  CHECK(histogram_bucket(1'000) == 5);  // 1 us is where bucket 5 starts
  CHECK(histogram_bucket(999) == 4);
  CHECK(histogram_bucket(1'000'000) == 20);  // 1 ms
  CHECK(histogram_bucket(1'000'000'000) == 35);  // 1 s
  CHECK(histogram_bucket(0) == 0);
  CHECK(histogram_bucket(-5) == 0);
  CHECK(histogram_bucket(1) == 0);
  CHECK(histogram_bucket(99) == 0);
  CHECK(histogram_bucket(100) == 0);
  CHECK(histogram_bucket(158) == 0);
  CHECK(histogram_bucket(159) == 1);
  CHECK(histogram_bucket(2'000'000'000'000) == kHistogramBuckets - 1);  // 2000 s
  CHECK(histogram_bucket(std::numeric_limits<std::int64_t>::max()) == kHistogramBuckets - 1);
}

TEST_CASE("histogram_bucket: each value lies within its bucket's bounds") {
  int checked = 0;
  for (double ns = 101; ns < 9e11; ns *= 1.013) {
    auto latency = static_cast<std::int64_t>(ns);
    int bucket = histogram_bucket(latency);
    double seconds = static_cast<double>(latency) * 1e-9;
    CAPTURE(latency);
    CAPTURE(bucket);
    REQUIRE(bucket >= 0);
    REQUIRE(bucket < kHistogramBuckets);
    CHECK(histogram_lower_s(bucket) <= seconds);
    CHECK(seconds < histogram_lower_s(bucket + 1));
    ++checked;
  }
  CHECK(checked > 1000);
  // Every bound, to the nanosecond: the first nanosecond at or
  // above a bound is in its bucket, the one before in the bucket below.
  for (int i = 1; i < kHistogramBuckets; ++i) {
    auto first = static_cast<std::int64_t>(std::ceil(histogram_lower_s(i) * 1e9 - 1e-6));
    CAPTURE(i);
    CAPTURE(first);
    CHECK(histogram_bucket(first) == i);
    CHECK(histogram_bucket(first - 1) == i - 1);
  }
}

TEST_CASE("measure counts finished buys, and only buys, in the histogram") {
  auto op = [](OperationKind kind, Outcome outcome, std::int64_t start_ns, std::int64_t latency_ns) {
    Operation operation;
    operation.kind = kind;
    operation.outcome = outcome;
    operation.start_ns = start_ns;
    operation.end_ns = latency_ns < 0 ? 0 : start_ns + latency_ns;
    return operation;
  };
  std::vector<Operation> first = {
      op(OperationKind::kSearch, Outcome::kOk, 10, 1'000),
      op(OperationKind::kBuy, Outcome::kSold, 2'000, 1'000),
      op(OperationKind::kBuy, Outcome::kSoldOut, 5'000, 1'500),
  };
  std::vector<Operation> second = {
      op(OperationKind::kBuy, Outcome::kSold, 100, 5'000'000),
      op(OperationKind::kBuy, Outcome::kSold, 9'000'000, -1),  // never finished
  };
  std::vector<BuyerHistory> buyers = {{1, first, ""}, {2, second, ""}};
  Metrics metrics = measure(buyers, 1'000'000'000, 0);
  REQUIRE(metrics.buy_histogram.size() == static_cast<std::size_t>(kHistogramBuckets));
  std::vector<std::int64_t> expected(kHistogramBuckets, 0);
  expected[5] = 2;   // 1 us and 1.5 us
  expected[23] = 1;  // 5 ms: [3.98 ms, 6.31 ms)
  CHECK(metrics.buy_histogram == expected);
  CHECK(metrics.buy.count == 3);
}

// ---------------------------------------------------------------------------
// shell_command

namespace {

// What /bin/sh makes of `line` as printf's arguments: one word each.
std::vector<std::string> sh_words(const std::string& line) {
  std::string command = "printf '%s\\0' " + line;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  CHECK(pclose(pipe) == 0);
  std::vector<std::string> words;
  std::size_t start = 0;
  for (std::size_t end = out.find('\0'); end != std::string::npos; end = out.find('\0', start)) {
    words.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  CHECK(start == out.size());
  return words;
}

}  // namespace

TEST_CASE("shell_command: plain words as they are, others quoted") {
  CHECK(shell_command({}) == "");
  CHECK(shell_command({"ticketsim", "compare", "-s", "scenarios/rush.toml", "--seed=42", "--export", "a,b@c:1+2%"}) ==
        "ticketsim compare -s scenarios/rush.toml --seed=42 --export a,b@c:1+2%");
  CHECK(shell_command({"a b"}) == "'a b'");
  CHECK(shell_command({"$HOME"}) == "'$HOME'");
  CHECK(shell_command({"it's"}) == "'it'\\''s'");
  CHECK(shell_command({""}) == "''");
  CHECK(shell_command({"x", "", "y"}) == "x '' y");
  CHECK(shell_command({"*.toml"}) == "'*.toml'");
  CHECK(shell_command({"~"}) == "'~'");
}

TEST_CASE("shell_command: /bin/sh reads the words back") {
  std::vector<std::string> words = {"ticketsim", "a b", "it's", "", "$HOME", "${PATH}", "`id`", "$(id)",
                                    "\"double\"", "back\\slash", "semi;colon", "a&b", "a|b", "<in", ">out",
                                    "new\nline", "tab\there", "*", "?", "[ab]", "~", "#hash", "ünïcødé",
                                    "%s", "'", "''", "\\'", "!", "{a,b}", "a=b"};
  CHECK(sh_words(shell_command(words)) == words);
  // One word at a time too, so that a failure names it.
  for (const std::string& word : words) {
    CAPTURE(word);
    CHECK(sh_words(shell_command({word})) == std::vector<std::string>{word});
  }
}

// ---------------------------------------------------------------------------
// file_sha256, filesystem_type, the context

TEST_CASE("file_sha256 of a file, an empty file and a missing one") {
  TempDir dir;
  CHECK(file_sha256(dir.file("abc.txt", "abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(file_sha256(dir.file("empty.txt", "")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string binary("a\0b\xff", 4);
  std::string path = dir.file("binary", binary);
  CHECK(std::filesystem::file_size(path) == 4);
  CHECK(file_sha256(path).size() == 64);
  CHECK(file_sha256(path) != file_sha256(dir.file("prefix", "a")));
  CHECK(file_sha256(dir.path / "missing") == "");
  CHECK(file_sha256(dir.path) == "");  // a directory opens, but is no file
}

TEST_CASE("context_json and context_from_json") {
  Context context = sample_matrix().context;
  nlohmann::json json = nlohmann::json::parse(context_json(context).dump());
  Context back = context_from_json(json);
  CHECK(back.ticketsim_version == context.ticketsim_version);
  CHECK(back.git_revision == context.git_revision);
  CHECK(back.build_type == context.build_type);
  CHECK(back.compiler == context.compiler);
  CHECK(back.cpu_model == context.cpu_model);
  CHECK(back.cpus_online == 8);
  CHECK(back.cpus_usable == 4);
  CHECK(back.kernel == context.kernel);
  CHECK(back.store_dir == context.store_dir);
  CHECK(back.store_filesystem == context.store_filesystem);
  CHECK(back.sqlite_version == context.sqlite_version);
  CHECK(back.boost_version == context.boost_version);
  CHECK(back.scenario_file == context.scenario_file);
  CHECK(back.scenario_sha256 == context.scenario_sha256);
  CHECK(back.seed == std::numeric_limits<std::uint64_t>::max());
  CHECK(back.command_line == context.command_line);
  CHECK(back.started_at == context.started_at);
  CHECK(context_json(back) == context_json(context));

  // Missing or mistyped keys stay empty; a non-object gives an empty context.
  json.erase("cpu_model");
  json["cpus_online"] = "eight";
  json["seed"] = -1;
  back = context_from_json(json);
  CHECK(back.cpu_model.empty());
  CHECK(back.cpus_online == 0);
  CHECK(back.seed == 0);
  CHECK(back.kernel == context.kernel);
  CHECK(context_from_json(nlohmann::json::array()).ticketsim_version.empty());
  CHECK(context_from_json(nlohmann::json(nullptr)).seed == 0);
}

// ---------------------------------------------------------------------------
// An interrupted comparison, and JSON that does not fit its matrix.

TEST_CASE("an interrupted comparison speaks only of the cells it reached") {
  Run one{.strategy = "sqlite", .buyers = 1, .rate = 50};
  one.inventory = {{0.0, 100}, {0.5, 40}};
  Comparison c = comparison_of({"sqlite", "file-lock"}, {1, 4}, 2, {one});
  c.interrupted_by = "SIGINT";
  std::vector<std::string> lines = summary_lines(c, cells_of(c));
  CHECK(lines == std::vector<std::string>{"at 1 buyer, sqlite sold fastest (50 sales/s), the only strategy correct in every run",
                                          "interrupted by SIGINT after 1 of 8 runs"});
  // The charts at the largest buyer count take the largest that ran.
  std::string html = comparison_html(c);
  CHECK(contains(html, "Tickets left over time at 1 buyer: each strategy"));
  CHECK(contains(html, "Buy latency distribution at 1 buyer (all runs pooled)"));
  CHECK_FALSE(contains(html, "No run had the monitor"));
}

TEST_CASE("comparison_from_json: an empty matrix, a run outside it, a result without schema_version") {
  nlohmann::json json = comparison_json(sample_matrix());
  nlohmann::json empty = json;
  empty["matrix"]["buyers"] = nlohmann::json::array();
  CHECK(from_json_error(empty, "e.json") == "e.json: matrix: 'strategies' and 'buyers' must not be empty");
  nlohmann::json outside = json;
  outside["runs"][2]["strategy"] = "queue";
  CHECK(from_json_error(outside, "o.json") == "o.json: runs[2]: queue at 1 buyers is not a cell of the matrix");
  nlohmann::json single = result_json(result_of(Run{}));
  single.erase("schema_version");
  CHECK(from_json_error(single, "r.json") == "r.json: missing key 'schema_version'");
}

TEST_CASE("CSV quotes every text field it takes from the JSON") {
  Run odd{.strategy = "in,valid"};
  Comparison c = comparison_of({"sqlite"}, {4}, 1, {odd});
  std::vector<std::vector<std::string>> rows = parse_csv(comparison_csv(c));
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].size() == rows[0].size());
  CHECK(rows[1][0] == "in,valid");
}

TEST_CASE("shell_command quotes a first word holding '=', which the shell would take as an assignment") {
  CHECK(shell_command({"FOO=bar", "echo", "a=b"}) == "'FOO=bar' echo a=b");
}

TEST_CASE("summary: a lead smaller than its error is called level, not faster") {
  Comparison spread = comparison_of({"sqlite", "queue", "file-lock"}, {8}, 3,
                                    joined({cell_runs("sqlite", 8, {80, 104, 120}), cell_runs("queue", 8, {95, 100, 105}),
                                            cell_runs("file-lock", 8, {50, 50, 50})}));
  std::vector<std::string> lines = summary_lines(spread, cells_of(spread));
  REQUIRE_FALSE(lines.empty());
  CHECK(lines[0] == "at 8 buyers, sqlite sold fastest (104 sales/s): level with queue (1.04 ± 0.21 ×), "
                    "2.08 ± 0.41 × faster than file-lock");
  Comparison single = comparison_of({"sqlite", "queue"}, {8}, 1,
                                    joined({cell_runs("sqlite", 8, {104}), cell_runs("queue", 8, {100})}));
  CHECK(summary_lines(single, cells_of(single))[0] == "at 8 buyers, sqlite sold fastest (104 sales/s): level with queue (1.04 ×)");
}

TEST_CASE("summary: one strategy is not ranked, only measured") {
  Comparison c = comparison_of({"robust-mutex"}, {1, 16}, 3,
                               joined({cell_runs("robust-mutex", 1, {700, 727, 750}),
                                       cell_runs("robust-mutex", 16, {400, 410, 420})}));
  CHECK(summary_lines(c, cells_of(c)) ==
        std::vector<std::string>{"at 1 buyer, robust-mutex sold 727 sales/s", "at 16 buyers, robust-mutex sold 410 sales/s"});
}

// ---------------------------------------------------------------------------
// The JSON documents these tests make, for tests/json_schema_test.py, which
// runs this case with TICKETSIM_JSON_SAMPLES set to a directory and
// validates each file against docs/result.schema.json (result-*.json) or
// docs/comparison.schema.json (export-*.json). Without it, it writes nothing.

TEST_CASE("the JSON results and exports these tests make, written for the schema test") {
  const char* directory = std::getenv("TICKETSIM_JSON_SAMPLES");
  std::vector<std::pair<std::string, nlohmann::json>> documents;
  Result all_classes = result_of({.verdict = Verdict::kInvalid});
  for (AnomalyReport& report : all_classes.check.anomalies) report.count = 1, report.example = "planted";
  Result until_sold_out = result_of({});
  until_sold_out.scenario.attempts.reset();
  std::vector<Result> results = {every_field_result(),
                                 all_classes,
                                 until_sold_out,
                                 result_of({.remaining = std::nullopt}),
                                 result_of({.verdict = Verdict::kInterrupted, .histogram = false})};
  for (std::size_t i = 0; i < results.size(); ++i) {
    documents.emplace_back(fmt::format("result-{}.json", i), result_json(results[i]));
  }
  nlohmann::json with_context = result_json(result_of({}));
  with_context["context"] = context_json(sample_matrix().context);
  documents.emplace_back("result-with-context.json", with_context);

  Comparison interrupted = sample_matrix();
  interrupted.strategies.push_back("a|b");
  interrupted.rows.push_back(row_of({.strategy = "a|b", .buyers = 4, .rate = 5, .verdict = Verdict::kStuck}));
  interrupted.interrupted_by = "SIGTERM";
  Comparison planted = comparison_of({"queue"}, {3}, 1, {});
  planted.rows.push_back({every_field_result(), 1, "ticketsim run x.toml", sample_matrix().context});
  planted.strategies = {"queue"};
  documents.emplace_back("export-sample-matrix.json", comparison_json(sample_matrix()));
  documents.emplace_back("export-interrupted.json", comparison_json(interrupted));
  documents.emplace_back("export-every-field.json", comparison_json(planted));
  documents.emplace_back("export-single-run.json",
                         comparison_json(comparison_from_json(with_context, "run.json")));
  // Each reads back as it was written.
  for (const auto& [name, json] : documents) {
    CAPTURE(name);
    if (name.starts_with("export-")) {
      CHECK(comparison_json(comparison_from_json(json, name)) == json);
    } else {
      CHECK(result_json(result_from_json(json, name)) == [&] {
        nlohmann::json without = json;
        without.erase("context");
        return without;
      }());
    }
  }
  if (!directory) return;
  for (const auto& [name, json] : documents) {
    std::ofstream out(std::filesystem::path(directory) / name);
    out << json.dump(2) << "\n";
    REQUIRE(out.good());
  }
}

TEST_CASE("HTML: the sales chart turns logarithmic when one strategy outruns the rest tenfold, and says so") {
  Comparison wide = comparison_of({"plain", "sqlite"}, {4}, 1,
                                  joined({cell_runs("plain", 4, {5000}), cell_runs("sqlite", 4, {100})}));
  CHECK(contains(comparison_html(wide), "(log scale: the rates span more than ten times)"));
  Comparison near = comparison_of({"plain", "sqlite"}, {4}, 1,
                                  joined({cell_runs("plain", 4, {500}), cell_runs("sqlite", 4, {100})}));
  CHECK_FALSE(contains(comparison_html(near), "log scale"));
}
