#include "sim/compare.h"

#include <algorithm>

#include "sim/children.h"
#include "sim/errors.h"
#include "storage/postgres_server.h"
#include "storage/postgres_store.h"
#include "storage/redis_server.h"
#include "storage/redis_store.h"

namespace ticketsim {

Scenario cell_scenario(const Scenario& base, const std::string& strategy, std::int64_t buyers, std::uint64_t seed) {
  Scenario scenario = base;
  scenario.strategy = strategy;
  scenario.buyers = buyers;
  scenario.strategies = {strategy};
  scenario.buyer_counts = {buyers};
  scenario.seed = seed;
  expect_strategy_guarantee(scenario);
  return scenario;
}

void check_matrix(const Scenario& scenario, const std::vector<std::string>& strategies,
                  const std::vector<std::int64_t>& buyers) {
  for (const std::string& strategy : strategies) {
    for (std::int64_t count : buyers) check_runnable(cell_scenario(scenario, strategy, count, scenario.seed));
  }
}

MatrixRuns run_matrix(const Scenario& base, const CompareOptions& options) {
  check_matrix(base, options.strategies, options.buyers);

  std::vector<MatrixRun> plan;
  for (std::int64_t r = options.warmup > 0 ? -options.warmup + 1 : 1; r <= options.runs; ++r) {
    for (const std::string& strategy : options.strategies) {
      for (std::int64_t buyers : options.buyers) {
        MatrixRun run;
        run.strategy = strategy;
        run.buyers = buyers;
        run.run = std::max<std::int64_t>(r, 0);
        run.seed = base.seed + static_cast<std::uint64_t>(run.warmup() ? 0 : r - 1);
        plan.push_back(std::move(run));
      }
    }
  }

  MatrixRuns done;
  // Held across the runs: a Ctrl-C between two runs waits for the next
  // check instead of killing ticketsim with the exports unwritten.
  BlockedSignals signals;
  RunOptions run_options = options.run;
  // Whether a strategy of the matrix has a server of `kind`.
  auto uses_server = [](ServerKind kind) {
    return [kind](const std::string& name) {
      const StrategyInfo* info = find_strategy(name);
      return info->server && info->server_kind == kind;
    };
  };
  if (std::any_of(options.strategies.begin(), options.strategies.end(), uses_server(ServerKind::kPostgres))) {
    try {
      if (!base.postgres_conninfo.empty()) {
        // The user's server, before any run: one that cannot be reached is
        // bad input, whichever cell would have met it first.
        check_postgres_server(base.postgres_conninfo);
      } else if (!run_options.postgres_server) {
        // One server for the whole matrix, each run with fresh tables of
        // its own, rather than initdb and a start per run.
        PostgresServerOptions server;
        server.parent = run_options.store_parent;
        server.fsync = base.postgres_fsync;
        server.synchronous_commit = base.postgres_synchronous_commit;
        server.full_page_writes = base.postgres_full_page_writes;
        // Every buyer of the largest cell, its monitor, the setup, and the
        // superuser's reserve, as a run's own server has.
        server.max_connections = *std::max_element(options.buyers.begin(), options.buyers.end()) + 10;
        run_options.postgres_server = std::make_shared<PostgresServer>(server);
      }
    } catch (const ServerUnreachable& e) {
      throw InputError(e.what());
    } catch (const StoreError& e) {
      throw RunError(e.what());
    }
  }
  if (std::any_of(options.strategies.begin(), options.strategies.end(), uses_server(ServerKind::kRedis))) {
    try {
      if (!base.redis_url.empty()) {
        check_redis_server(base.redis_url);
      } else if (!run_options.redis_server) {
        // One server for the whole matrix, each run with keys of its own
        // (deleted at its end), as PostgreSQL's.
        RedisServerOptions server;
        server.parent = run_options.store_parent;
        server.appendonly = base.redis_appendonly;
        server.appendfsync = base.redis_appendfsync;
        run_options.redis_server = std::make_shared<RedisServer>(server);
      }
    } catch (const ServerUnreachable& e) {
      throw InputError(e.what());
    } catch (const StoreError& e) {
      throw RunError(e.what());
    }
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    MatrixRun& run = plan[i];
    if (options.before_run) options.before_run(run, i + 1, plan.size());
    RunRecord record = run_scenario(cell_scenario(base, run.strategy, run.buyers, run.seed), run_options);
    run.result = make_result(record);
    if (options.on_record && run.result.verdict != Verdict::kInterrupted) options.on_record(run, record);
    if (run.result.verdict == Verdict::kInterrupted) {
      done.interrupted_by = run.result.interrupted_by;
      break;
    }
    if (options.on_run) options.on_run(run, i + 1, plan.size());
    if (!run.warmup()) done.runs.push_back(std::move(run));
    if (std::string stop = signals.take_pending_stop(); !stop.empty()) {
      done.interrupted_by = stop;
      break;
    }
  }
  return done;
}

}  // namespace ticketsim
