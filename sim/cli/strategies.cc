// `ticketsim strategies`: every store strategy, one line each.
#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "storage/store.h"

namespace ticketsim {
namespace {

class StrategiesCommand : public Command {
 public:
  explicit StrategiesCommand(CLI::App& parent)
      : Command(parent.add_subcommand("strategies", "List the store strategies")) {}

  int execute(const std::vector<std::string>&) override {
    for (const StrategyInfo& info : strategies()) fmt::print("{:<17}{}\n", info.name, info.summary);
    return kExitAsExpected;
  }
};

}  // namespace

std::unique_ptr<Command> add_strategies_command(CLI::App& app) { return std::make_unique<StrategiesCommand>(app); }

}  // namespace ticketsim
