#include "bench/budgets.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "bench/bare_loop.h"
#include "bench/checker_growth.h"
#include "bench/load_tool.h"
#include "bench/seed_load.h"
#include "bench/sqlite_wait.h"
#include "sim/checker.h"
#include "sim/history.h"
#include "sim/report/exports.h"
#include "sim/result.h"
#include "sim/run_directory.h"
#include "sim/runner.h"
#include "sim/stats.h"
#include "storage/postgres_server.h"
#include "storage/postgres_store.h"
#include "storage/redis_server.h"
#include "storage/redis_store.h"
#include "storage/shared_library.h"
#include "storage/store.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

// The servers the bench's stores use: the user's, or the bench's embedded ones.
void set_servers(StoreSpec& spec, const BenchOptions& options, const RunOptions& run_options) {
  spec.options.postgres_conninfo = options.postgres_conninfo;
  spec.options.postgres_server = run_options.postgres_server;
  spec.options.redis_url = options.redis_url;
  spec.options.redis_server = run_options.redis_server;
}

double seconds_since(std::int64_t start_ns) { return static_cast<double>(monotonic_ns() - start_ns) * 1e-9; }

// The limit of a strategy: its store work in a tight loop, one process, no
// concurrency control. Purchases per second, until `seconds` have passed
// or the tickets are sold: a million, which a strategy with a row per
// ticket (postgres-skip-locked) makes in a second or two, where a billion
// would fill the store directory.
double baseline_rate(const StrategyInfo& strategy, const std::filesystem::path& parent, const BenchOptions& options,
                     const RunOptions& run_options) {
  const double seconds = options.seconds;
  const std::int64_t tickets = 1'000'000;
  RunDirectory dir(parent);
  StoreSpec spec{dir.path(), fmt::format("bench-{}-{}", getpid(), strategy.name), tickets, 1, {}, {}, false};
  set_servers(spec, options, run_options);
  std::unique_ptr<StoreSetup> setup = strategy.create(spec);
  std::unique_ptr<Store> store = setup->open_baseline();
  BuyRequest request{.buyer_pid = getpid()};
  std::int64_t start = monotonic_ns();
  std::int64_t operations = 0;
  while (operations < tickets && (operations < 64 || seconds_since(start) < seconds)) {
    for (int i = 0; i < 64 && operations < tickets; ++i, ++operations) {
      request.operation_id = static_cast<std::uint64_t>(operations);
      if (store->buy(request).outcome != Outcome::kSold) throw RunError(fmt::format("{}: baseline purchase failed", strategy.name));
    }
  }
  return static_cast<double>(operations) / seconds_since(start);
}

Scenario bench_scenario(std::string_view strategy, std::int64_t buyers, std::int64_t attempts) {
  Scenario scenario;
  scenario.file = "bench";
  scenario.name = "bench";
  scenario.strategy = strategy;
  scenario.buyers = buyers;
  scenario.attempts = attempts;
  scenario.tickets = buyers * attempts;
  return scenario;
}

// Sales per second of the simulator: `buyers` processes, no delay.
double simulator_rate(std::string_view strategy, std::int64_t buyers, std::int64_t total, const RunOptions& run_options,
                      const BenchOptions& options) {
  std::int64_t attempts = std::max<std::int64_t>(1, total / buyers);
  Scenario scenario = bench_scenario(strategy, buyers, attempts);
  scenario.postgres_conninfo = options.postgres_conninfo;
  scenario.redis_url = options.redis_url;
  RunRecord record = run_scenario(scenario, run_options);
  Result result = make_result(record);
  if (result.verdict != Verdict::kValid && find_strategy(strategy)->expected_correct()) {
    throw RunError(
        fmt::format("{} at {}: the run was {}", strategy, plural(buyers, "buyer"), verdict_name(result.verdict)));
  }
  return result.metrics.sales_per_s;
}

// The strategy's load tool (bench/load_tool.h) at `clients` for whole
// seconds, on fresh tables that hold more tickets than it can sell, checked
// against what it did to them. Nullopt when no tool runs the purchase.
std::optional<LoadToolRun> load_tool_run(const StrategyInfo& strategy, std::int64_t clients, int threads, int seconds,
                                         int round, const BenchOptions& options, const RunOptions& run_options,
                                         const std::filesystem::path& parent, const LoadTool*& tool) {
  const std::int64_t tickets = 1'000'000'000'000;
  RunDirectory dir(parent);
  StoreSpec spec{dir.path(), fmt::format("bench-tool-{}-{}-{}-{}", getpid(), clients, threads, round), tickets, clients,
                 {}, {}, false};
  set_servers(spec, options, run_options);
  std::unique_ptr<StoreSetup> setup = strategy.create(spec);
  std::optional<LoadToolWorkload> workload = setup->load_tool_workload();
  if (!workload) return std::nullopt;
  tool = find_load_tool(workload->tool);
  if (!tool) return std::nullopt;
  LoadToolRun run = tool->run(*workload, clients, threads, seconds, dir.path());
  // The tool did what a purchase does: one ticket (and one ledger row, where
  // the strategy keeps one) per transaction it counted (a transaction -T cut
  // off counts neither).
  FinalState after = setup->inspect();
  if ((strategy.keeps_ledger && after.ledger_sales != run.transactions) ||
      after.remaining != tickets - run.transactions) {
    throw RunError(fmt::format("{}: {} transactions, but the ledger holds {} sales and {} tickets were taken",
                               tool->name, run.transactions, after.ledger_sales.value_or(0),
                               tickets - after.remaining));
  }
  return run;  // its tables dropped with the setup, before anything else runs
}

// The strategy's buyers against its server's load tool at `buyers` clients,
// `rounds` times. In a round the tool runs for whole seconds and the buyers
// make as many purchases as it made in that time (in the first round; after
// it, as many as in the round before), each on fresh tables of its own; the
// tool first in even rounds and the buyers first in odd ones, so that
// neither always runs on a server (and a machine) the other has just left.
// A figure is the median of the rounds' ratios: other work on the machine
// moves both sides of a round alike, and a noisy round is outvoted.
// Two figures: against the tool on kLoadToolThreads threads (the budget),
// and, past that many buyers, against the tool with a thread per client,
// as the buyers are a process each (no budget: it shows how much of the
// first figure is the clients' model). Empty when no tool runs the purchase.
std::vector<Figure> load_tool_figures(const StrategyInfo& strategy, std::int64_t buyers, const BenchOptions& options,
                                      const RunOptions& run_options, const std::filesystem::path& parent) {
  const int seconds = std::max(1, static_cast<int>(std::ceil(options.seconds)));
  std::vector<int> threads{kLoadToolThreads};
  if (buyers > kLoadToolThreads) threads.push_back(static_cast<int>(buyers));
  const LoadTool* tool = nullptr;
  std::vector<double> our_rates;
  std::vector<std::vector<double>> tool_rates(threads.size()), ratios(threads.size());
  std::int64_t purchases = 0;
  for (int round = 0; round < options.tool_rounds; ++round) {
    const bool ours_first = round % 2 == 1;
    double ours = 0;
    // As many purchases as the budgeted tool run made in the round before.
    if (ours_first) ours = simulator_rate(strategy.name, buyers, std::max(purchases, buyers), run_options, options);
    std::vector<double> rates;
    for (std::size_t i = 0; i < threads.size(); ++i) {
      std::size_t t = ours_first ? i : threads.size() - 1 - i;  // the budgeted run next to the buyers'
      std::optional<LoadToolRun> run =
          load_tool_run(strategy, buyers, threads[t], seconds, round, options, run_options, parent, tool);
      if (!run) return {};
      tool_rates[t].push_back(run->per_second);
      if (t == 0) purchases = static_cast<std::int64_t>(run->per_second * seconds);
    }
    if (!ours_first) ours = simulator_rate(strategy.name, buyers, std::max(purchases, buyers), run_options, options);
    our_rates.push_back(ours);
    for (std::size_t t = 0; t < threads.size(); ++t) ratios[t].push_back(ours / tool_rates[t].back());
  }
  std::vector<Figure> figures;
  for (std::size_t t = 0; t < threads.size(); ++t) {
    figures.push_back(Figure{
        fmt::format("{} at {} against {}{}", strategy.name, plural(buyers, "buyer"), tool->name,
                    t == 0 ? "" : fmt::format(", {} threads", threads[t])),
        median(our_rates), "sales/s",
        fmt::format("{}, same {}, median of {} alternated rounds", tool->describe(buyers, threads[t], seconds),
                    strategy.server_kind == ServerKind::kRedis ? "command" : "statements", options.tool_rounds),
        median(tool_rates[t]), median(ratios[t]), t == 0 ? std::optional<double>(0.9) : std::nullopt});
  }
  return figures;
}

// Whether a load tool runs the strategy's purchase, asked of a store of one
// ticket: load_tool_figure's stores hold 10^12, which a strategy with a row
// per ticket (postgres-skip-locked) would write out before saying it has
// no tool, filling the store directory.
bool has_load_tool(const StrategyInfo& strategy, const BenchOptions& options, const RunOptions& run_options,
                   const std::filesystem::path& parent) {
  RunDirectory dir(parent);
  StoreSpec spec{dir.path(), fmt::format("bench-tool-{}", getpid()), 1, 1, {}, {}, false};
  set_servers(spec, options, run_options);
  std::optional<LoadToolWorkload> workload = strategy.create(spec)->load_tool_workload();
  return workload && find_load_tool(workload->tool);
}

// What a strategy's one-process limit is, in words.
std::string one_process_limit(const StrategyInfo& strategy) {
  if (strategy.server) {
    return strategy.server_kind == ServerKind::kRedis ? "one connection, same commands, no other client"
                                                      : "one connection, same statements, no other client";
  }
  if (strategy.transactional) return "one connection, same statements";
  if (strategy.has_seller) return "the seller's store work in one process, no queue";
  return "one process, no lock, same file";
}

// Whether a strategy's sales are a throughput: not for a racy store on a
// file (plain), whose torn reads end purchases early.
bool sales_are_throughput(const StrategyInfo& strategy) { return strategy.expected_correct() || strategy.server; }

// The bare loop at `buyers` (bench/bare_loop.h) on fresh tables or files
// of its own, each buyer making `purchases`.
double bare_rate(const StrategyInfo& strategy, std::int64_t buyers, std::int64_t purchases,
                 const BenchOptions& options, const RunOptions& run_options, const std::filesystem::path& parent) {
  RunDirectory dir(parent);
  StoreSpec spec{dir.path(), fmt::format("bench-bare-{}-{}", getpid(), buyers), buyers * purchases, buyers, {}, {},
                 false};
  set_servers(spec, options, run_options);
  std::unique_ptr<StoreSetup> setup = strategy.create(spec);
  return bare_loop_rate(*setup, strategy, buyers, purchases);
}

// ticketsim at each buyer count against the one-process limit (what the
// lock costs: information) and against the bare loop (what ticketsim
// costs: budgeted), each the median of `options.rounds` alternations with
// the same purchases per buyer.
void add_strategy_figures(const StrategyInfo& strategy, const BenchOptions& options, const RunOptions& run_options,
                          const std::filesystem::path& dir, const std::function<void(const std::string&)>& progress,
                          std::vector<Figure>& figures) {
  progress(fmt::format("{}: one process, no concurrency control", strategy.name));
  double limit = baseline_rate(strategy, dir, options, run_options);
  figures.push_back({fmt::format("{}: one process, no concurrency control", strategy.name), limit, "purchases/s", "",
                     0, 0, std::nullopt});
  auto total = static_cast<std::int64_t>(limit * options.seconds);
  for (std::int64_t buyers : options.buyers) {
    std::string at = fmt::format("{} at {}", strategy.name, plural(buyers, "buyer"));
    progress(fmt::format("{}, against the bare loop", at));
    std::int64_t purchases = std::max<std::int64_t>(1, total / buyers);
    std::vector<double> bare_rates, our_rates;
    for (int round = 0; round < options.rounds; ++round) {
      bare_rates.push_back(bare_rate(strategy, buyers, purchases, options, run_options, dir));
      our_rates.push_back(simulator_rate(strategy.name, buyers, buyers * purchases, run_options, options));
    }
    double ours = median(our_rates);
    double bare = median(bare_rates);
    figures.push_back({at, ours, "sales/s", one_process_limit(strategy), limit, ours / limit, std::nullopt});
    std::optional<double> budget;
    if (sales_are_throughput(strategy) && (buyers == 1 || buyers == 8 || buyers == 32)) budget = 0.95;
    figures.push_back({fmt::format("{} over the bare loop", at), ours, "sales/s",
                       fmt::format("bare loop: {}, same store work, nothing else",
                                   plural(buyers, "process", "processes")),
                       bare, ours / bare, budget});
  }
}

// Said after a raw fork's limit when a server's client library is mapped
// in this process, which makes each fork dearer than a plain run's.
std::string server_clients_mapped() {
  std::string mapped;
  for (const char* soname : {kLibpqSoname, kHiredisSoname}) {
    if (SharedLibrary::loaded(soname)) mapped += fmt::format("{}{}", mapped.empty() ? "" : ", ", soname);
  }
  return mapped.empty() ? "" : fmt::format(", from a process with {} mapped", mapped);
}

// The seed's load (500 buyers, 300 tickets, plain) run whole by ticketsim,
// against its floor and against the Python peer, alternated three times,
// medians; and the peer's children that crashed.
void add_seed_load_figures(const BenchOptions& options, const std::filesystem::path& dir,
                           const std::function<void(const std::string&)>& progress, std::vector<Figure>& figures) {
  const std::int64_t buyers = 500, tickets = 300;
  progress(fmt::format("the seed's load at {} buyers: ticketsim, its floor{}", buyers,
                       options.peer.empty() ? "" : " and the Python peer"));
  RunDirectory scratch(dir);
  std::string scenario = (scratch.path() / "seed500.toml").string();
  std::ofstream(scenario) << fmt::format(
      "strategy = \"plain\"\ntickets = {}\nbuyers = {}\n[expect]\nverdict = \"invalid\"\n", tickets, buyers);
  std::vector<double> ours_runs, floor_runs, peer_runs;
  std::int64_t crashed = 0, torn = 0;
  for (int i = 0; i < 3; ++i) {
    CommandRun ours = run_command({options.ticketsim, "run", scenario, "--store-dir", dir.string()}, scratch.path());
    if (!WIFEXITED(ours.status) || (WEXITSTATUS(ours.status) != 0 && WEXITSTATUS(ours.status) != 1)) {
      throw RunError(fmt::format("ticketsim run of the seed's load failed ({}): {}", describe_wait_status(ours.status),
                                 one_line(ours.err)));
    }
    ours_runs.push_back(ours.seconds);
    floor_runs.push_back(raw_fork_seconds(buyers) + seed_store_seconds(dir, buyers, tickets));
    if (options.peer.empty()) continue;
    PeerRun peer = run_seed_peer(options.peer, buyers, tickets, scratch.path());
    peer_runs.push_back(peer.seconds);
    crashed += peer.crashed;
    torn += peer.torn_reads;
  }
  double ours = median(ours_runs);
  double floor = median(floor_runs);
  figures.push_back({fmt::format("seed's load, {}, {}: wall time", plural(buyers, "buyer"), plural(tickets, "ticket")),
                     ours, "s",
                     fmt::format("raw fork, exit and wait of {} + one process's {} searches and purchases{}", buyers,
                                 buyers, server_clients_mapped()),
                     floor, floor / ours, 1 / 1.3});
  if (options.peer.empty()) return;
  double peer = median(peer_runs);
  figures.push_back({"seed's load against the Python peer", ours, "s", "Python multiprocessing peer", peer,
                     peer / ours, 20.0});
  std::string runs = fmt::format("{} of {} buyers (3 runs)", grouped(torn), grouped(3 * buyers));
  figures.push_back({fmt::format("Python peer: {} crashed on a torn read", runs), static_cast<double>(torn),
                     "buyers", "", 0, 0, std::nullopt});
  if (crashed > torn) {
    figures.push_back({fmt::format("Python peer: {} of {} buyers (3 runs) crashed otherwise", grouped(crashed - torn),
                                   grouped(3 * buyers)),
                       static_cast<double>(crashed - torn), "buyers", "", 0, 0, std::nullopt});
  }
}

// Spawning `spawn_buyers` buyers against as many raw forks from this
// process: five of each, taken in turn, and the medians (one fork storm is
// noisy).
void add_spawn_figures(const BenchOptions& options, const std::filesystem::path& dir,
                       const std::function<void(const std::string&)>& progress, std::vector<Figure>& figures) {
  progress(fmt::format("spawning {} buyers, five times, and as many raw forks", options.spawn_buyers));
  std::vector<double> raws, spawns;
  for (int i = 0; i < 5; ++i) {
    raws.push_back(raw_fork_seconds(options.spawn_buyers));
    RunRecord spawned = run_scenario(bench_scenario("plain", options.spawn_buyers, 1), RunOptions(dir));
    spawns.push_back(static_cast<double>(spawned.spawn_ns) * 1e-9);
  }
  double raw = median(raws);
  double spawn = median(spawns);
  figures.push_back({fmt::format("spawn {} buyers to the barrier", options.spawn_buyers), spawn, "s",
                     fmt::format("raw fork, exit and wait of {}{}", options.spawn_buyers, server_clients_mapped()),
                     raw, raw / spawn, 1 / 1.2});
}

}  // namespace

BenchReport run_bench(const BenchOptions& options, const std::function<void(const std::string&)>& progress) {
  BenchReport report;
  std::filesystem::path dir = options.store_dir.empty() ? RunDirectory::fastest_parent() : options.store_dir;
  report.store_dir = dir.string();
  report.store_filesystem = filesystem_type(dir);
  auto selected = [&](const StrategyInfo& strategy) {
    return options.strategies.empty() ||
           std::find(options.strategies.begin(), options.strategies.end(), strategy.name) != options.strategies.end();
  };
  RunOptions run_options(dir);
  auto selected_kind = [&](ServerKind kind) {
    return std::any_of(strategies().begin(), strategies().end(), [&](const StrategyInfo& strategy) {
      return selected(strategy) && strategy.server && strategy.server_kind == kind;
    });
  };
  const bool postgres = selected_kind(ServerKind::kPostgres), redis = selected_kind(ServerKind::kRedis);
  // The servers the user named, first: bad input ends the bench at once.
  if (postgres && !options.postgres_conninfo.empty()) check_postgres_server(options.postgres_conninfo);
  if (redis && !options.redis_url.empty()) check_redis_server(options.redis_url);

  // Then forking, before any server strategy maps its client library into
  // this process: a raw fork costs more with every library mapped
  // (storage/shared_library.h), and measured now this process forks as
  // `ticketsim run` of the plain store does. (With a server named above,
  // its client is mapped already; the figures' limits say so.)
  std::vector<Figure> spawn_figures, seed_figures;
  add_spawn_figures(options, dir, progress, spawn_figures);
  if (!options.ticketsim.empty()) add_seed_load_figures(options, dir, progress, seed_figures);

  if (postgres && options.postgres_conninfo.empty()) {
    // One embedded server for every PostgreSQL measurement, as compare has.
    progress("starting an embedded PostgreSQL server");
    PostgresServerOptions server_options;
    server_options.parent = dir;
    std::int64_t most = *std::max_element(options.buyers.begin(), options.buyers.end());
    if (!options.tool_buyers.empty()) {
      most = std::max(most, *std::max_element(options.tool_buyers.begin(), options.tool_buyers.end()));
    }
    server_options.max_connections = most + 10;
    run_options.postgres_server = std::make_shared<PostgresServer>(server_options);
  }
  if (redis && options.redis_url.empty()) {
    // One embedded server for every Redis measurement, redis-benchmark's too.
    progress("starting an embedded Redis server");
    RedisServerOptions server_options;
    server_options.parent = dir;
    run_options.redis_server = std::make_shared<RedisServer>(server_options);
  }

  for (const StrategyInfo& strategy : strategies()) {
    if (!options.strategies.empty() &&
        std::find(options.strategies.begin(), options.strategies.end(), strategy.name) == options.strategies.end()) {
      continue;
    }
    add_strategy_figures(strategy, options, run_options, dir, progress, report.figures);
    if (!strategy.server || !has_load_tool(strategy, options, run_options, dir)) continue;
    for (std::int64_t buyers : options.tool_buyers) {
      progress(fmt::format("{} at {} against its server's load tool", strategy.name, plural(buyers, "buyer")));
      std::vector<Figure> figures = load_tool_figures(strategy, buyers, options, run_options, dir);
      if (figures.empty()) break;
      report.figures.insert(report.figures.end(), figures.begin(), figures.end());
    }
  }

  if (selected(*find_strategy("sqlite"))) {
    progress(fmt::format("sqlite at {} buyers: purchase waits", kSqliteWaitBuyers));
    report.figures.push_back(sqlite_wait_figure(run_options));
  }

  report.figures.insert(report.figures.end(), spawn_figures.begin(), spawn_figures.end());

  progress(fmt::format("checker at {} operations", fmt::join(options.checker_operations, ", ")));
  std::vector<CheckerSample> checks;
  for (std::int64_t operations : options.checker_operations) checks.push_back(measure_checker(operations));
  for (const CheckerSample& check : checks) {
    report.figures.push_back({fmt::format("checker at {} operations", grouped(check.operations)), check.per_second,
                              "operations/s", "10 million operations/s", 1e7, check.per_second / 1e7, 1.0});
  }
  for (const CheckerSample& check : checks) {
    report.figures.push_back({fmt::format("checker at {} operations: peak memory beyond the history",
                                          grouped(check.operations)),
                              check.peak_bytes_per_operation, "bytes/operation", "", 0, 0, std::nullopt});
  }
  if (checks.size() > 1) {
    // Linear cost is a flat rate: the largest history checked as fast as the smallest.
    const CheckerSample& small = checks.front();
    const CheckerSample& large = checks.back();
    report.figures.push_back({fmt::format("checker growth: rate at {} operations", grouped(large.operations)),
                              large.per_second, "operations/s",
                              fmt::format("its rate at {} operations", grouped(small.operations)), small.per_second,
                              large.per_second / small.per_second, 0.8});
  }
  report.figures.push_back({"history memory", static_cast<double>(sizeof(Operation)), "bytes/operation",
                            "48 bytes/operation", 48, 48.0 / sizeof(Operation), 1.0});

  report.figures.insert(report.figures.end(), seed_figures.begin(), seed_figures.end());
  return report;
}

namespace {

std::string format_value(double value, const std::string& unit) {
  if (unit == "s") return fmt::format("{:.3f} s", value);
  if (value >= 1e6) return fmt::format("{:.2f}M {}", value / 1e6, unit);
  if (value >= 1e3) return fmt::format("{:.1f}k {}", value / 1e3, unit);
  return fmt::format("{:.0f} {}", value, unit);
}

}  // namespace

void print_bench(const BenchReport& report, std::FILE* out) {
  fmt::print(out, "store directory {} ({})\n\n", report.store_dir, report.store_filesystem);
  fmt::print(out, "{:<64} {:>20} {:>8} {:>8}  {}\n", "figure", "value", "ratio", "budget", "limit");
  for (const Figure& figure : report.figures) {
    std::string ratio = figure.limit > 0 ? fmt::format("{:.2f}", figure.ratio) : "";
    std::string budget = figure.budget ? fmt::format(">= {:.2f}", *figure.budget) : "";
    std::string verdict = figure.budget ? (figure.met() ? "" : "  MISSED") : "";
    std::string limit = figure.limit > 0 ? fmt::format("{} ({})", figure.limit_name, format_value(figure.limit, figure.unit == "sales/s" ? "purchases/s" : figure.unit)) : "";
    fmt::print(out, "{:<64} {:>20} {:>8} {:>8}  {}{}\n", figure.name, format_value(figure.value, figure.unit), ratio,
               budget, limit, verdict);
  }
}

bool is_bench_export_format(std::string_view extension) {
  return extension == ".json" || extension == ".csv" || extension == ".md";
}

std::string bench_export(const BenchReport& report, std::string_view extension) {
  std::string text;
  if (extension == ".json") {
    nlohmann::json json;
    json["schema_version"] = 1;
    json["store_dir"] = report.store_dir;
    json["store_filesystem"] = report.store_filesystem;
    for (const Figure& figure : report.figures) {
      nlohmann::json row = {{"name", figure.name}, {"value", figure.value}, {"unit", figure.unit},
                            {"limit_name", figure.limit_name}, {"limit", figure.limit}, {"ratio", figure.ratio},
                            {"budget", figure.budget ? nlohmann::json(*figure.budget) : nlohmann::json(nullptr)},
                            {"met", figure.met()}};
      json["figures"].push_back(row);
    }
    text = json.dump(2) + "\n";
  } else if (extension == ".csv") {
    text = "name,value,unit,limit_name,limit,ratio,budget,met\n";
    for (const Figure& f : report.figures) {
      text += fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(f.name), f.value, csv_field(f.unit),
                          csv_field(f.limit_name), f.limit, f.ratio,
                          f.budget ? fmt::format("{}", *f.budget) : "", f.met() ? "yes" : "no");
    }
  } else if (extension == ".md") {
    text = fmt::format("Store directory `{}` ({}).\n\n", report.store_dir, report.store_filesystem);
    text += "| figure | value | limit | ratio | budget | met |\n| --- | ---: | --- | ---: | ---: | --- |\n";
    for (const Figure& f : report.figures) {
      text += fmt::format("| {} | {} | {} | {} | {} | {} |\n", f.name, format_value(f.value, f.unit),
                          f.limit > 0 ? f.limit_name : "", f.limit > 0 ? fmt::format("{:.2f}", f.ratio) : "",
                          f.budget ? fmt::format("≥ {:.2f}", *f.budget) : "", f.budget ? (f.met() ? "yes" : "**no**") : "");
    }
  }
  return text;
}

}  // namespace ticketsim
