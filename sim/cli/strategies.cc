// `ticketsim strategies`: every store strategy, one line each: its name,
// the guarantee it is expected to give, what it needs beside the store, and
// its summary; columns padded to the longest.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "storage/store.h"

namespace ticketsim {
namespace {

std::string guarantee_words(const StrategyInfo& info) {
  return info.expected_correct() ? "correct" : "none: races";
}

// From the registry's traits only, never from the name.
std::string needs_words(const StrategyInfo& info) {
  std::vector<std::string> needs;
  if (info.server) needs.push_back(fmt::format("a {} server", server_kind_name(info.server_kind)));
  else if (info.transactional) needs.push_back("a database file");
  if (info.has_seller) needs.push_back("a seller process");
  if (needs.empty()) needs.push_back("a store file");
  std::string words = needs.front();
  for (std::size_t i = 1; i < needs.size(); ++i) words += ", " + needs[i];
  if (info.keeps_ledger) words += "; keeps a ledger";
  return words;
}

class StrategiesCommand : public Command {
 public:
  explicit StrategiesCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "strategies", "List the store strategies: guarantee, what each needs, and a summary")) {}

  int execute(const std::vector<std::string>&) override {
    std::size_t name_width = std::string_view("strategy").size();
    std::size_t guarantee_width = std::string_view("guarantee").size();
    std::size_t needs_width = std::string_view("needs").size();
    for (const StrategyInfo& info : strategies()) {
      name_width = std::max(name_width, info.name.size());
      guarantee_width = std::max(guarantee_width, guarantee_words(info).size());
      needs_width = std::max(needs_width, needs_words(info).size());
    }
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "strategy", name_width, "guarantee", guarantee_width, "needs",
               needs_width, "summary");
    for (const StrategyInfo& info : strategies()) {
      fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", info.name, name_width, guarantee_words(info), guarantee_width,
                 needs_words(info), needs_width, info.summary);
    }
    return kExitAsExpected;
  }
};

}  // namespace

std::unique_ptr<Command> add_strategies_command(CLI::App& app) { return std::make_unique<StrategiesCommand>(app); }

}  // namespace ticketsim
