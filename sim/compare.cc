#include "sim/compare.h"

#include <fmt/format.h>

#include "sim/children.h"
#include "sim/result.h"

namespace ticketsim {
namespace {

Scenario cell_scenario(const Scenario& base, const std::string& strategy, std::int64_t buyers, std::uint64_t seed) {
  Scenario scenario = base;
  scenario.strategy = strategy;
  scenario.buyers = buyers;
  scenario.strategies = {strategy};
  scenario.buyer_counts = {buyers};
  scenario.seed = seed;
  return scenario;
}

}  // namespace

void check_matrix(const Scenario& scenario, const std::vector<std::string>& strategies,
                  const std::vector<std::int64_t>& buyers) {
  for (const std::string& strategy : strategies) {
    for (std::int64_t count : buyers) check_runnable(cell_scenario(scenario, strategy, count, scenario.seed));
  }
}

Comparison run_comparison(const Scenario& base, const Context& context, const CompareOptions& options) {
  Comparison comparison;
  comparison.context = context;
  comparison.scenario_name = base.name;
  comparison.scenario_file = base.file;
  comparison.strategies = options.strategies;
  comparison.buyers = options.buyers;
  comparison.runs = options.runs;
  comparison.warmup = options.warmup;
  check_matrix(base, options.strategies, options.buyers);

  struct Planned {
    std::string strategy;
    std::int64_t buyers;
    std::int64_t run;  // 0 for a warm-up
  };
  std::vector<Planned> plan;
  for (std::int64_t w = 0; w < options.warmup; ++w) {
    for (const std::string& strategy : options.strategies) {
      for (std::int64_t buyers : options.buyers) plan.push_back({strategy, buyers, 0});
    }
  }
  for (std::int64_t r = 1; r <= options.runs; ++r) {
    for (const std::string& strategy : options.strategies) {
      for (std::int64_t buyers : options.buyers) plan.push_back({strategy, buyers, r});
    }
  }

  // Held across the runs: a Ctrl-C between two runs waits for the next
  // check instead of killing ticketsim with the exports unwritten.
  BlockedSignals signals;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Planned& planned = plan[i];
    bool warmup = planned.run == 0;
    std::uint64_t seed = base.seed + static_cast<std::uint64_t>(warmup ? 0 : planned.run - 1);
    Scenario scenario = cell_scenario(base, planned.strategy, planned.buyers, seed);
    if (options.before_run) options.before_run(planned.strategy, planned.buyers, i + 1, plan.size(), warmup);
    RunRecord record = run_scenario(scenario, options.run);
    Result result = make_result(record);
    if (result.verdict == Verdict::kInterrupted) {
      comparison.interrupted_by = result.interrupted_by;
      break;
    }
    nlohmann::json json = result_json(result);
    std::vector<std::string> repeat = options.repeat_words;
    for (std::string word : {std::string("--strategy"), planned.strategy, std::string("--buyers"),
                             std::to_string(planned.buyers), std::string("--seed"), std::to_string(seed)}) {
      repeat.push_back(word);
    }
    json["cell"] = {{"strategy", planned.strategy}, {"buyers", planned.buyers}, {"run", planned.run}};
    json["repeat_command"] = shell_command(repeat);
    RunRow row = run_row(json, "run");
    if (options.on_run) options.on_run(row, i + 1, plan.size(), warmup);
    if (!warmup) comparison.rows.push_back(std::move(row));
    if (std::string stop = signals.take_pending_stop(); !stop.empty()) {
      comparison.interrupted_by = stop;
      break;
    }
  }
  return comparison;
}

}  // namespace ticketsim
