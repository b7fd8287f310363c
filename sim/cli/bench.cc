// `ticketsim bench`: each limit and the simulator against it, with budgets
// (bench/budgets.h).
#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "bench/budgets.h"
#include "sim/cli/commands.h"
#include "sim/cli/output.h"
#include "sim/errors.h"
#include "sim/scenario.h"
#include "storage/postgres_store.h"
#include "storage/redis_store.h"

namespace ticketsim {
namespace {

class BenchCommand : public Command {
 public:
  explicit BenchCommand(CLI::App& parent)
      : Command(parent.add_subcommand("bench", "Measure each limit and the simulator against it, with budgets")) {
    app()->add_option("--strategies", options_.strategies, "Strategies to measure (default: all)")->delimiter(',');
    app()->add_option("--buyers", options_.buyers,
                      "Buyer counts (default 1,2,8,32; against a server's load tool, pgbench or redis-benchmark, 1,8,32)")
        ->delimiter(',');
    app()->add_option("--seconds", options_.seconds, "Rough length of each measurement")->check(CLI::Range(0.01, 60.0));
    app()->add_option("--spawn-buyers", options_.spawn_buyers, "Buyers for the spawn budget")
        ->check(CLI::Range(1, 32768));
    app()->add_option("--rounds", options_.rounds,
                      "Alternations of the bare loop and the buyers at each buyer count (medians; default 3)")
        ->check(CLI::Range(1, 99));
    app()->add_option("--checker-operations", options_.checker_operations,
                      "History sizes the checker is timed at (default 1000000,4000000,16000000)")
        ->delimiter(',')
        ->check(CLI::Range(std::int64_t{8}, std::int64_t{1'000'000'000}));
    app()->add_option("--store-dir", options_.store_dir, "Where the stores are made (default /dev/shm when it is tmpfs)");
    app()->add_option("--postgres", postgres_,
                      "The PostgreSQL server for the postgres strategies, as a libpq conninfo; default: one "
                      "ticketsim starts");
    app()->add_option("--redis", redis_,
                      "The Redis server for the redis strategies, as redis://host:port/db or "
                      "unix:///path/to/redis.sock; default: one ticketsim starts");
    app()->add_flag("--no-peer", no_peer_, "Leave out the Python peer");
    app()->add_option("--export", exports_, "Write the figures to FILE (.json, .csv or .md); repeatable");
  }

  int execute(const std::vector<std::string>& argv) override {
    // The same checks, and the same messages, as the scenario's keys.
    Scenario scenario;
    if (!options_.strategies.empty()) set_strategies(scenario, options_.strategies, "--strategies");
    if (!options_.buyers.empty()) set_buyer_counts(scenario, options_.buyers, "--buyers");
    if (app()->count("--buyers") > 0) options_.tool_buyers = options_.buyers;
    check_exports(exports_, is_bench_export_format, ".json, .csv or .md");
    if (postgres_) {
      set_postgres_conninfo(scenario, *postgres_, "--postgres");
      options_.postgres_conninfo = scenario.postgres_conninfo;
      try {
        check_postgres_server(options_.postgres_conninfo);  // before any measurement
      } catch (const ServerUnreachable& e) {
        throw InputError(e.what());
      }
    }
    if (redis_) {
      set_redis_url(scenario, *redis_, "--redis");
      options_.redis_url = scenario.redis_url;
      try {
        check_redis_server(options_.redis_url);  // before any measurement
      } catch (const ServerUnreachable& e) {
        throw InputError(e.what());
      }
    }
    prepare_store_dir(options_.store_dir.string());
    std::error_code ec;
    std::filesystem::path peer = std::filesystem::path(TICKETSIM_SOURCE_DIR) / "bench" / "seed_peer.py";
    if (!no_peer_ && std::filesystem::exists(peer, ec)) options_.peer = peer;
    options_.ticketsim = this_program(argv[0]);
    BenchReport report = run_bench(options_, [](const std::string& what) { fmt::print(stderr, "bench: {}\n", what); });
    print_bench(report, stdout);
    for (const std::string& path : exports_) {
      write_file_atomically(path, bench_export(report, lower_extension(path)), "the export");
    }
    return kExitAsExpected;
  }

 private:
  BenchOptions options_;
  std::vector<std::string> exports_;
  bool no_peer_ = false;
  std::optional<std::string> postgres_;
  std::optional<std::string> redis_;
};

}  // namespace

std::unique_ptr<Command> add_bench_command(CLI::App& app) { return std::make_unique<BenchCommand>(app); }

}  // namespace ticketsim
