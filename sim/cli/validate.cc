// `ticketsim validate SCENARIO...`: checks scenario files without running
// them, one line each.
#include <string>

#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "sim/compare.h"
#include "sim/report/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace ticketsim {
namespace {

class ValidateCommand : public Command {
 public:
  explicit ValidateCommand(CLI::App& parent)
      : Command(parent.add_subcommand("validate", "Check scenario files without running them")) {
    app()->footer(kScenarioFooter);
    app()->add_option("scenarios", paths_, "Scenario files (TOML)")->required();
  }

  int execute(const std::vector<std::string>&) override {
    int status = kExitAsExpected;
    for (const std::string& path : paths_) {
      try {
        Scenario scenario = load_scenario(path);
        std::string faults = plural(static_cast<std::int64_t>(scenario.faults.size()), "fault");
        if (scenario.has_matrix()) {
          check_matrix(scenario, scenario.compared_strategies(), scenario.compared_buyers());
          fmt::print("{}: ok (compare: {} x {} x {}, {}, {})\n", path,
                     plural(static_cast<std::int64_t>(scenario.compared_strategies().size()), "strategy", "strategies"),
                     plural(static_cast<std::int64_t>(scenario.compared_buyers().size()), "buyer count"),
                     plural(scenario.compared_runs(), "run"), plural(scenario.tickets, "ticket"), faults);
          continue;
        }
        check_runnable(scenario);
        fmt::print("{}: ok ({}, {}, {}, {}, expects {})\n", path, scenario.strategy, plural(scenario.buyers, "buyer"),
                   plural(scenario.tickets, "ticket"), faults, verdict_name(scenario.expected));
      } catch (const InputError& e) {
        fmt::print(stderr, "ticketsim: {}\n", e.what());
        status = kExitBadInput;
      }
    }
    return status;
  }

 private:
  std::vector<std::string> paths_;
};

}  // namespace

std::unique_ptr<Command> add_validate_command(CLI::App& app) { return std::make_unique<ValidateCommand>(app); }

}  // namespace ticketsim
