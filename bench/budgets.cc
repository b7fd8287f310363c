#include "bench/budgets.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/load_tool.h"
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
#include "storage/store.h"

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
// concurrency control. Purchases per second.
double baseline_rate(const StrategyInfo& strategy, const std::filesystem::path& parent, const BenchOptions& options,
                     const RunOptions& run_options) {
  const double seconds = options.seconds;
  RunDirectory dir(parent);
  StoreSpec spec{dir.path(), fmt::format("bench-{}-{}", getpid(), strategy.name), 1'000'000'000, 1, {}, {}, false};
  set_servers(spec, options, run_options);
  std::unique_ptr<StoreSetup> setup = strategy.create(spec);
  std::unique_ptr<Store> store = setup->open_baseline();
  BuyRequest request{.buyer_pid = getpid()};
  std::int64_t start = monotonic_ns();
  std::int64_t operations = 0;
  while (operations < 64 || seconds_since(start) < seconds) {
    for (int i = 0; i < 64; ++i, ++operations) {
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
    throw RunError(fmt::format("{} at {} buyers: the run was {}", strategy, buyers, verdict_name(result.verdict)));
  }
  return result.metrics.sales_per_s;
}

// The strategy's buyers against its server's load tool (bench/load_tool.h)
// at `buyers` clients: the tool for whole seconds on fresh tables that hold
// more tickets than it can sell, then as many purchases by the buyers as
// the tool made in that time, on fresh tables of their own; `rounds` times
// in turn, and the medians. Nullopt when no tool runs the purchase.
std::optional<Figure> load_tool_figure(const StrategyInfo& strategy, std::int64_t buyers, const BenchOptions& options,
                                       const RunOptions& run_options, const std::filesystem::path& parent) {
  const int seconds = std::max(1, static_cast<int>(std::ceil(options.seconds)));
  const std::int64_t tickets = 1'000'000'000'000;
  const LoadTool* tool = nullptr;
  std::vector<double> tool_rates, our_rates;
  for (int round = 0; round < options.tool_rounds; ++round) {
    RunDirectory dir(parent);
    StoreSpec spec{dir.path(), fmt::format("bench-tool-{}-{}-{}", getpid(), buyers, round), tickets, buyers, {}, {},
                   false};
    set_servers(spec, options, run_options);
    std::unique_ptr<StoreSetup> setup = strategy.create(spec);
    std::optional<LoadToolWorkload> workload = setup->load_tool_workload();
    if (!workload) return std::nullopt;
    tool = find_load_tool(workload->tool);
    if (!tool) return std::nullopt;
    LoadToolRun run = tool->run(*workload, buyers, seconds, dir.path());
    // The tool did what a purchase does: one ticket (and one ledger row,
    // where the strategy keeps one) per transaction it counted (a
    // transaction -T cut off counts neither).
    FinalState after = setup->inspect();
    if ((strategy.keeps_ledger && after.ledger_sales != run.transactions) ||
        after.remaining != tickets - run.transactions) {
      throw RunError(fmt::format("{}: {} transactions, but the ledger holds {} sales and {} tickets were taken",
                                 tool->name, run.transactions, after.ledger_sales.value_or(0),
                                 tickets - after.remaining));
    }
    setup.reset();  // its tables dropped before the buyers run
    tool_rates.push_back(run.per_second);
    auto purchases = static_cast<std::int64_t>(run.per_second * seconds);
    our_rates.push_back(simulator_rate(strategy.name, buyers, std::max(purchases, buyers), run_options, options));
  }
  double ours = median(our_rates);
  double theirs = median(tool_rates);
  return Figure{fmt::format("{} at {} buyers against {}", strategy.name, buyers, tool->name), ours, "sales/s",
                fmt::format("{}, same {}", tool->describe(buyers, seconds),
                            strategy.server_kind == ServerKind::kRedis ? "command" : "statements"),
                theirs, ours / theirs, 0.9};
}

// Seconds to fork `count` processes that exit at once, and wait for them.
double raw_fork_seconds(std::int64_t count) {
  std::fflush(nullptr);
  std::int64_t start = monotonic_ns();
  std::vector<pid_t> pids;
  for (std::int64_t i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) break;
    pids.push_back(pid);
  }
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
  return seconds_since(start);
}

// Operations per second of the checker over a clean history.
double checker_rate(std::int64_t operations) {
  const std::int64_t buyers = 8;
  const std::int64_t per_buyer = operations / buyers;
  std::vector<std::vector<Operation>> ops(buyers);
  std::int64_t ticket = buyers * per_buyer;
  std::int64_t t = 0;
  for (std::int64_t i = 0; i < per_buyer; ++i) {
    for (std::int64_t b = 0; b < buyers; ++b, --ticket, t += 2) {
      ops[b].push_back({t, t + 1, ticket, ticket, 0, OperationKind::kBuy, Outcome::kSold});
    }
  }
  std::vector<BuyerHistory> histories;
  for (std::int64_t b = 0; b < buyers; ++b) histories.push_back({static_cast<std::int32_t>(b + 1), ops[b], {}});
  FinalState final_state;
  std::int64_t start = monotonic_ns();
  CheckResult result = check_history({histories, buyers * per_buyer, final_state, 0, 0, {}});
  double seconds = seconds_since(start);
  if (!result.valid()) throw RunError("the checker judged a clean history invalid");
  return static_cast<double>(buyers * per_buyer) / seconds;
}

// Wall seconds of a command, run to its end.
double command_seconds(const std::vector<std::string>& argv) {
  std::fflush(nullptr);
  std::int64_t start = monotonic_ns();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1)) {
    throw RunError(fmt::format("{} failed: {}", argv[0], describe_wait_status(status)));
  }
  return seconds_since(start);
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
  bool server = std::any_of(strategies().begin(), strategies().end(), [&](const StrategyInfo& strategy) {
    return selected(strategy) && strategy.server && strategy.server_kind == ServerKind::kPostgres;
  });
  if (server && !options.postgres_conninfo.empty()) {
    check_postgres_server(options.postgres_conninfo);
  } else if (server) {
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
  bool redis = std::any_of(strategies().begin(), strategies().end(), [&](const StrategyInfo& strategy) {
    return selected(strategy) && strategy.server && strategy.server_kind == ServerKind::kRedis;
  });
  if (redis && !options.redis_url.empty()) {
    check_redis_server(options.redis_url);
  } else if (redis) {
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
    progress(fmt::format("{}: one process, no concurrency control", strategy.name));
    double limit = baseline_rate(strategy, dir, options, run_options);
    std::string limit_name = strategy.transactional ? "one connection, same statements" : "one process, no lock, same file";
    report.figures.push_back({fmt::format("{}: one process, no concurrency control", strategy.name), limit,
                              "purchases/s", "", 0, 0, std::nullopt});
    auto total = static_cast<std::int64_t>(limit * options.seconds);
    for (std::int64_t buyers : options.buyers) {
      progress(fmt::format("{} at {} buyers", strategy.name, buyers));
      double rate = simulator_rate(strategy.name, buyers, std::max(total, buyers), run_options, options);
      std::optional<double> budget;
      if (buyers == 8 && strategy.expected_correct()) budget = strategy.transactional ? 0.7 : 0.85;
      report.figures.push_back({fmt::format("{} at {} buyers", strategy.name, buyers), rate, "sales/s", limit_name,
                                limit, rate / limit, budget});
    }
    if (!strategy.server) continue;
    for (std::int64_t buyers : options.tool_buyers) {
      progress(fmt::format("{} at {} buyers against its server's load tool", strategy.name, buyers));
      std::optional<Figure> figure = load_tool_figure(strategy, buyers, options, run_options, dir);
      if (!figure) break;
      report.figures.push_back(*figure);
    }
  }

  if (selected(*find_strategy("sqlite"))) {
    progress(fmt::format("sqlite at {} buyers: purchase waits", kSqliteWaitBuyers));
    report.figures.push_back(sqlite_wait_figure(run_options));
  }

  // Five of each, taken in turn, and the medians: one fork storm is noisy.
  progress(fmt::format("spawning {} buyers, five times, and as many raw forks", options.spawn_buyers));
  std::vector<double> raws, spawns;
  for (int i = 0; i < 5; ++i) {
    raws.push_back(raw_fork_seconds(options.spawn_buyers));
    RunRecord spawned = run_scenario(bench_scenario("plain", options.spawn_buyers, 1), RunOptions(dir));
    spawns.push_back(static_cast<double>(spawned.spawn_ns) * 1e-9);
  }
  double raw = median(raws);
  double spawn = median(spawns);
  report.figures.push_back({fmt::format("spawn {} buyers to the barrier", options.spawn_buyers), spawn, "s",
                            fmt::format("raw fork, exit and wait of {}", options.spawn_buyers), raw, raw / spawn,
                            1 / 1.2});

  progress("checker");
  double checked = checker_rate(4'000'000);
  report.figures.push_back({"checker", checked, "operations/s", "10 million operations/s", 1e7, checked / 1e7, 1.0});
  report.figures.push_back({"history memory", static_cast<double>(sizeof(Operation)), "bytes/operation",
                            "48 bytes/operation", 48, 48.0 / sizeof(Operation), 1.0});

  if (!options.peer.empty() && !options.ticketsim.empty()) {
    progress("the seed's load at 500 buyers: ticketsim and the Python peer");
    RunDirectory scratch(dir);
    std::string scenario = (scratch.path() / "seed500.toml").string();
    std::ofstream(scenario) << "strategy = \"plain\"\ntickets = 300\nbuyers = 500\n[expect]\nverdict = \"invalid\"\n";
    std::vector<double> ours_runs, peer_runs;
    for (int i = 0; i < 3; ++i) {
      ours_runs.push_back(command_seconds({options.ticketsim, "run", scenario, "--store-dir", dir.string()}));
      peer_runs.push_back(command_seconds({"python3", options.peer.string(), "500", "300", scratch.path().string()}));
    }
    double ours = median(ours_runs);
    double peer = median(peer_runs);
    report.figures.push_back({"seed's load, 500 buyers, 300 tickets: wall time", ours, "s",
                              "Python multiprocessing peer", peer, peer / ours, 20.0});
  }
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
  fmt::print(out, "{:<48} {:>18} {:>8} {:>8}  {}\n", "figure", "value", "ratio", "budget", "limit");
  for (const Figure& figure : report.figures) {
    std::string ratio = figure.limit > 0 ? fmt::format("{:.2f}", figure.ratio) : "";
    std::string budget = figure.budget ? fmt::format(">= {:.2f}", *figure.budget) : "";
    std::string verdict = figure.budget ? (figure.met() ? "" : "  MISSED") : "";
    std::string limit = figure.limit > 0 ? fmt::format("{} ({})", figure.limit_name, format_value(figure.limit, figure.unit == "sales/s" ? "purchases/s" : figure.unit)) : "";
    fmt::print(out, "{:<48} {:>18} {:>8} {:>8}  {}{}\n", figure.name, format_value(figure.value, figure.unit), ratio,
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
