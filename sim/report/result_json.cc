#include "sim/report/result_json.h"

#include <nlohmann/json.hpp>

namespace ticketsim {
namespace {

nlohmann::json latency_json(const LatencyStats& stats) {
  return {{"count", stats.count}, {"min", stats.min},   {"mean", stats.mean},
          {"stddev", stats.stddev}, {"p50", stats.p50}, {"p90", stats.p90},
          {"p99", stats.p99},     {"p99_9", stats.p999}, {"max", stats.max}};
}

}  // namespace

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
