// ticketsim: forks buyer processes that race to buy tickets from one shared
// store, checks the result and measures it. Each subcommand is a file of
// its own in this folder; exit statuses are in commands.h.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "sim/errors.h"
#include "sim/report/context.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

constexpr const char* kFooter =
    "Run 'ticketsim COMMAND --help' (or 'ticketsim help COMMAND') for a command's options.\n"
    "docs/cli.md describes every command and exit status, docs/scenarios.md the scenario files.";

// Name, version, build and libraries, as the context under every report.
std::string version_text(const std::vector<std::string>& words) {
  Context context = collect_context(".", "", 0, words);
  return fmt::format("ticketsim {}\nbuild: {}, {}, {}\nlibraries: SQLite {}, Boost {}, CLI11 {}, fmt {}.{}.{}\n",
                     context.ticketsim_version, context.git_revision, context.build_type, context.compiler,
                     context.sqlite_version, context.boost_version, CLI11_VERSION, FMT_VERSION / 10000,
                     FMT_VERSION / 100 % 100, FMT_VERSION % 100);
}

// The closest of `candidates` to `word`, if it is close enough to be meant.
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, (word.size() + 2) / 3) + 1;
  for (const std::string& candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    if (candidate.starts_with(word) || word.starts_with(candidate)) distance = std::min<std::size_t>(distance, 1);
    if (distance < best_distance) best = candidate, best_distance = distance;
  }
  return best;
}

// The subcommand the command line names, if any.
CLI::App* named_subcommand(CLI::App& app, const std::vector<std::string>& words) {
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i].starts_with("-")) continue;
    for (CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == words[i]) return sub;
    }
    return nullptr;
  }
  return nullptr;
}

// What CLI11 says, in the user's words: the command, the option as typed,
// what to type instead.
std::string user_message(const CLI::ParseError& e, CLI::App& app, const std::vector<std::string>& words) {
  std::string what = e.what();
  CLI::App* sub = named_subcommand(app, words);
  std::string command = sub ? sub->get_name() : "";
  std::string prefix = command.empty() ? "" : command + ": ";

  if (dynamic_cast<const CLI::RequiredError*>(&e) && sub && what.ends_with(" is required")) {
    std::string name = what.substr(0, what.size() - std::string_view(" is required").size());
    if (name == "scenario") return fmt::format("{}give a scenario file: ticketsim {} SCENARIO.toml", prefix, command);
    if (name == "scenarios") return fmt::format("{}give at least one scenario file", prefix);
    if (name == "history") return fmt::format("{}give a history file: ticketsim check HISTORY.jsonl", prefix);
    if (name == "result") return fmt::format("{}give a result file (a JSON export, or a run --json result)", prefix);
    return prefix + what;
  }

  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    CLI::App& scope = sub ? *sub : app;
    std::vector<std::string> options;
    for (const CLI::Option* option : scope.get_options()) {
      for (const std::string& name : option->get_lnames()) options.push_back("--" + name);
    }
    std::size_t first = 1;
    if (sub) first = static_cast<std::size_t>(std::find(words.begin() + 1, words.end(), command) - words.begin()) + 1;
    for (std::size_t i = first; i < words.size(); ++i) {
      const std::string& word = words[i];
      if (!word.starts_with("-") || word == "-" || word == "--") continue;
      std::string flag = word.substr(0, word.find('='));
      if (scope.get_option_no_throw(flag) || app.get_option_no_throw(flag)) continue;
      std::string guess = flag.starts_with("--") ? closest(flag, options) : "";
      return fmt::format("{}unknown option {}{}; 'ticketsim {}--help' lists them", prefix, flag,
                         guess.empty() ? "" : fmt::format(" (did you mean {}?)", guess),
                         command.empty() ? "" : command + " ");
    }
    if (!sub) {
      std::vector<std::string> names;
      for (CLI::App* candidate : app.get_subcommands({})) names.push_back(candidate->get_name());
      for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i].starts_with("-")) continue;
        std::string guess = closest(words[i], names);
        return fmt::format("unknown command '{}'{}; 'ticketsim help' lists them", words[i],
                           guess.empty() ? "" : fmt::format(" (did you mean {}?)", guess));
      }
    }
    std::string_view label = "The following arguments were not expected: ";
    std::string extra = what.starts_with(label) ? what.substr(label.size()) : what;
    return fmt::format("{}did not expect '{}' (one of each argument; 'ticketsim {}--help' lists them)", prefix,
                       extra, command.empty() ? "" : command + " ");
  }

  if (dynamic_cast<const CLI::ConversionError*>(&e)) {
    // "Could not convert: --buyers = 1,2,scenarios/seed.toml"
    std::string_view label = "Could not convert: ";
    std::size_t equals = what.find(" = ");
    if (what.starts_with(label) && equals != std::string::npos) {
      std::string name = what.substr(label.size(), equals - label.size());
      std::string value = what.substr(equals + 3);
      const CLI::Option* option = sub ? sub->get_option_no_throw(name) : nullptr;
      bool list = option && option->get_delimiter() == ',';
      std::vector<std::string> items;
      for (std::size_t start = 0;;) {
        std::size_t comma = value.find(',', start);
        items.push_back(value.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      std::string bad = value, good;
      std::size_t numbers = 0;
      for (const std::string& item : items) {
        bool number = !item.empty() && item.find_first_not_of("0123456789") == std::string::npos;
        if (!number && bad == value) bad = item;
        if (number) good += (numbers++ ? "," : "") + item;
      }
      if (list && items.size() > 1) {
        return fmt::format("{}{}: '{}' is not a number; a list is one word, comma-separated: {} {}", prefix, name,
                           bad, name, numbers >= 2 ? good : "1,2");
      }
      return fmt::format("{}{}: '{}' is not a number", prefix, name, value);
    }
  }
  return prefix + what;
}

// The commands, one line each, and how to get help: what --help prints,
// whichever subcommand (help) was parsed.
std::string overview(CLI::App& app) { return app.get_formatter()->make_help(&app, "ticketsim", CLI::AppFormatMode::Normal); }

int main_with_errors(int argc, char** argv) {
  CLI::App app{"ticketsim: buyer processes race to buy tickets from one shared store", "ticketsim"};
  bool version = false;
  app.add_flag("-V,--version", version, "Print the version, the build and the libraries");
  app.require_subcommand(0, 1);
  app.footer(kFooter);
  // Every command's options at once: what the man page is made from.
  app.set_help_all_flag("--help-all", "Print every command's options");

  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(add_run_command(app));
  commands.push_back(add_compare_command(app));
  commands.push_back(add_check_command(app));
  commands.push_back(add_report_command(app));
  commands.push_back(add_validate_command(app));
  commands.push_back(add_strategies_command(app));
  commands.push_back(add_init_command(app));
  commands.push_back(add_bench_command(app));
  commands.push_back(add_clean_command(app));
  commands.push_back(add_agent_command(app));
  CLI::App* help = app.add_subcommand("help", "Print this list, or a command's options: ticketsim help COMMAND");
  std::string topic;
  help->add_option("command", topic, "The command");
  CLI::App* version_command = app.add_subcommand("version", "Print the version, the build and the libraries");

  std::vector<std::string> words(argv, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "ticketsim: {}\n", user_message(e, app, words));
    return kExitBadInput;
  }
  if (version || version_command->parsed()) {
    fmt::print("{}", version_text(words));
    return kExitAsExpected;
  }
  if (help->parsed()) {
    if (topic.empty()) {
      fmt::print("{}", overview(app));
      return kExitAsExpected;
    }
    for (CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == topic) {
        fmt::print("{}", sub->help());
        return kExitAsExpected;
      }
    }
    fmt::print(stderr, "ticketsim: help: unknown command '{}'; 'ticketsim help' lists them\n", topic);
    return kExitBadInput;
  }
  for (const std::unique_ptr<Command>& command : commands) {
    if (command->parsed()) return command->execute(words);
  }
  // No command: the list of them, and how to get help, as bad usage.
  fmt::print(stderr, "{}\nticketsim: give a command\n", overview(app));
  return kExitBadInput;
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
