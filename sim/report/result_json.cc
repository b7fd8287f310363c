#include "sim/report/result_json.h"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/json_input.h"

namespace ticketsim {
namespace {

nlohmann::json latency_json(const LatencyStats& stats) {
  return {{"count", stats.count}, {"min", stats.min},   {"mean", stats.mean},
          {"stddev", stats.stddev}, {"p50", stats.p50}, {"p90", stats.p90},
          {"p99", stats.p99},     {"p99_9", stats.p999}, {"max", stats.max}};
}

LatencyStats latency_from_json(const nlohmann::json& object, const std::string& where) {
  LatencyStats stats;
  stats.count = json_integer(object, "count", where);
  stats.min = json_number(object, "min", where);
  stats.mean = json_number(object, "mean", where);
  stats.stddev = json_number(object, "stddev", where);
  stats.p50 = json_number(object, "p50", where);
  stats.p90 = json_number(object, "p90", where);
  stats.p99 = json_number(object, "p99", where);
  stats.p999 = json_number(object, "p99_9", where);
  stats.max = json_number(object, "max", where);
  return stats;
}

// A duration written in seconds, back to the nanoseconds it was: rounding
// undoes the division, so that the report prints the same "50ms".
Duration duration_from_json(const nlohmann::json& object, const char* key, const std::string& where) {
  double seconds = json_number(object, key, where);
  // Beyond a century it would not fit in nanoseconds; no run waits that long.
  if (!(seconds >= 0 && seconds < 3.15e9)) {
    throw InputError(fmt::format("{}: key '{}' must be a duration in seconds, from 0 to a century", where, key));
  }
  return std::chrono::round<Duration>(std::chrono::duration<double>(seconds));
}

nlohmann::json retry_json(const RetryCounts& retry) {
  return {{"serialization_failures", retry.serialization_failures},
          {"deadlock_failures", retry.deadlock_failures},
          {"retried_transactions", retry.retried},
          {"total_retries", retry.retries},
          {"failed_transactions", retry.failed}};
}

RetryCounts retry_from_json(const nlohmann::json& object, const std::string& where) {
  RetryCounts retry;
  retry.serialization_failures = json_integer(object, "serialization_failures", where);
  retry.deadlock_failures = json_integer(object, "deadlock_failures", where);
  retry.retried = json_integer(object, "retried_transactions", where);
  retry.retries = json_integer(object, "total_retries", where);
  retry.failed = json_integer(object, "failed_transactions", where);
  return retry;
}

Verdict verdict_from_json(const nlohmann::json& object, const char* key, const std::string& where) {
  std::string name = json_text(object, key, where);
  for (Verdict verdict : {Verdict::kValid, Verdict::kInvalid, Verdict::kStuck, Verdict::kInterrupted}) {
    if (verdict_name(verdict) == name) return verdict;
  }
  throw InputError(fmt::format("{}: key '{}' is '{}', not valid, invalid, stuck or interrupted", where, key, name));
}

}  // namespace

nlohmann::json result_json(const Result& result) {
  const Scenario& scenario = result.scenario;
  const Metrics& metrics = result.metrics;
  nlohmann::json json;
  json["schema_version"] = kSchemaVersion;
  json["ticketsim_version"] = result.ticketsim_version;
  json["scenario"] = {{"name", scenario.name}, {"file", scenario.file}, {"description", scenario.description}};
  json["strategy"] = scenario.strategy;
  json["mode"] = mode_name(scenario.mode);
  json["buyer_count"] = scenario.buyers;
  json["tickets"] = scenario.tickets;
  json["attempts_per_buyer"] =
      scenario.attempts ? nlohmann::json(*scenario.attempts) : nlohmann::json("until-sold-out");
  json["seed"] = scenario.seed;
  json["delays"] = {{"search_s", to_seconds(scenario.delays.search)},
                    {"purchase_s", to_seconds(scenario.delays.purchase)},
                    {"jitter", scenario.delays.jitter}};

  json["verdict"] = verdict_name(result.verdict);
  json["expected_verdict"] = verdict_name(scenario.expected);
  json["expected_from"] = scenario.expected_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(scenario.expected_from);
  json["scenario_expected_verdict"] =
      scenario.file_expected ? nlohmann::json(verdict_name(*scenario.file_expected)) : nlohmann::json(nullptr);
  json["as_expected"] = result.as_expected();
  json["sold"] = result.check.sold;
  json["remaining"] = result.final_state.corrupt ? nlohmann::json(nullptr)
                                                 : nlohmann::json(result.final_state.remaining);
  json["searches"] = result.check.searches;
  json["attempts"] = result.check.attempts;
  json["sold_out_answers"] = result.check.sold_out;
  json["indeterminate"] = result.check.indeterminate;
  json["indeterminate_resolved"] =
      result.check.resolved_by_ledger
          ? nlohmann::json{{"sold", result.check.resolved_sold}, {"not_sold", result.check.resolved_unsold}}
          : nlohmann::json(nullptr);
  json["timeouts"] = result.check.timeouts;
  json["cancelled"] = result.check.cancelled;
  json["lock_timeout_s"] = to_seconds(scenario.lock_timeout);
  json["stuck"] = result.verdict == Verdict::kStuck
                      ? nlohmann::json{{"reason", result.stuck_reason}, {"after_s", result.stuck_after_s}}
                      : nlohmann::json(nullptr);
  json["interrupted_by"] = result.interrupted_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.interrupted_by);
  nlohmann::json faults = nlohmann::json::array();
  for (const PlannedFault& fault : result.faults) faults.push_back({{"pid", fault.pid}, {"fault", fault.what}, {"carried_out", fault.carried_out}});
  json["faults"] = std::move(faults);
  json["seller"] = result.seller_pid ? nlohmann::json{{"pid", result.seller_pid}, {"ended", result.seller_ended}}
                                     : nlohmann::json(nullptr);
  json["retries"] = result.check.retries;
  json["failures_detailed"] = retry_json(metrics.retry);

  nlohmann::json anomalies = nlohmann::json::object();
  nlohmann::json examples = nlohmann::json::object();
  for (const AnomalyReport& report : result.check.anomalies) {
    anomalies[std::string(anomaly_key(report.anomaly))] = report.count;
    if (report.count) examples[std::string(anomaly_key(report.anomaly))] = report.example;
  }
  json["anomalies"] = anomalies;
  json["anomaly_examples"] = examples;
  json["final_store"] = {
      {"corrupt", result.final_state.corrupt},
      {"problem", result.final_state.problem},
      {"ledger_sales", result.final_state.ledger_sales ? nlohmann::json(*result.final_state.ledger_sales)
                                                       : nlohmann::json(nullptr)},
      {"lock_recoveries", result.final_state.lock_recoveries}};
  nlohmann::json inventory = nlohmann::json::array();
  for (const InventorySample& sample : result.inventory) inventory.push_back({{"t_s", sample.at_s}, {"count", sample.count}});
  json["inventory"] = std::move(inventory);

  json["throughput"] = {{"window_s", metrics.window_s},
                        {"sales_per_s", metrics.sales_per_s},
                        {"attempts_per_s", metrics.attempts_per_s}};
  json["spawn_s"] = metrics.spawn_s;
  json["connection_s"] = {{"median", metrics.connect.median_s}, {"max", metrics.connect.max_s}};
  json["latency_s"] = {{"search", latency_json(metrics.search)}, {"buy", latency_json(metrics.buy)}};
  json["latency_histogram"] = {{"first_lower_s", kHistogramFirstLower_s},
                               {"buckets_per_decade", kHistogramBucketsPerDecade},
                               {"buy", metrics.buy_histogram}};
  const Spread& fairness = metrics.tickets_per_buyer;
  json["fairness"] = {{"tickets_per_buyer",
                       {{"min", fairness.min}, {"mean", fairness.mean}, {"max", fairness.max},
                        {"stddev", fairness.stddev}}}};

  nlohmann::json buyers = nlohmann::json::array();
  for (const BuyerRow& row : result.buyers) {
    nlohmann::json entry = {{"pid", row.pid},           {"ppid", row.ppid},
                            {"exit_status", row.exit_status}, {"ended", row.ended},
                            {"sold", row.sold},         {"attempts", row.attempts},
                            {"connect_s", row.connect_s}, {"failures_detailed", retry_json(row.retry)}};
    if (!row.error.empty()) entry["error"] = row.error;
    if (row.killed_waiting) entry["killed_waiting"] = true;
    buyers.push_back(std::move(entry));
  }
  json["buyers"] = std::move(buyers);
  if (!result.hosts.empty()) {
    nlohmann::json each = nlohmann::json::array();
    auto text_or_null = [](const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); };
    for (const HostRow& row : result.hosts) {
      const HostRecord& host = row.host;
      each.push_back({{"name", host.name},
                      {"buyers", host.buyers},
                      {"clock_offset_s", static_cast<double>(host.offset_ns) * 1e-9},
                      {"clock_drift_ppm", host.drift_ppm},
                      {"clock_uncertainty_s", static_cast<double>(host.uncertainty_ns) * 1e-9},
                      {"round_trip_s", static_cast<double>(host.round_trip_ns) * 1e-9},
                      {"spawn_s", static_cast<double>(host.spawn_ns) * 1e-9},
                      {"sold", row.sold},
                      {"window_s", row.window_s},
                      {"sales_per_s", row.sales_per_s},
                      {"buy_latency_s", latency_json(row.buy)},
                      {"clock_problem", text_or_null(host.clock_problem)},
                      {"lost", text_or_null(host.lost)}});
    }
    json["hosts"] = {{"all_hosts_window_s", result.all_hosts_window_s},
                     {"all_hosts_sales_per_s", result.all_hosts_sales_per_s},
                     {"read_bounds_skipped", text_or_null(result.check.read_bounds_skipped)},
                     {"each", std::move(each)}};
  }
  if (const std::optional<LinearizabilityResult>& lin = result.linearizability) {
    json["linearizability"] = {{"answer", linearizability_name(lin->answer)}, {"explanation", lin->explanation},
                               {"operations", lin->operations}, {"configurations", lin->configurations},
                               {"elapsed_s", lin->elapsed_s}};
  }
  return json;
}

Result result_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) throw InputError(fmt::format("{}: a run's result must be a JSON object", where));
  if (json_integer(json, "schema_version", where) != kSchemaVersion) {
    throw InputError(fmt::format("{}: schema_version {} is not the {} this ticketsim reads", where,
                                 json["schema_version"].dump(), kSchemaVersion));
  }
  Result result;
  result.ticketsim_version = json_text(json, "ticketsim_version", where);
  if (json.contains("linearizability")) {
    const nlohmann::json& lin = json_object(json, "linearizability", where);
    std::string inside = where + ": linearizability";
    std::string answer = json_text(lin, "answer", inside);
    LinearizabilityResult read;
    read.answer = answer == "linearizable"       ? Linearizability::kLinearizable
                  : answer == "not linearizable" ? Linearizability::kNotLinearizable
                                                 : Linearizability::kUnknown;
    read.explanation = json_text(lin, "explanation", inside);
    read.operations = json_integer(lin, "operations", inside);
    read.configurations = json_integer(lin, "configurations", inside);
    read.elapsed_s = json_number(lin, "elapsed_s", inside);
    result.linearizability = read;
  }
  Scenario& scenario = result.scenario;
  const nlohmann::json& about = json_object(json, "scenario", where);
  scenario.name = json_text(about, "name", where + ": scenario");
  scenario.file = json_text(about, "file", where + ": scenario");
  scenario.description = json_text(about, "description", where + ": scenario");
  scenario.strategy = json_text(json, "strategy", where);
  std::string mode = json_text(json, "mode", where);
  if (mode == mode_name(Mode::kConcurrent)) scenario.mode = Mode::kConcurrent;
  else if (mode == mode_name(Mode::kSerial)) scenario.mode = Mode::kSerial;
  else throw InputError(fmt::format("{}: key 'mode' is '{}', not concurrent or serial", where, mode));
  scenario.buyers = json_integer(json, "buyer_count", where);
  scenario.tickets = json_integer(json, "tickets", where);
  const nlohmann::json& attempts = json_member(json, "attempts_per_buyer", where);
  if (attempts == "until-sold-out") scenario.attempts.reset();
  else scenario.attempts = json_integer(json, "attempts_per_buyer", where);
  scenario.seed = json_unsigned(json, "seed", where);
  const nlohmann::json& delays = json_object(json, "delays", where);
  scenario.delays.search = duration_from_json(delays, "search_s", where + ": delays");
  scenario.delays.purchase = duration_from_json(delays, "purchase_s", where + ": delays");
  scenario.delays.jitter = json_number(delays, "jitter", where + ": delays");
  scenario.lock_timeout = duration_from_json(json, "lock_timeout_s", where);
  scenario.expected = verdict_from_json(json, "expected_verdict", where);
  // Results written before these keys existed expected what the file said.
  if (json.contains("expected_from") && !json["expected_from"].is_null()) {
    scenario.expected_from = json_text(json, "expected_from", where);
  }
  if (json.contains("scenario_expected_verdict") && !json["scenario_expected_verdict"].is_null()) {
    scenario.file_expected = verdict_from_json(json, "scenario_expected_verdict", where);
  }
  result.verdict = verdict_from_json(json, "verdict", where);

  CheckResult& check = result.check;
  check.sold = json_integer(json, "sold", where);
  check.searches = json_integer(json, "searches", where);
  check.attempts = json_integer(json, "attempts", where);
  check.sold_out = json_integer(json, "sold_out_answers", where);
  check.indeterminate = json_integer(json, "indeterminate", where);
  if (json.contains("indeterminate_resolved") && !json["indeterminate_resolved"].is_null()) {
    const nlohmann::json& resolved = json["indeterminate_resolved"];
    check.resolved_by_ledger = true;
    check.resolved_sold = json_integer(resolved, "sold", where + ": indeterminate_resolved");
    check.resolved_unsold = json_integer(resolved, "not_sold", where + ": indeterminate_resolved");
  }
  check.timeouts = json_integer(json, "timeouts", where);
  // Results written before the key existed counted these as indeterminate.
  if (json.contains("cancelled")) check.cancelled = json_integer(json, "cancelled", where);
  check.retries = json_integer(json, "retries", where);
  const nlohmann::json& anomalies = json_object(json, "anomalies", where);
  const nlohmann::json& examples = json_object(json, "anomaly_examples", where);
  for (int i = 0; i < kAnomalyClasses; ++i) {
    auto anomaly = static_cast<Anomaly>(i);
    std::string key(anomaly_key(anomaly));
    AnomalyReport report{anomaly, json_integer(anomalies, key.c_str(), where + ": anomalies"), {}};
    if (report.count != 0) report.example = json_text(examples, key.c_str(), where + ": anomaly_examples");
    check.anomalies.push_back(std::move(report));
  }

  FinalState& store = result.final_state;
  const nlohmann::json& final_store = json_object(json, "final_store", where);
  store.corrupt = json_bool(final_store, "corrupt", where + ": final_store");
  store.problem = json_text(final_store, "problem", where + ": final_store");
  if (!json_member(final_store, "ledger_sales", where + ": final_store").is_null()) {
    store.ledger_sales = json_integer(final_store, "ledger_sales", where + ": final_store");
  }
  store.lock_recoveries = json_integer(final_store, "lock_recoveries", where + ": final_store");
  // A corrupt store has no count to end with; any other has one.
  if (store.corrupt) {
    if (!json_member(json, "remaining", where).is_null()) {
      throw InputError(fmt::format("{}: key 'remaining' must be null when the final store is corrupt", where));
    }
  } else {
    store.remaining = json_integer(json, "remaining", where);
  }

  if (result.verdict == Verdict::kStuck) {
    const nlohmann::json& stuck = json_object(json, "stuck", where);
    result.stuck_reason = json_text(stuck, "reason", where + ": stuck");
    result.stuck_after_s = json_number(stuck, "after_s", where + ": stuck");
  } else if (!json_member(json, "stuck", where).is_null()) {
    throw InputError(fmt::format("{}: key 'stuck' must be null unless the verdict is stuck", where));
  }
  if (!json_member(json, "interrupted_by", where).is_null()) result.interrupted_by = json_text(json, "interrupted_by", where);
  const nlohmann::json& faults = json_list(json, "faults", where);
  for (std::size_t i = 0; i < faults.size(); ++i) {
    std::string at = fmt::format("{}: faults[{}]", where, i);
    result.faults.push_back({static_cast<std::int32_t>(json_integer(faults[i], "pid", at)), json_text(faults[i], "fault", at),
                             // Results written before the key existed listed planned faults only.
                             !faults[i].contains("carried_out") || json_bool(faults[i], "carried_out", at)});
  }
  const nlohmann::json& seller = json_member(json, "seller", where);
  if (!seller.is_null()) {
    result.seller_pid = static_cast<std::int32_t>(json_integer(seller, "pid", where + ": seller"));
    result.seller_ended = json_text(seller, "ended", where + ": seller");
  }
  const nlohmann::json& inventory = json_list(json, "inventory", where);
  for (std::size_t i = 0; i < inventory.size(); ++i) {
    std::string at = fmt::format("{}: inventory[{}]", where, i);
    result.inventory.push_back({json_number(inventory[i], "t_s", at), json_integer(inventory[i], "count", at)});
  }

  Metrics& metrics = result.metrics;
  const nlohmann::json& throughput = json_object(json, "throughput", where);
  metrics.window_s = json_number(throughput, "window_s", where + ": throughput");
  metrics.sales_per_s = json_number(throughput, "sales_per_s", where + ": throughput");
  metrics.attempts_per_s = json_number(throughput, "attempts_per_s", where + ": throughput");
  metrics.spawn_s = json_number(json, "spawn_s", where);
  metrics.retry = retry_from_json(json_object(json, "failures_detailed", where), where + ": failures_detailed");
  const nlohmann::json& connection = json_object(json, "connection_s", where);
  metrics.connect = {json_number(connection, "median", where + ": connection_s"),
                     json_number(connection, "max", where + ": connection_s")};
  const nlohmann::json& latency = json_object(json, "latency_s", where);
  metrics.search = latency_from_json(json_object(latency, "search", where + ": latency_s"), where + ": latency_s: search");
  metrics.buy = latency_from_json(json_object(latency, "buy", where + ": latency_s"), where + ": latency_s: buy");
  const nlohmann::json& histogram = json_object(json, "latency_histogram", where);
  std::string in_histogram = where + ": latency_histogram";
  // Counts are only meaningful against the buckets they were counted in.
  if (json_number(histogram, "first_lower_s", in_histogram) != kHistogramFirstLower_s ||
      json_integer(histogram, "buckets_per_decade", in_histogram) != kHistogramBucketsPerDecade) {
    throw InputError(fmt::format("{}: buckets other than {} per decade from {} s are not read", in_histogram,
                                 kHistogramBucketsPerDecade, kHistogramFirstLower_s));
  }
  const nlohmann::json& buy = json_list(histogram, "buy", in_histogram);
  if (!buy.empty() && buy.size() != kHistogramBuckets) {
    throw InputError(fmt::format("{}: key 'buy' must list {} counts", in_histogram, kHistogramBuckets));
  }
  for (const nlohmann::json& count : buy) {
    if (!count.is_number_integer()) throw InputError(fmt::format("{}: counts must be integers", in_histogram));
    metrics.buy_histogram.push_back(count.get<std::int64_t>());
  }
  std::string in_fairness = where + ": fairness: tickets_per_buyer";
  const nlohmann::json& fairness =
      json_object(json_object(json, "fairness", where), "tickets_per_buyer", where + ": fairness");
  metrics.tickets_per_buyer = {json_number(fairness, "min", in_fairness), json_number(fairness, "mean", in_fairness),
                               json_number(fairness, "max", in_fairness), json_number(fairness, "stddev", in_fairness)};

  const nlohmann::json& buyers = json_list(json, "buyers", where);
  for (std::size_t i = 0; i < buyers.size(); ++i) {
    std::string at = fmt::format("{}: buyers[{}]", where, i);
    const nlohmann::json& entry = buyers[i];
    BuyerRow row{static_cast<std::int32_t>(json_integer(entry, "pid", at)),
                 static_cast<std::int32_t>(json_integer(entry, "ppid", at)),
                 static_cast<int>(json_integer(entry, "exit_status", at)),
                 json_text(entry, "ended", at),
                 json_integer(entry, "sold", at),
                 json_integer(entry, "attempts", at),
                 entry.contains("error") ? json_text(entry, "error", at) : std::string(),
                 retry_from_json(json_object(entry, "failures_detailed", at), at + ": failures_detailed"),
                 json_number(entry, "connect_s", at),
                 entry.contains("killed_waiting") && json_bool(entry, "killed_waiting", at)};
    metrics.sold_by_buyer.push_back(row.sold);
    metrics.attempts_by_buyer.push_back(row.attempts);
    metrics.retry_by_buyer.push_back(row.retry);
    metrics.connect_by_buyer_s.push_back(row.connect_s);
    result.buyers.push_back(std::move(row));
  }
  return result;
}

}  // namespace ticketsim
