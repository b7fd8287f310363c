// ticketsim: forks buyer processes that race to buy tickets from one shared
// store, checks the result and measures it. Each subcommand is a file of
// its own in this folder; exit statuses are in commands.h.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "sim/errors.h"

namespace ticketsim {
namespace {

int main_with_errors(int argc, char** argv) {
  CLI::App app{"ticketsim: buyer processes race to buy tickets from one shared store"};
  app.set_version_flag("--version", std::string(TICKETSIM_VERSION));
  app.require_subcommand(1);

  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(add_run_command(app));
  commands.push_back(add_compare_command(app));
  commands.push_back(add_report_command(app));
  commands.push_back(add_strategies_command(app));
  commands.push_back(add_validate_command(app));
  commands.push_back(add_bench_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "ticketsim: {}\n", e.what());
    return kExitBadInput;
  }
  std::vector<std::string> words(argv, argv + argc);
  for (const std::unique_ptr<Command>& command : commands) {
    if (command->parsed()) return command->execute(words);
  }
  return kExitBadInput;  // require_subcommand(1) has made sure of one
}

}  // namespace
}  // namespace ticketsim

int main(int argc, char** argv) {
  using namespace ticketsim;
  try {
    return main_with_errors(argc, argv);
  } catch (const InputError& e) {
    fmt::print(stderr, "ticketsim: {}\n", e.what());
    return kExitBadInput;
  } catch (const OutputError& e) {
    fmt::print(stderr, "ticketsim: {}\n", e.what());
    return kExitOutputFailed;
  } catch (const RunError& e) {
    fmt::print(stderr, "ticketsim: run failed: {}\n", e.what());
    return kExitRunFailed;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ticketsim: run failed: {}\n", e.what());
    return kExitRunFailed;
  }
}
