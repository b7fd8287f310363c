// The subcommands of ticketsim, one file each. Each adds itself, with its
// options, to the CLI11 application; main() runs the one that was parsed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ticketsim {

// Exit statuses (docs/cli.md).
inline constexpr int kExitAsExpected = 0;     // the verdict is the one expected; a command that is not a run succeeded
inline constexpr int kExitNotAsExpected = 1;  // the run's verdict is not the one expected
inline constexpr int kExitBadInput = 2;       // bad usage or input: nothing ran
inline constexpr int kExitRunFailed = 3;      // the run could not be carried out
inline constexpr int kExitOutputFailed = 4;   // the run was made, but a result could not be written
inline constexpr int kExitInterrupted = 130;  // SIGINT, SIGTERM or SIGHUP ended it

// Under the help of every command that reads a scenario file.
inline constexpr const char* kScenarioFooter =
    "Scenario files: docs/scenarios.md describes every key; 'ticketsim init FILE' writes one with every key and "
    "its default.";

class Command {
 public:
  explicit Command(CLI::App* app) : app_(app) {}
  virtual ~Command() = default;
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  // Whether the command line chose this subcommand.
  bool parsed() const { return app_->parsed(); }
  // Runs it; `argv` is the whole command line as given.
  virtual int execute(const std::vector<std::string>& argv) = 0;

 protected:
  CLI::App* app() const { return app_; }

 private:
  CLI::App* app_;
};

std::unique_ptr<Command> add_run_command(CLI::App& app);
std::unique_ptr<Command> add_compare_command(CLI::App& app);
std::unique_ptr<Command> add_report_command(CLI::App& app);
std::unique_ptr<Command> add_validate_command(CLI::App& app);
std::unique_ptr<Command> add_strategies_command(CLI::App& app);
std::unique_ptr<Command> add_bench_command(CLI::App& app);
std::unique_ptr<Command> add_init_command(CLI::App& app);
std::unique_ptr<Command> add_clean_command(CLI::App& app);
std::unique_ptr<Command> add_check_command(CLI::App& app);
std::unique_ptr<Command> add_agent_command(CLI::App& app);

}  // namespace ticketsim
