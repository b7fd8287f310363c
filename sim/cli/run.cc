// `ticketsim run SCENARIO`: one run, its report, and what --json, --log and
// --export ask for.
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/commands.h"
#include "sim/cli/output.h"
#include "sim/hosts/coordinator.h"
#include "sim/report/context.h"
#include "sim/report/history_export.h"
#include "sim/report/operation_log.h"
#include "sim/report/report.h"
#include "sim/report/result_json.h"
#include "sim/result.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "storage/store.h"

namespace ticketsim {
namespace {

class RunCommand : public Command {
 public:
  explicit RunCommand(CLI::App& parent)
      : Command(parent.add_subcommand("run", "Run a scenario, check the result and measure it")) {
    app()->footer(kScenarioFooter);
    app()->add_option("scenario", scenario_path_, "Scenario file (TOML)")->required();
    app()->add_option("--strategy", strategy_, "Store strategy: " + strategy_names());
    app()->add_option("--buyers", buyers_, "Number of buyer processes");
    app()->add_option("--tickets", tickets_, "Tickets in the store at the start");
    app()->add_option("--attempts", attempts_, "Purchases per buyer, or until-sold-out");
    app()->add_option("--seed", seed_,
                      "Seed for delay jitter and for which buyers the faults hit, 0 to 9223372036854775807")
        ->type_name("INT");
    app()->add_option("--mode", mode_, "concurrent or serial");
    app()->add_option("--log", log_path_,
                    "Write one CSV row per operation to FILE (buyer, pid, operation, start_us, latency_us, tries, "
                    "outcome, ticket)");
    app()->add_option("--history", history_path_,
                      "Write every operation with the values it saw to FILE: .jsonl (what 'ticketsim check' reads) "
                      "or .edn (Jepsen's history)");
    add_linearizable_options(*app(), linearizable_, budget_s_);
    app()->add_option("--expect", expect_, "The verdict to expect: valid, invalid or stuck");
    app()->add_option("--json", json_path_, "Write the JSON result to FILE");
    app()->add_option("--store", store_file_,
                    "Use FILE as the store and keep it after the run; an existing file is refused unless --reset");
    app()->add_flag("--reset", reset_, "Replace what is at --store FILE");
    app()->add_option("--store-dir", store_dir_,
                    "Directory in which the per-run store directory is made (default $TMPDIR or /tmp)");
    app()->add_option("--postgres", postgres_,
                      "The PostgreSQL server to use, as a libpq conninfo ('host=/path dbname=x'); default: one "
                      "ticketsim starts");
    app()->add_option("--redis", redis_,
                      "The Redis server to use, as redis://host:port/db or unix:///path/to/redis.sock; default: "
                      "one ticketsim starts");
    app()->add_option("--hosts", hosts_,
                      "Fork the buyers on these hosts, split evenly, one agent each (a,b,c); replaces [hosts] names")
        ->delimiter(',');
    app()->add_option("--launch", launch_,
                      "The command that starts one host's agent, with {host} and {ticketsim} in it (default: ssh "
                      "{host} {ticketsim} agent --stdio)");
    app()->add_option("--export", exports_,
                    "Write the result to FILE, the format chosen by its extension: .json, .csv, .md or .html; "
                    "repeatable");
    app()->add_option("-P,--progress", progress_s_, "Print progress on stderr every SECONDS")
        ->check(CLI::Range(0.1, 3600.0));
  }

  int execute(const std::vector<std::string>& argv) override {
    if (reset_ && store_file_.empty()) {
      throw InputError("--reset: replaces what is at --store FILE, and there is no --store; give both or neither");
    }
    if (!store_file_.empty() && !store_dir_.empty()) {
      throw InputError("--store and --store-dir: the store is --store FILE, so --store-dir would be ignored; "
                       "give one of them");
    }
    Scenario scenario = load_scenario(scenario_path_);
    if (strategy_) set_strategy(scenario, *strategy_, "--strategy");
    if (buyers_) set_buyers(scenario, *buyers_, "--buyers");
    if (tickets_) set_tickets(scenario, *tickets_, "--tickets");
    if (attempts_) set_attempts(scenario, *attempts_, "--attempts");
    if (seed_) set_seed(scenario, *seed_, "--seed");
    if (mode_) set_mode(scenario, *mode_, "--mode");
    if (postgres_) set_postgres_conninfo(scenario, *postgres_, "--postgres");
    if (redis_) set_redis_url(scenario, *redis_, "--redis");
    if (!hosts_.empty()) {
      set_hosts(scenario, hosts_, "--hosts");
      scenario.host_buyers.clear();  // --hosts splits the buyers evenly
    }
    if (launch_) set_launch(scenario, *launch_, "--launch");
    expect_strategy_guarantee(scenario);
    if (expect_) set_expected(scenario, *expect_, "--expect");
    if (strategy_) scenario.strategies.clear();
    if (buyers_) scenario.buyer_counts.clear();
    if (scenario.strategies.size() > 1 || scenario.buyer_counts.size() > 1) {
      throw InputError(fmt::format(
          "{}: holds a comparison matrix ({}, {}); run it with 'ticketsim compare', or pick one cell with "
          "--strategy and --buyers",
          scenario.file,
          plural(std::max<std::int64_t>(1, std::ssize(scenario.strategies)), "strategy", "strategies"),
          plural(std::max<std::int64_t>(1, std::ssize(scenario.buyer_counts)), "buyer count")));
    }
    if (!json_path_.empty()) check_output_path(json_path_);
    if (!log_path_.empty()) check_output_path(log_path_, "the log");
    if (!history_path_.empty()) check_history_output(history_path_);
    check_exports(exports_);
    std::vector<NamedPath> files = {
        {"the scenario", scenario_path_}, {"--store", store_file_}, {"--json", json_path_}, {"--log", log_path_},
        {"--history", history_path_}};
    for (const std::string& path : exports_) files.push_back({"--export", path});
    check_distinct(files);
    prepare_store_dir(store_dir_);
    const bool on_hosts = !scenario.hosts.empty();
    if (on_hosts) {
      if (!store_file_.empty()) throw InputError("--store: a run on several hosts keeps its store in a server");
      if (linearizable_) {
        throw InputError("--linearizable: the complete check needs one clock; a run on several hosts has one per host");
      }
      check_hosts_runnable(scenario);
    }

    Context context = collect_context(store_dir_of(store_dir_, store_file_), scenario.file, scenario.seed, argv);
    RunOptions options(store_dir_, store_file_, reset_);
    ProgressPrinter printer(stderr);
    watch_progress(options, progress_s_, printer);
    RunRecord record = on_hosts ? run_on_hosts(scenario, read_text_file(scenario_path_),
                                               {this_program(argv[0]), store_dir_, [](const std::string& line) {
                                                  std::fprintf(stderr, "%s\n", line.c_str());
                                                }})
                                : run_scenario(scenario, options);
    printer.end();
    Result result = make_result(record);
    if (linearizable_) {
      std::optional<std::int64_t> final_count;
      if (!record.final_state.corrupt) final_count = record.final_state.remaining;
      std::vector<BuyerHistory> histories = buyer_histories(record);
      result.linearizability = check_linearizability(
          {histories, record.scenario.tickets, final_count, record.start_ns, budget_of(budget_s_)});
    }
    print_report(result, stdout);
    std::fputs(context_lines(context).c_str(), stdout);
    std::fflush(stdout);
    if (!json_path_.empty()) {
      nlohmann::json json = result_json(result);
      json["context"] = context_json(context);
      write_file_atomically(json_path_, json.dump(2) + "\n");
    }
    if (!log_path_.empty()) write_file_atomically(log_path_, operation_log_csv(record), "the log");
    if (!history_path_.empty()) {
      write_file_atomically(history_path_,
                            history_text(lower_extension(history_path_), record, result, context.scenario_sha256),
                            "the history");
    }
    if (!exports_.empty()) {
      write_exports(single_run_comparison(result, context), exports_);
    }
    bool host_lost = std::any_of(record.hosts.begin(), record.hosts.end(), [](const HostRecord& h) { return !h.lost.empty(); });
    if (host_lost) return kExitRunFailed;
    if (result.verdict == Verdict::kInterrupted) return kExitInterrupted;
    return result.as_expected() ? kExitAsExpected : kExitNotAsExpected;
  }

 private:
  std::string scenario_path_;
  std::optional<std::string> strategy_;
  std::optional<std::int64_t> buyers_;
  std::optional<std::int64_t> tickets_;
  std::optional<std::string> attempts_;
  std::optional<std::string> seed_;
  std::optional<std::string> mode_;
  std::optional<std::string> postgres_;
  std::optional<std::string> redis_;
  std::optional<std::string> expect_;
  std::string json_path_;
  std::string log_path_;
  std::string history_path_;
  std::string store_dir_;
  std::string store_file_;
  bool reset_ = false;
  std::vector<std::string> exports_;
  std::vector<std::string> hosts_;
  std::optional<std::string> launch_;
  std::optional<double> progress_s_;
  bool linearizable_ = false;
  double budget_s_ = kDefaultLinearizableSeconds;
};

}  // namespace

std::unique_ptr<Command> add_run_command(CLI::App& app) { return std::make_unique<RunCommand>(app); }

}  // namespace ticketsim
