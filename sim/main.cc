// ticketsim: forks buyer processes that race to buy tickets from one shared
// store, checks the result and measures it.
//
// Exit status: 0 when the verdict is the one the scenario expects, 1 when it
// is not, 2 for bad usage or bad input, 3 when the run could not be done.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/budgets.h"
#include "sim/compare.h"
#include "sim/context.h"
#include "sim/exports.h"
#include "sim/operation_log.h"
#include "sim/progress.h"
#include "sim/report.h"
#include "sim/result.h"
#include "sim/run_directory.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "storage/store.h"

namespace ticketsim {
namespace {

constexpr int kExitAsExpected = 0;
constexpr int kExitNotAsExpected = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitRunFailed = 3;
constexpr int kExitInterrupted = 130;

struct RunCommand {
  std::string scenario_path;
  std::optional<std::string> strategy;
  std::optional<std::int64_t> buyers;
  std::optional<std::int64_t> tickets;
  std::optional<std::string> attempts;
  std::optional<std::int64_t> seed;
  std::optional<std::string> mode;
  std::optional<std::string> expect;
  std::string json_path;
  std::string log_path;
  std::string store_dir;
  std::string store_file;
  bool reset = false;
  std::vector<std::string> exports;
  std::optional<double> progress_s;
};

// Fails early, before a long run, if the result could not be written there.
void check_output_path(const std::string& path) {
  std::filesystem::path target(path);
  std::filesystem::path parent = target.has_parent_path() ? target.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    throw InputError(fmt::format("{}: cannot write the result: {} is not a directory", path, parent.string()));
  }
  if (std::filesystem::is_directory(target, ec)) {
    throw InputError(fmt::format("{}: cannot write the result: it is a directory", path));
  }
  if (access(parent.c_str(), W_OK) != 0) {
    throw InputError(fmt::format("{}: cannot write the result: {} is not writable", path, parent.string()));
  }
}

// Writes through a temporary file and a rename, so that a failed write never
// leaves half a file where a whole one was.
void write_file_atomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::filesystem::remove(temporary);
      throw InputError(fmt::format("{}: cannot write the result", path));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary);
    throw InputError(fmt::format("{}: cannot write the result: {}", path, ec.message()));
  }
}

// Refuses, before anything runs, an export whose format is unknown or whose
// file could not be written. `known` tells a format by its extension;
// `formats` lists them for the message.
void check_exports(const std::vector<std::string>& paths, bool (*known)(std::string_view extension) = is_export_format,
                   std::string_view formats = kExportFormats) {
  for (const std::string& path : paths) {
    std::string extension = std::filesystem::path(path).extension().string();
    if (!known(extension)) {
      throw InputError(fmt::format("{}: unknown export format '{}'; use {}", path, extension, formats));
    }
    check_output_path(path);
  }
}

void write_exports(const Comparison& comparison, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    write_file_atomically(path, export_text(comparison, std::filesystem::path(path).extension().string()));
  }
}

// -P: progress lines on stderr, or one live line on a terminal.
void watch_progress(RunOptions& options, std::optional<double> seconds, ProgressPrinter& printer,
                    const std::string* prefix = nullptr) {
  if (!seconds) return;
  options.progress_interval = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*seconds));
  options.on_progress = [&printer, prefix](const Progress& progress) {
    printer.print(prefix && !prefix->empty() ? *prefix + " " + progress_line(progress) : progress_line(progress));
  };
}

std::filesystem::path store_dir_of(const std::string& store_dir, const std::string& store_file) {
  if (!store_file.empty()) {
    std::filesystem::path file(store_file);
    return file.has_parent_path() ? file.parent_path() : ".";
  }
  return store_dir.empty() ? RunDirectory::default_parent() : std::filesystem::path(store_dir);
}

int run(const RunCommand& command, const std::vector<std::string>& argv) {
  Scenario scenario = load_scenario(command.scenario_path);
  if (command.strategy) set_strategy(scenario, *command.strategy, "--strategy");
  if (command.buyers) set_buyers(scenario, *command.buyers, "--buyers");
  if (command.tickets) set_tickets(scenario, *command.tickets, "--tickets");
  if (command.attempts) set_attempts(scenario, *command.attempts, "--attempts");
  if (command.seed) set_seed(scenario, *command.seed, "--seed");
  if (command.mode) {
    if (*command.mode == "concurrent") scenario.mode = Mode::kConcurrent;
    else if (*command.mode == "serial") scenario.mode = Mode::kSerial;
    else throw InputError(fmt::format("--mode: '{}' is not a mode; use concurrent or serial", *command.mode));
  }
  if (command.expect) {
    std::optional<Verdict> expected = verdict_named(*command.expect);
    if (!expected) throw InputError(fmt::format("--expect: '{}' is not a verdict; use valid, invalid or stuck", *command.expect));
    scenario.expected = *expected;
  }
  if (command.strategy) scenario.strategies.clear();
  if (command.buyers) scenario.buyer_counts.clear();
  if (scenario.strategies.size() > 1 || scenario.buyer_counts.size() > 1) {
    throw InputError(fmt::format("{}: holds a comparison matrix ({} strategies, {} buyer counts); run it with "
                                 "'ticketsim compare', or pick one cell with --strategy and --buyers",
                                 scenario.file, std::max<std::size_t>(1, scenario.strategies.size()),
                                 std::max<std::size_t>(1, scenario.buyer_counts.size())));
  }
  if (!command.json_path.empty()) check_output_path(command.json_path);
  if (!command.log_path.empty()) check_output_path(command.log_path);
  check_exports(command.exports);

  Context context = collect_context(store_dir_of(command.store_dir, command.store_file), scenario.file,
                                    scenario.seed, argv);
  RunOptions options(command.store_dir, command.store_file, command.reset);
  ProgressPrinter printer(stderr);
  watch_progress(options, command.progress_s, printer);
  RunRecord record = run_scenario(scenario, options);
  printer.end();
  Result result = make_result(record);
  print_report(result, stdout);
  std::fputs(context_lines(context).c_str(), stdout);
  std::fflush(stdout);
  nlohmann::json json = result_json(result);
  json["context"] = context_json(context);
  if (!command.json_path.empty()) write_file_atomically(command.json_path, json.dump(2) + "\n");
  if (!command.log_path.empty()) write_file_atomically(command.log_path, operation_log_csv(record));
  if (!command.exports.empty()) {
    Comparison comparison;
    comparison.context = context;
    comparison.scenario_name = scenario.name;
    comparison.scenario_file = scenario.file;
    comparison.strategies = {scenario.strategy};
    comparison.buyers = {scenario.buyers};
    json["cell"] = {{"strategy", scenario.strategy}, {"buyers", scenario.buyers}, {"run", 1}};
    json["repeat_command"] = context.command_line;
    comparison.rows.push_back(run_row(json, "run"));
    write_exports(comparison, command.exports);
  }
  if (result.verdict == Verdict::kInterrupted) return kExitInterrupted;
  return result.as_expected() ? kExitAsExpected : kExitNotAsExpected;
}

struct CompareCommand {
  std::string scenario_path;
  std::vector<std::string> strategies;
  std::vector<std::int64_t> buyers;
  std::optional<std::int64_t> runs;
  std::optional<std::int64_t> warmup;
  std::optional<std::int64_t> tickets;
  std::optional<std::string> attempts;
  std::optional<std::int64_t> seed;
  std::string store_dir;
  std::vector<std::string> exports;
  std::optional<double> progress_s;
};

int compare(const CompareCommand& command, const std::vector<std::string>& argv) {
  Scenario scenario = load_scenario(command.scenario_path);
  std::vector<std::string> repeat = {argv[0], "run", command.scenario_path};
  if (command.tickets) {
    set_tickets(scenario, *command.tickets, "--tickets");
    repeat.insert(repeat.end(), {"--tickets", std::to_string(*command.tickets)});
  }
  if (command.attempts) {
    set_attempts(scenario, *command.attempts, "--attempts");
    repeat.insert(repeat.end(), {"--attempts", *command.attempts});
  }
  if (command.seed) set_seed(scenario, *command.seed, "--seed");
  if (!command.store_dir.empty()) repeat.insert(repeat.end(), {"--store-dir", command.store_dir});
  if (!command.strategies.empty()) set_strategies(scenario, command.strategies, "--strategies");
  if (!command.buyers.empty()) set_buyer_counts(scenario, command.buyers, "--buyers");
  if (command.runs) set_runs(scenario, *command.runs, "--runs");
  if (command.warmup) set_warmup(scenario, *command.warmup, "--warmup");
  check_exports(command.exports);

  CompareOptions options;
  options.strategies = scenario.compared_strategies();
  options.buyers = scenario.compared_buyers();
  options.runs = scenario.compared_runs();
  options.warmup = scenario.warmup;
  options.run = RunOptions(command.store_dir);
  options.repeat_words = repeat;
  ProgressPrinter printer(stderr);
  std::string prefix;
  watch_progress(options.run, command.progress_s, printer, &prefix);
  std::size_t width = 0;
  for (const std::string& name : options.strategies) width = std::max(width, name.size());
  auto cell_words = [width](const std::string& strategy, std::int64_t buyers, std::size_t number, std::size_t total) {
    return fmt::format("[{:>{}}/{}] {:<{}} {:>5} buyer{}", number, fmt::formatted_size("{}", total), total, strategy,
                       width, buyers, buyers == 1 ? " " : "s");
  };
  options.before_run = [&](const std::string& strategy, std::int64_t buyers, std::size_t number, std::size_t total,
                           bool) { prefix = cell_words(strategy, buyers, number, total); };
  options.on_run = [&](const RunRow& row, std::size_t number, std::size_t total, bool warmup) {
    printer.end();
    fmt::print(stderr, "{}  {}: {:<7} {:>10} sales/s  p99 {}\n", cell_words(row.strategy, row.buyers, number, total),
               warmup ? "warm-up" : fmt::format("run {}", row.run), row.verdict, format_rate(row.sales_per_s),
               format_seconds(row.buy.p99));
  };

  Context context = collect_context(store_dir_of(command.store_dir, ""), scenario.file, scenario.seed, argv);
  Comparison comparison = run_comparison(scenario, context, options);
  printer.end();
  print_comparison(comparison, stdout);
  std::fflush(stdout);
  write_exports(comparison, command.exports);
  return comparison.interrupted_by.empty() ? kExitAsExpected : kExitInterrupted;
}

// Renders a saved JSON export (or one run's --json result) again.
int report(const std::string& path, const std::vector<std::string>& exports) {
  check_exports(exports);
  std::error_code ec;
  for (const std::string& target : exports) {
    if (std::filesystem::equivalent(path, target, ec)) {
      throw InputError(fmt::format("{}: is the result being read; export to another file", target));
    }
  }
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not a result", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the result: {}", path, std::strerror(errno)));
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) {
    in.clear();
    in.seekg(0);
    try {
      json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      std::string what = e.what();
      std::size_t at = what.find("] ");
      throw InputError(fmt::format("{}: not JSON: {}", path, at == std::string::npos ? what : what.substr(at + 2)));
    }
  }
  Comparison comparison = comparison_from_json(json, path);
  print_comparison(comparison, stdout);
  std::fflush(stdout);
  write_exports(comparison, exports);
  return kExitAsExpected;
}

struct BenchCommand {
  BenchOptions options;
  std::vector<std::string> exports;
  bool no_peer = false;
};

int bench(BenchCommand& command, const char* argv0) {
  for (const std::string& name : command.options.strategies) {
    if (!find_strategy(name)) throw InputError(fmt::format("--strategies: unknown strategy '{}'; known: {}", name, strategy_names()));
  }
  for (std::int64_t buyers : command.options.buyers) {
    if (buyers < 1 || buyers > kMaxBuyers) throw InputError(fmt::format("--buyers: {} is not from 1 to {}", buyers, kMaxBuyers));
  }
  check_exports(command.exports, is_bench_export_format, ".json, .csv or .md");
  std::error_code ec;
  std::filesystem::path peer = std::filesystem::path(TICKETSIM_SOURCE_DIR) / "bench" / "seed_peer.py";
  if (!command.no_peer && std::filesystem::exists(peer, ec)) command.options.peer = peer;
  command.options.ticketsim = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (command.options.ticketsim.empty()) command.options.ticketsim = argv0;
  BenchReport report = run_bench(command.options, [](const std::string& what) {
    fmt::print(stderr, "bench: {}\n", what);
  });
  print_bench(report, stdout);
  for (const std::string& path : command.exports) {
    write_file_atomically(path, bench_export(report, std::filesystem::path(path).extension().string()));
  }
  return 0;
}

// Checks scenario files without running them: one line each.
int validate(const std::vector<std::string>& paths) {
  int status = kExitAsExpected;
  for (const std::string& path : paths) {
    try {
      Scenario scenario = load_scenario(path);
      std::string faults = fmt::format("{} fault{}", scenario.faults.size(), scenario.faults.size() == 1 ? "" : "s");
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

int list_strategies() {
  for (const StrategyInfo& info : strategies()) fmt::print("{:<17}{}\n", info.name, info.summary);
  return 0;
}

int main_with_errors(int argc, char** argv) {
  CLI::App app{"ticketsim: buyer processes race to buy tickets from one shared store"};
  app.set_version_flag("--version", std::string(TICKETSIM_VERSION));
  app.require_subcommand(1);

  RunCommand command;
  CLI::App* run_app = app.add_subcommand("run", "Run a scenario, check the result and measure it");
  run_app->add_option("scenario", command.scenario_path, "Scenario file (TOML)")->required();
  run_app->add_option("--strategy", command.strategy, "Store strategy: " + strategy_names());
  run_app->add_option("--buyers", command.buyers, "Number of buyer processes");
  run_app->add_option("--tickets", command.tickets, "Tickets in the store at the start");
  run_app->add_option("--attempts", command.attempts, "Purchases per buyer, or until-sold-out");
  run_app->add_option("--seed", command.seed, "Seed for delay jitter");
  run_app->add_option("--mode", command.mode, "concurrent or serial");
  run_app->add_option("--log", command.log_path,
                      "Write one CSV row per operation to FILE (buyer, pid, operation, start_us, latency_us, tries, "
                      "outcome, ticket)");
  run_app->add_option("--expect", command.expect, "The verdict to expect: valid, invalid or stuck");
  run_app->add_option("--json", command.json_path, "Write the JSON result to FILE");
  run_app->add_option("--store", command.store_file,
                      "Use FILE as the store and keep it after the run; an existing file is refused unless --reset");
  run_app->add_flag("--reset", command.reset, "Replace what is at --store FILE");
  run_app->add_option("--store-dir", command.store_dir,
                      "Directory in which the per-run store directory is made (default $TMPDIR or /tmp)");
  run_app->add_option("--export", command.exports,
                      "Write the result to FILE, the format chosen by its extension: .json, .csv, .md or .html; "
                      "repeatable");
  run_app->add_option("-P,--progress", command.progress_s, "Print progress on stderr every SECONDS")
      ->check(CLI::Range(0.1, 3600.0));

  CompareCommand compare_command;
  CLI::App* compare_app =
      app.add_subcommand("compare", "Run a scenario for several strategies and buyer counts, repeated, and compare");
  compare_app->add_option("scenario", compare_command.scenario_path, "Scenario file (TOML)")->required();
  compare_app->add_option("--strategies", compare_command.strategies, "Strategies, comma-separated")->delimiter(',');
  compare_app->add_option("--buyers", compare_command.buyers, "Buyer counts, comma-separated")->delimiter(',');
  compare_app->add_option("--runs", compare_command.runs, "Measured runs per cell (default: the scenario's runs, or 3)");
  compare_app->add_option("--warmup", compare_command.warmup, "Runs per cell before those measured, not recorded (default: the scenario's warmup, or 0)");
  compare_app->add_option("--tickets", compare_command.tickets, "Tickets in the store at the start");
  compare_app->add_option("--attempts", compare_command.attempts, "Purchases per buyer, or until-sold-out");
  compare_app->add_option("--seed", compare_command.seed, "Seed of the first run of each cell; run r uses seed + r - 1");
  compare_app->add_option("--store-dir", compare_command.store_dir,
                          "Directory in which the per-run store directories are made (default $TMPDIR or /tmp)");
  compare_app->add_option("--export", compare_command.exports,
                          "Write the comparison to FILE: .json, .csv, .md or .html; repeatable");
  compare_app->add_option("-P,--progress", compare_command.progress_s, "Print progress on stderr every SECONDS")
      ->check(CLI::Range(0.1, 3600.0));

  std::string report_path;
  std::vector<std::string> report_exports;
  CLI::App* report_app = app.add_subcommand("report", "Show a saved JSON result or export again, and export it");
  report_app->add_option("result", report_path, "A JSON export (compare or run --export) or a run --json result")
      ->required();
  report_app->add_option("--export", report_exports, "Write it to FILE: .json, .csv, .md or .html; repeatable");

  CLI::App* strategies_app = app.add_subcommand("strategies", "List the store strategies");

  std::vector<std::string> validate_paths;
  CLI::App* validate_app = app.add_subcommand("validate", "Check scenario files without running them");
  validate_app->add_option("scenarios", validate_paths, "Scenario files (TOML)")->required();

  BenchCommand bench_command;
  CLI::App* bench_app = app.add_subcommand("bench", "Measure each limit and the simulator against it, with budgets");
  bench_app->add_option("--strategies", bench_command.options.strategies, "Strategies to measure (default: all)")
      ->delimiter(',');
  bench_app->add_option("--buyers", bench_command.options.buyers, "Buyer counts (default 1,2,8,32)")->delimiter(',');
  bench_app->add_option("--seconds", bench_command.options.seconds, "Rough length of each measurement")
      ->check(CLI::Range(0.01, 60.0));
  bench_app->add_option("--spawn-buyers", bench_command.options.spawn_buyers, "Buyers for the spawn budget")
      ->check(CLI::Range(1, 32768));
  bench_app->add_option("--store-dir", bench_command.options.store_dir,
                        "Where the stores are made (default /dev/shm when it is tmpfs)");
  bench_app->add_flag("--no-peer", bench_command.no_peer, "Leave out the Python peer");
  bench_app->add_option("--export", bench_command.exports, "Write the figures to FILE (.json, .csv or .md); repeatable");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "ticketsim: {}\n", e.what());
    return kExitBadInput;
  }
  if (*strategies_app) return list_strategies();
  if (*validate_app) return validate(validate_paths);
  if (*bench_app) return bench(bench_command, argv[0]);
  std::vector<std::string> words(argv, argv + argc);
  if (*compare_app) return compare(compare_command, words);
  if (*report_app) return report(report_path, report_exports);
  return run(command, words);
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
  } catch (const RunError& e) {
    fmt::print(stderr, "ticketsim: run failed: {}\n", e.what());
    return kExitRunFailed;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ticketsim: run failed: {}\n", e.what());
    return kExitRunFailed;
  }
}
