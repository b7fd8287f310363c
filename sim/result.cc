#include "sim/result.h"

#include <sys/wait.h>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace ticketsim {
namespace {

nlohmann::json latency_json(const LatencyStats& stats) {
  return {{"count", stats.count}, {"min", stats.min},   {"mean", stats.mean},
          {"stddev", stats.stddev}, {"p50", stats.p50}, {"p90", stats.p90},
          {"p99", stats.p99},     {"p99_9", stats.p999}, {"max", stats.max}};
}

int exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

}  // namespace

Result make_result(const RunRecord& record) {
  Result result;
  result.scenario = record.scenario;
  result.final_state = record.final_state;

  std::vector<BuyerHistory> histories = record.history->histories();
  // Buyers are forked in order: a run interrupted while spawning started
  // only the first ones, and only they have a history.
  histories.resize(record.buyers.size());
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const BuyerProcess& process = record.buyers[i];
    bool clean_exit = WIFEXITED(process.wait_status) && WEXITSTATUS(process.wait_status) == 0;
    if (!clean_exit && !process.ended_on_purpose) {
      histories[i].failure = describe_wait_status(process.wait_status);
      if (!process.error.empty()) histories[i].failure += ": " + process.error;
    }
  }
  result.check = check_history({histories, record.scenario.tickets, record.final_state, record.start_ns});
  result.verdict = !record.interrupted_by.empty() ? Verdict::kInterrupted
                   : record.stuck                   ? Verdict::kStuck
                   : result.check.valid()           ? Verdict::kValid
                                                    : Verdict::kInvalid;
  result.faults = record.faults;
  result.stuck_reason = record.stuck_reason;
  result.stuck_after_s = static_cast<double>(record.stuck_at_ns) * 1e-9;
  result.interrupted_by = record.interrupted_by;
  result.seller_pid = record.seller_pid;
  result.seller_ended = record.seller_ended;
  // The monitor starts before the buyers are released: of its samples from
  // before, only the last counts, as the count at the release.
  for (const MonitorSample& sample : record.inventory) {
    if (sample.outcome != Outcome::kOk) continue;
    double at_s = static_cast<double>(sample.at_ns - record.start_ns) * 1e-9;
    if (at_s < 0 && !result.inventory.empty() && result.inventory.back().at_s == 0) result.inventory.pop_back();
    result.inventory.push_back({std::max(0.0, at_s), sample.count});
  }
  result.metrics = measure(histories, record.window_ns, record.spawn_ns);

  for (std::size_t i = 0; i < record.buyers.size(); ++i) {
    const BuyerProcess& process = record.buyers[i];
    result.buyers.push_back({process.pid, process.ppid, exit_status_of(process.wait_status),
                             describe_wait_status(process.wait_status), result.metrics.sold_by_buyer[i],
                             result.metrics.attempts_by_buyer[i], process.error});
  }
  return result;
}

nlohmann::json result_json(const Result& result) {
  const Scenario& scenario = result.scenario;
  const Metrics& metrics = result.metrics;
  nlohmann::json json;
  json["schema_version"] = kSchemaVersion;
  json["ticketsim_version"] = TICKETSIM_VERSION;
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
  json["as_expected"] = result.as_expected();
  json["sold"] = result.check.sold;
  json["remaining"] = result.final_state.corrupt ? nlohmann::json(nullptr)
                                                 : nlohmann::json(result.final_state.remaining);
  json["searches"] = result.check.searches;
  json["attempts"] = result.check.attempts;
  json["sold_out_answers"] = result.check.sold_out;
  json["indeterminate"] = result.check.indeterminate;
  json["timeouts"] = result.check.timeouts;
  json["lock_timeout_s"] = to_seconds(scenario.lock_timeout);
  json["stuck"] = result.verdict == Verdict::kStuck
                      ? nlohmann::json{{"reason", result.stuck_reason}, {"after_s", result.stuck_after_s}}
                      : nlohmann::json(nullptr);
  json["interrupted_by"] = result.interrupted_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.interrupted_by);
  nlohmann::json faults = nlohmann::json::array();
  for (const PlannedFault& fault : result.faults) faults.push_back({{"pid", fault.pid}, {"fault", fault.what}});
  json["faults"] = std::move(faults);
  json["seller"] = result.seller_pid ? nlohmann::json{{"pid", result.seller_pid}, {"ended", result.seller_ended}}
                                     : nlohmann::json(nullptr);
  json["retries"] = result.check.retries;

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
                            {"sold", row.sold},         {"attempts", row.attempts}};
    if (!row.error.empty()) entry["error"] = row.error;
    buyers.push_back(std::move(entry));
  }
  json["buyers"] = std::move(buyers);
  return json;
}

}  // namespace ticketsim
