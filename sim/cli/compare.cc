// `ticketsim compare SCENARIO`: the matrix of strategies x buyer counts x
// runs, a line per run on stderr, the table and summary on stdout, exports.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "sim/cli/output.h"
#include "sim/compare.h"
#include "sim/report/context.h"
#include "sim/report/exports.h"
#include "sim/report/history_export.h"
#include "sim/report/report.h"
#include "sim/scenario.h"

namespace ticketsim {
namespace {

class CompareCommand : public Command {
 public:
  explicit CompareCommand(CLI::App& parent)
      : Command(parent.add_subcommand(
            "compare", "Run a scenario for several strategies and buyer counts, repeated, and compare")) {
    app()->footer(kScenarioFooter);
    app()->add_option("scenario", scenario_path_, "Scenario file (TOML)")->required();
    app()->add_option("--strategies", strategies_, "Strategies, comma-separated")->delimiter(',');
    app()->add_option("--buyers", buyers_, "Buyer counts, comma-separated")->delimiter(',');
    app()->add_option("--runs", runs_, "Measured runs per cell (default: the scenario's runs, or 3)");
    app()->add_option("--warmup", warmup_,
                      "Runs per cell before those measured, not recorded (default: the scenario's warmup, or 0)");
    app()->add_option("--tickets", tickets_, "Tickets in the store at the start");
    app()->add_option("--attempts", attempts_, "Purchases per buyer, or until-sold-out");
    app()->add_option("--seed", seed_,
                      "Seed of the first run of each cell (delay jitter and which buyers the faults hit); run r "
                      "uses seed + r - 1")
        ->type_name("INT");
    app()->add_option("--store-dir", store_dir_,
                      "Directory in which the per-run store directories are made (default $TMPDIR or /tmp)");
    app()->add_option("--postgres", postgres_,
                      "The PostgreSQL server to use, as a libpq conninfo ('host=/path dbname=x'); default: one "
                      "ticketsim starts");
    app()->add_option("--history", history_dir_,
                      "Write each measured run's history (.jsonl, what 'ticketsim check' reads) into DIR, one file "
                      "per run: STRATEGY-N-buyers-runR.jsonl");
    app()->add_option("--redis", redis_,
                      "The Redis server to use, as redis://host:port/db or unix:///path/to/redis.sock; default: "
                      "one ticketsim starts");
    app()->add_option("--export", exports_, "Write the comparison to FILE: .json, .csv, .md or .html; repeatable");
    app()->add_option("-P,--progress", progress_s_, "Print progress on stderr every SECONDS")
        ->check(CLI::Range(0.1, 3600.0));
  }

  int execute(const std::vector<std::string>& argv) override {
    Scenario scenario = load_scenario(scenario_path_);
    if (!scenario.hosts.empty()) {
      throw InputError(fmt::format("{}: names hosts ([hosts]); compare runs its matrix on this host: run it with "
                                   "'ticketsim run', or drop [hosts]",
                                   scenario.file));
    }
    // The command that repeats one run, less --strategy, --buyers and --seed.
    std::vector<std::string> repeat = {argv[0], "run", scenario_path_};
    if (tickets_) {
      set_tickets(scenario, *tickets_, "--tickets");
      repeat.insert(repeat.end(), {"--tickets", std::to_string(*tickets_)});
    }
    if (attempts_) {
      set_attempts(scenario, *attempts_, "--attempts");
      repeat.insert(repeat.end(), {"--attempts", *attempts_});
    }
    if (seed_) set_seed(scenario, *seed_, "--seed");
    if (postgres_) {
      set_postgres_conninfo(scenario, *postgres_, "--postgres");
      repeat.insert(repeat.end(), {"--postgres", *postgres_});
    }
    if (redis_) {
      set_redis_url(scenario, *redis_, "--redis");
      repeat.insert(repeat.end(), {"--redis", *redis_});
    }
    if (!store_dir_.empty()) repeat.insert(repeat.end(), {"--store-dir", store_dir_});
    if (!strategies_.empty()) set_strategies(scenario, strategies_, "--strategies");
    if (!buyers_.empty()) set_buyer_counts(scenario, buyers_, "--buyers");
    if (runs_) set_runs(scenario, *runs_, "--runs");
    if (warmup_) set_warmup(scenario, *warmup_, "--warmup");
    check_exports(exports_);
    std::vector<NamedPath> files = {{"the scenario", scenario_path_}};
    for (const std::string& path : exports_) files.push_back({"--export", path});
    check_distinct(files);
    prepare_store_dir(store_dir_);

    CompareOptions options;
    options.strategies = scenario.compared_strategies();
    options.buyers = scenario.compared_buyers();
    options.runs = scenario.compared_runs();
    options.warmup = scenario.warmup;
    if (!history_dir_.empty()) {
      std::vector<std::string> histories;
      for (const std::string& strategy : options.strategies) {
        for (std::int64_t buyers : options.buyers) {
          for (std::int64_t r = 1; r <= options.runs; ++r) {
            histories.push_back(history_file_in(history_dir_, strategy, buyers, r));
          }
        }
      }
      check_history_dir(history_dir_, histories);
      std::string sha256 = file_sha256(scenario_path_);
      options.on_record = [this, sha256](const MatrixRun& run, const RunRecord& record) {
        if (run.warmup()) return;
        write_file_atomically(history_file_in(history_dir_, run.strategy, run.buyers, run.run),
                              history_jsonl(record, run.result, sha256), "the history");
      };
    }
    options.run = RunOptions(store_dir_);
    ProgressPrinter printer(stderr);
    std::string prefix;
    watch_progress(options.run, progress_s_, printer, &prefix);
    std::size_t width = 0;
    for (const std::string& name : options.strategies) width = std::max(width, name.size());
    auto cell_words = [width](const MatrixRun& run, std::size_t number, std::size_t total) {
      return fmt::format("[{:>{}}/{}] {:<{}} {:>5} buyer{}", number, fmt::formatted_size("{}", total), total,
                         run.strategy, width, run.buyers, run.buyers == 1 ? " " : "s");
    };
    options.before_run = [&](const MatrixRun& run, std::size_t number, std::size_t total) {
      prefix = cell_words(run, number, total);
    };
    options.on_run = [&](const MatrixRun& run, std::size_t number, std::size_t total) {
      printer.end();
      const Result& result = run.result;
      fmt::print(stderr, "{}  {}: {:<7} {:>10} sales/s  p99 {}\n", cell_words(run, number, total),
                 run.warmup() ? "warm-up" : fmt::format("run {}", run.run), verdict_name(result.verdict),
                 format_rate(result.metrics.sales_per_s), format_seconds(result.metrics.buy.p99));
    };

    Comparison comparison;
    comparison.context = collect_context(store_dir_of(store_dir_, ""), scenario.file, scenario.seed, argv);
    comparison.scenario_name = scenario.name;
    comparison.scenario_file = scenario.file;
    comparison.strategies = options.strategies;
    comparison.buyers = options.buyers;
    comparison.runs = options.runs;
    comparison.warmup = options.warmup;
    MatrixRuns runs = run_matrix(scenario, options);
    printer.end();
    comparison.interrupted_by = runs.interrupted_by;
    for (MatrixRun& run : runs.runs) {
      std::vector<std::string> words = repeat;
      words.insert(words.end(), {"--strategy", run.strategy, "--buyers", std::to_string(run.buyers), "--seed",
                                 std::to_string(run.seed)});
      comparison.rows.push_back({std::move(run.result), run.run, shell_command(words), std::nullopt});
    }
    print_comparison(comparison, stdout);
    std::fflush(stdout);
    write_exports(comparison, exports_);
    return comparison.interrupted_by.empty() ? kExitAsExpected : kExitInterrupted;
  }

 private:
  std::string scenario_path_;
  std::vector<std::string> strategies_;
  std::vector<std::int64_t> buyers_;
  std::optional<std::int64_t> runs_;
  std::optional<std::int64_t> warmup_;
  std::optional<std::int64_t> tickets_;
  std::optional<std::string> attempts_;
  std::optional<std::string> postgres_;
  std::optional<std::string> redis_;
  std::optional<std::string> seed_;
  std::string store_dir_;
  std::string history_dir_;
  std::vector<std::string> exports_;
  std::optional<double> progress_s_;
};

}  // namespace

std::unique_ptr<Command> add_compare_command(CLI::App& app) { return std::make_unique<CompareCommand>(app); }

}  // namespace ticketsim
