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
          fmt::print("{}: ok (compare: {} strategies x {} buyer counts x {} runs, {} tickets, {})\n", path,
                     scenario.compared_strategies().size(), scenario.compared_buyers().size(),
                     scenario.compared_runs(), scenario.tickets, faults);
          continue;
        }
        check_runnable(scenario);
        fmt::print("{}: ok ({}, {} buyers, {} tickets, {}, expects {})\n", path, scenario.strategy, scenario.buyers,
                   scenario.tickets, faults, verdict_name(scenario.expected));
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
