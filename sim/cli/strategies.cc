// `ticketsim strategies`: every store strategy, one line each.
#include <algorithm>

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
    // Names padded to the longest, two spaces before the summaries.
    std::size_t width = 0;
    for (const StrategyInfo& info : strategies()) width = std::max(width, info.name.size());
    for (const StrategyInfo& info : strategies()) fmt::print("{:<{}}  {}\n", info.name, width, info.summary);
    return kExitAsExpected;
  }
};

}  // namespace

std::unique_ptr<Command> add_strategies_command(CLI::App& app) { return std::make_unique<StrategiesCommand>(app); }

}  // namespace ticketsim
