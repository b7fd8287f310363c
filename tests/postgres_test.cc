// The PostgreSQL stores against real servers: the embedded one starts and
// leaves nothing behind (not even after a SIGKILL of its owner), every
// strategy sells exactly the tickets under a race, read-write oversells,
// retries are counted, a named server keeps nothing of the run, and a server
// that cannot be reached is one StoreError before any buyer is forked.
// No skipping: a machine where the server cannot start fails these tests.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/server_test_helpers.h"
#include "tests/temp_dir.h"

#include "bench/pgbench.h"

#include "sim/result.h"
#include "sim/runner.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_server.h"
#include "storage/store.h"

using namespace ticketsim;
using namespace std::chrono_literals;

namespace {

// One server for the tests that only need a server: each run still gets
// tables of its own. Started once, stopped when the test program ends.
PostgresServer& shared_server() {
  static PostgresServer server(PostgresServerOptions{});
  return server;
}

std::vector<std::string> postgres_strategies() {
  std::vector<std::string> names;
  for (const StrategyInfo& info : strategies()) {
    if (info.server && info.server_kind == ServerKind::kPostgres) names.emplace_back(info.name);
  }
  return names;
}

std::string unique_run_id() {
  static int next = 0;
  return fmt::format("pgtest-{}-{}", getpid(), next++);
}

Scenario race(std::string strategy, std::int64_t buyers, std::int64_t tickets) {
  Scenario scenario;
  scenario.file = "test";
  scenario.name = "test";
  scenario.strategy = std::move(strategy);
  scenario.buyers = buyers;
  scenario.tickets = tickets;
  scenario.attempts = std::nullopt;  // until sold-out
  scenario.postgres_conninfo = shared_server().conninfo();
  scenario.postgres_max_tries = 1000;
  return scenario;
}

Result run(const Scenario& scenario, const TempDir& dir) {
  RunRecord record = run_scenario(scenario, RunOptions(dir.path));
  return make_result(record);
}

// A TempDir the server's account can search (TempDir is root's, 0700):
// the embedded server then makes its directory in it.
void open_to_server(const TempDir& dir) { REQUIRE(chmod(dir.path.c_str(), 0711) == 0); }

}  // namespace

TEST_CASE("the embedded server starts, listens only on its socket, and is gone afterwards") {
  TempDir parent;
  open_to_server(parent);
  PostgresServerOptions options;
  options.parent = parent.path;
  pid_t postmaster = 0, watchdog = 0;
  std::filesystem::path directory;
  {
    PostgresServer server(options);
    postmaster = server.pid();
    watchdog = server.watchdog_pid();
    directory = server.directory();
    MESSAGE(fmt::format("embedded server started in {} ms as {}",
                        std::chrono::duration_cast<std::chrono::milliseconds>(server.start_time()).count(),
                        server.user()));
    CHECK(directory.parent_path() == parent.path);
    CHECK(alive(postmaster));
    CHECK(alive(watchdog));
    CHECK(std::filesystem::exists(directory / ".s.PGSQL.5432"));
    if (geteuid() == 0) CHECK(server.user() != "root");

    PgConnection connection(server.conninfo());
    CHECK(connection.query_integer("SELECT 1") == 1);
    // No TCP: nothing but the socket in the directory.
    PgResult listen = connection.exec("SHOW listen_addresses");
    REQUIRE(listen.ok());
    CHECK(listen.text(0, 0).empty());
  }
  // Stopped and reaped (it was this process's child), the watchdog too.
  CHECK_FALSE(alive(postmaster));
  CHECK_FALSE(alive(watchdog));
  CHECK_FALSE(std::filesystem::exists(directory));
  CHECK(parent.empty());
}

TEST_CASE("a server that cannot start is one StoreError, with the server's reason, and leaves nothing") {
  TempDir parent;
  open_to_server(parent);
  PostgresServerOptions options;
  options.parent = parent.path;
  options.synchronous_commit = "sometimes";
  try {
    PostgresServer server(options);
    FAIL("the server started with synchronous_commit = sometimes");
  } catch (const StoreError& e) {
    std::string message = e.what();
    CAPTURE(message);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.rfind("cannot start the embedded PostgreSQL server: ", 0) == 0);
    CHECK(message.find("synchronous_commit") != std::string::npos);
  }
  CHECK(parent.empty());
}

TEST_CASE("every strategy sells exactly the tickets with 8 buyers racing on one row") {
  for (const std::string& strategy : postgres_strategies()) {
    if (strategy == "postgres-read-write") continue;  // it oversells: the next test
    CAPTURE(strategy);
    TempDir dir;
    Scenario scenario = race(strategy, 8, 60);
    scenario.delays.purchase = 1ms;  // a window for the race to use
    Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kValid);
    CHECK(result.check.sold == 60);
    CHECK(result.check.indeterminate == 0);
    CHECK(result.final_state.remaining == 0);
    REQUIRE(result.final_state.ledger_sales.has_value());
    CHECK(*result.final_state.ledger_sales == 60);
    CHECK(dir.empty());
  }
}

TEST_CASE("postgres-read-write oversells every time: every buyer reads 1 before any writes") {
  // The seed's race with a window no scheduler can close, as plain's test:
  // each buyer reads count=1 as soon as it is released, then waits 300ms.
  for (int run_number = 0; run_number < 2; ++run_number) {
    TempDir dir;
    Scenario scenario = race("postgres-read-write", 8, 1);
    scenario.attempts = 1;
    scenario.delays.purchase = 300ms;
    Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kInvalid);
    CHECK(result.check.sold == 8);
    CHECK(result.check.count(Anomaly::kOversold) == 7);
    CHECK(result.check.count(Anomaly::kLostUpdates) == 7);
    CHECK(result.check.count(Anomaly::kDuplicateTickets) == 7);
    CHECK(result.final_state.remaining == 0);
    REQUIRE(result.final_state.ledger_sales.has_value());
    CHECK(*result.final_state.ledger_sales == 8);
  }
}

TEST_CASE("the embedded server of a run: the seed's load on postgres-atomic sells one ticket, leaves nothing") {
  TempDir dir;
  Scenario scenario = race("postgres-atomic", 15, 1);
  scenario.postgres_conninfo.clear();  // a server of the run's own
  scenario.attempts = 1;
  scenario.delays.purchase = 20ms;
  Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 1);
  CHECK(result.check.sold_out == 14);
  CHECK(result.final_state.remaining == 0);
  CHECK(dir.empty());
}

namespace {

StoreSpec spec_on(const TempDir& dir, std::int64_t tickets, const std::string& conninfo) {
  StoreSpec spec{dir.path, unique_run_id(), tickets, /*buyers=*/2, {}, {}, false};
  spec.options.postgres_conninfo = conninfo;
  return spec;
}

}  // namespace

TEST_CASE("serializable: a purchase that loses to another is retried, and the failure counted") {
  TempDir dir;
  StoreSpec spec = spec_on(dir, 10, shared_server().conninfo());
  std::unique_ptr<StoreSetup> setup = find_strategy("postgres-serializable")->create(spec);
  std::unique_ptr<Store> first = setup->open(0);
  std::unique_ptr<Store> second = setup->open(1);
  // The second buyer sells a ticket between the first's read and its write:
  // the first's transaction cannot be serialized after it.
  BuyResult second_bought;
  Interleave interleave([&] { second_bought = second->buy({2, 2, {}}); });
  BuyResult first_bought = first->buy({1, 1, {}, &interleave});
  CHECK(second_bought.outcome == Outcome::kSold);
  CHECK(second_bought.ticket == 10);
  CHECK(first_bought.outcome == Outcome::kSold);
  CHECK(first_bought.ticket == 9);  // read again on the second try
  CHECK(first_bought.serialization_failures == 1);
  CHECK(first_bought.deadlock_failures == 0);
  CHECK(first_bought.retries == 1);
  CHECK(interleave.calls() == 2);
  FinalState state = setup->inspect();
  CHECK(state.remaining == 8);
  CHECK(state.ledger_sales == std::optional<std::int64_t>(2));

  SUBCASE("with max_tries = 1 the failure ends the purchase: an error, nothing sold") {
    StoreSpec once = spec_on(dir, 10, shared_server().conninfo());
    once.options.postgres_max_tries = 1;
    std::unique_ptr<StoreSetup> strict = find_strategy("postgres-serializable")->create(once);
    std::unique_ptr<Store> a = strict->open(0);
    std::unique_ptr<Store> b = strict->open(1);
    Interleave cut_in([&] { b->buy({2, 2, {}}); });
    BuyResult failed = a->buy({1, 1, {}, &cut_in});
    CHECK(failed.outcome == Outcome::kError);
    CHECK(failed.serialization_failures == 1);
    CHECK(failed.retries == 0);
    CHECK(strict->inspect().remaining == 9);
    CHECK(strict->inspect().ledger_sales == std::optional<std::int64_t>(1));
  }
}

TEST_CASE("optimistic: a purchase that loses the version race is tried again; read-write loses the update") {
  TempDir dir;
  {
    std::unique_ptr<StoreSetup> setup =
        find_strategy("postgres-optimistic")->create(spec_on(dir, 10, shared_server().conninfo()));
    std::unique_ptr<Store> first = setup->open(0);
    std::unique_ptr<Store> second = setup->open(1);
    Interleave interleave([&] { second->buy({2, 2, {}}); });
    BuyResult bought = first->buy({1, 1, {}, &interleave});
    CHECK(bought.outcome == Outcome::kSold);
    CHECK(bought.ticket == 9);
    CHECK(bought.retries == 1);
    CHECK(bought.serialization_failures == 0);
    CHECK(setup->inspect().remaining == 8);
  }
  {
    // The same interleaving with nothing to stop it: both sell ticket #10,
    // and the count falls by one.
    std::unique_ptr<StoreSetup> setup =
        find_strategy("postgres-read-write")->create(spec_on(dir, 10, shared_server().conninfo()));
    std::unique_ptr<Store> first = setup->open(0);
    std::unique_ptr<Store> second = setup->open(1);
    BuyResult second_bought;
    Interleave interleave([&] { second_bought = second->buy({2, 2, {}}); });
    BuyResult first_bought = first->buy({1, 1, {}, &interleave});
    CHECK(first_bought.ticket == 10);
    CHECK(second_bought.ticket == 10);
    CHECK(first_bought.retries == 0);
    FinalState state = setup->inspect();
    CHECK(state.remaining == 9);
    CHECK(state.ledger_sales == std::optional<std::int64_t>(2));
  }
}

TEST_CASE("a server named by conninfo: the run's tables are made, then dropped; nothing else is touched") {
  TempDir dir;
  const std::string conninfo = shared_server().conninfo();
  PgConnection admin(conninfo);
  admin.run("DROP TABLE IF EXISTS keep_me; CREATE TABLE keep_me (n integer); INSERT INTO keep_me VALUES (42)");
  auto tables = [&] {
    PgResult result = admin.exec("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ticketsim\\_%'");
    REQUIRE(result.ok());
    return result.integer(0, 0);
  };
  const std::int64_t before = tables();
  for (const std::string& strategy : postgres_strategies()) {
    CAPTURE(strategy);
    StoreSpec spec = spec_on(dir, 3, conninfo);
    {
      std::unique_ptr<StoreSetup> setup = find_strategy(strategy)->create(spec);
      CHECK(tables() == before + 2);
      std::unique_ptr<Store> store = setup->open(0);
      CHECK(store->connect_time() > 0ns);
      CHECK(store->search().count == 3);
      BuyResult bought = store->buy({1, 1, {}});
      CHECK(bought.outcome == Outcome::kSold);
      CHECK(bought.ticket == 3);
      store.reset();
      FinalState state = setup->inspect();
      CHECK_FALSE(state.corrupt);
      CHECK(state.remaining == 2);
      CHECK(state.ledger_sales == std::optional<std::int64_t>(1));
      // The same run id again: its tables exist; refused, the first kept.
      CHECK_THROWS_AS(find_strategy(strategy)->create(spec), StoreError);
      CHECK(setup->inspect().remaining == 2);
    }
    CHECK(tables() == before);
    CHECK(dir.empty());
  }
  CHECK(admin.query_integer("SELECT n FROM keep_me") == 42);
  admin.run("DROP TABLE keep_me");
}

TEST_CASE("a server that cannot be reached: one ServerUnreachable from the setup, no buyer forked") {
  TempDir dir;
  SUBCASE("no server at that socket") {
    StoreSpec spec = spec_on(dir, 1, fmt::format("host={} port=5432 connect_timeout=5", dir.path.string()));
    try {
      find_strategy("postgres-atomic")->create(spec);
      FAIL("connected to nothing");
    } catch (const ServerUnreachable& e) {
      std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find('\n') == std::string::npos);
      CHECK(message.rfind("PostgreSQL: ", 0) == 0);
      CHECK(message.find(dir.path.string()) != std::string::npos);
    }
  }
  SUBCASE("a database that does not exist") {
    StoreSpec spec = spec_on(dir, 1, shared_server().conninfo() + " dbname=no_such_database");
    try {
      find_strategy("postgres-for-update")->create(spec);
      FAIL("connected to a missing database");
    } catch (const ServerUnreachable& e) {
      std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find('\n') == std::string::npos);
      CHECK(message.find("no_such_database") != std::string::npos);
    }
  }
  SUBCASE("a user the server does not know") {
    StoreSpec spec = spec_on(dir, 1, shared_server().conninfo() + " user=nobody_here");
    CHECK_THROWS_AS(find_strategy("postgres-atomic")->create(spec), ServerUnreachable);
  }
  SUBCASE("through the runner: an InputError (exit 2) before any buyer") {
    Scenario scenario = race("postgres-atomic", 4, 4);
    scenario.postgres_conninfo = fmt::format("host={} port=5432", dir.path.string());
    CHECK_THROWS_AS(run(scenario, dir), InputError);
    // No buyer was forked: none is left to reap (the shared server, a child
    // of this process, still runs).
    int status = 0;
    CHECK(waitpid(-1, &status, WNOHANG) <= 0);
  }
  CHECK(dir.empty());
}

TEST_CASE("kill -9 of the process that owns an embedded server: the server and its directory go") {
  // The test adopts the orphans (the server, the watchdog), so that it can
  // reap them and see them end.
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  TempDir parent;
  open_to_server(parent);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t owner = fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    close(fds[0]);
    try {
      PostgresServerOptions options;
      options.parent = parent.path;
      PostgresServer server(options);
      pid_t pids[2] = {server.pid(), server.watchdog_pid()};
      if (write(fds[1], pids, sizeof pids) != sizeof pids) _exit(1);
      for (;;) pause();
    } catch (...) {
      _exit(1);
    }
  }
  close(fds[1]);
  pid_t pids[2] = {0, 0};
  ssize_t got = read(fds[0], pids, sizeof pids);
  close(fds[0]);
  REQUIRE(got == static_cast<ssize_t>(sizeof pids));
  const pid_t postmaster = pids[0], watchdog = pids[1];
  REQUIRE(alive(postmaster));
  REQUIRE(alive(watchdog));
  REQUIRE_FALSE(parent.empty());

  kill(owner, SIGKILL);
  REQUIRE(waitpid(owner, nullptr, 0) == owner);
  // Both come to this process once their parent is gone; each must end.
  std::set<pid_t> ended;
  bool gone = within(30s, [&] {
    for (pid_t pid : {postmaster, watchdog}) {
      if (!ended.count(pid) && waitpid(pid, nullptr, WNOHANG) == pid) ended.insert(pid);
    }
    return ended.size() == 2;
  });
  CHECK(gone);
  CHECK_FALSE(alive(postmaster));
  CHECK_FALSE(alive(watchdog));
  CHECK(parent.empty());  // the watchdog removed the directory before it ended
  // No process of that server is left (its backends end with it).
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string status_path = entry.path() / "status";
    FILE* status = fopen(status_path.c_str(), "r");
    if (!status) continue;
    char line[256];
    while (fgets(line, sizeof line, status)) {
      if (strncmp(line, "PPid:", 5) == 0) CHECK(atoi(line + 5) != postmaster);
    }
    fclose(status);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

namespace {

// A run on a server of its own, made in `dir`; afterwards nothing of it.
Result run_own_server(Scenario scenario, const TempDir& dir) {
  open_to_server(dir);
  scenario.postgres_conninfo.clear();
  Result result = run(scenario, dir);
  CHECK(dir.empty());
  CHECK(processes_in(dir.path) == 0);
  return result;
}

Scenario shipped(const std::string& name) {
  const char* root = std::getenv("SCENARIOS");
  REQUIRE(root);
  return load_scenario(std::string(root) + "/" + name);
}

}  // namespace

TEST_CASE("crash-postgres: synchronous_commit = off loses acknowledged sales, found with a witness, every time") {
  for (int run = 0; run < 3; ++run) {
    TempDir dir;
    Result result = run_own_server(shipped("crash-postgres.toml"), dir);
    std::int64_t lost = result.check.count(Anomaly::kLostAcknowledgedSales);
    MESSAGE("crash-postgres run ", run, ": ", lost, " acknowledged sales lost of ", result.check.sold);
    CHECK(result.verdict == Verdict::kInvalid);
    CHECK(result.as_expected());
    CHECK(lost > 0);
    const std::string& example = result.check.anomalies[static_cast<int>(Anomaly::kLostAcknowledgedSales)].example;
    CAPTURE(example);
    CHECK(example.starts_with("sale of #"));
    CHECK(example.find("was lost in the server crash at +") != std::string::npos);
    // A ticket sold again after the crash lost its sale is that loss, not
    // a duplicate sale.
    CHECK(result.check.count(Anomaly::kDuplicateTickets) == 0);
    REQUIRE(result.final_state.ledger_sales);
    CHECK(*result.final_state.ledger_sales == result.check.sold - lost + result.check.resolved_sold);
  }
}

TEST_CASE("crash-postgres-durable: synchronous_commit = on keeps every acknowledged sale, every time") {
  for (int run = 0; run < 3; ++run) {
    TempDir dir;
    Result result = run_own_server(shipped("crash-postgres-durable.toml"), dir);
    CHECK(result.verdict == Verdict::kValid);
    CHECK(result.check.count(Anomaly::kLostAcknowledgedSales) == 0);
    CHECK(result.check.resolved_by_ledger);
    REQUIRE(result.faults.size() == 1);
    CHECK(result.faults[0].what.find("crash the server after 150 sales") != std::string::npos);
    // Every purchase the crash cut off is resolved by the ledger.
    CHECK(result.check.resolved_sold + result.check.resolved_unsold == result.check.indeterminate);
    CHECK(*result.final_state.ledger_sales == result.check.sold + result.check.resolved_sold);
  }
}

TEST_CASE("a server crash before a buyer's first search: the search is made again once the server is back") {
  // The crash at +50 ms; every buyer searches at +300 ms, on a connection
  // the crash closed while it was idle (libpq answers with an error of its
  // own, no SQLSTATE, and need not mark the connection bad), and the
  // server takes seconds to recover.
  TempDir dir;
  Scenario scenario = race("postgres-atomic", 2, 10);
  scenario.attempts = 2;
  scenario.delays.search = 300ms;
  scenario.lock_timeout = 20s;
  scenario.faults.push_back({.action = FaultAction::kCrash, .server = true, .at = 50ms, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.count(Anomaly::kStoreErrors) == 0);
  CHECK(result.check.sold == 4);
  CHECK(result.final_state.remaining == 6);
}

TEST_CASE("after-commit-sent: a buyer killed once its COMMIT is sent leaves an indeterminate purchase the ledger resolves") {
  // atomic pipelines the ledger's INSERT and COMMIT; for-update its UPDATE,
  // INSERT and COMMIT: the whole pipeline reached the server.
  const char* strategy = nullptr;
  SUBCASE("postgres-atomic") { strategy = "postgres-atomic"; }
  SUBCASE("postgres-for-update") { strategy = "postgres-for-update"; }
  CAPTURE(strategy);
  TempDir dir;
  Scenario scenario = race(strategy, 4, 100);
  scenario.attempts = 3;
  scenario.faults.push_back({.action = FaultAction::kKill, .point = FaultPoint::kAfterCommitSent, .attempt = 2, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.indeterminate == 1);
  CHECK(result.check.resolved_by_ledger);
  // The COMMIT reached the server before the buyer died: it committed.
  CHECK(result.check.resolved_sold == 1);
  CHECK(result.check.sold == 10);  // 3 buyers x 3, and the faulted one's first
  CHECK(result.final_state.remaining == 100 - 11);
  CHECK(*result.final_state.ledger_sales == 11);
}

namespace {

// A postgres-read-write store of 10 tickets on the shared server, one buyer,
// and a second session holding the inventory row's lock, as another
// purchase would, until release(). read-write reads without a lock: the
// buyer's pipelined UPDATE waits for the row.
struct HeldRow {
  explicit HeldRow(std::chrono::milliseconds lock_timeout)
      : spec(spec_on(dir, 10, shared_server().conninfo())), holder(shared_server().conninfo()) {
    spec.options.lock_timeout = lock_timeout;
    setup = find_strategy("postgres-read-write")->create(spec);
    buyer = setup->open(0);
    holder.run("BEGIN");
    holder.run(fmt::format("SELECT remaining FROM {} WHERE id = 1 FOR UPDATE", PostgresTables(spec.run_id).inventory));
  }
  void release() { holder.run("ROLLBACK"); }
  // The pid of the one session waiting for a lock, once it waits.
  std::int64_t waiter() {
    std::int64_t pid = 0;
    bool waits = within(10s, [&] {
      PgResult row = holder.exec(
          "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
      if (row.rows() == 1) pid = row.integer(0, 0);
      return pid != 0;
    });
    REQUIRE(waits);
    return pid;
  }

  TempDir dir;
  StoreSpec spec;
  std::unique_ptr<StoreSetup> setup;
  std::unique_ptr<Store> buyer;
  PgConnection holder;
};

}  // namespace

TEST_CASE("a lock_timeout inside the pipeline: the write waits, times out, the rest is not run; the connection sells next") {
  HeldRow row(300ms);
  BuyResult timed_out = row.buyer->buy({1, 1, {}});
  CHECK(timed_out.outcome == Outcome::kTimeout);
  CHECK(timed_out.retries == 0);
  CHECK(timed_out.serialization_failures == 0);
  CHECK(timed_out.deadlock_failures == 0);
  row.release();
  FinalState state = row.setup->inspect();
  CHECK(state.remaining == 10);
  CHECK(state.ledger_sales == std::optional<std::int64_t>(0));  // the INSERT after the UPDATE was not run
  // The connection is out of the pipeline and its transaction rolled back.
  BuyResult sold = row.buyer->buy({1, 2, {}});
  CHECK(sold.outcome == Outcome::kSold);
  CHECK(sold.ticket == 10);
  CHECK(row.setup->inspect().remaining == 9);
  CHECK(row.setup->inspect().ledger_sales == std::optional<std::int64_t>(1));
}

TEST_CASE("a connection killed inside the pipeline, before its COMMIT ran: a new connection, and the purchase tried again") {
  HeldRow row(10s);
  // The pipeline is sent and its UPDATE waits for the row: its backend is
  // terminated there, so the COMMIT after it certainly never ran.
  Interleave kill(
      [&] {
        std::int64_t backend = row.waiter();
        CHECK(row.holder.query_integer(fmt::format("SELECT pg_terminate_backend({})::int", backend)) == 1);
        row.release();
      },
      Interleave::At::kCommitSent);
  BuyResult bought = row.buyer->buy({1, 1, {}, &kill});
  CHECK(kill.calls() == 2);
  CHECK(bought.outcome == Outcome::kSold);
  CHECK(bought.ticket == 10);
  CHECK(bought.retries == 1);
  CHECK_FALSE(bought.connection_lost);
  FinalState state = row.setup->inspect();
  CHECK(state.remaining == 9);
  CHECK(state.ledger_sales == std::optional<std::int64_t>(1));
  // And the new connection sells the next one.
  CHECK(row.buyer->buy({1, 2, {}}).ticket == 9);
}

TEST_CASE("server-pause shorter than lock_timeout: the buyers wait, and the run is valid") {
  TempDir dir;
  Scenario scenario = race("postgres-for-update", 8, 1000);
  scenario.attempts = 10;
  scenario.delays.purchase = 10ms;
  scenario.lock_timeout = 10s;
  scenario.faults.push_back({.action = FaultAction::kPause, .server = true, .pause = 300ms, .at = 100ms, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 80);
  CHECK(result.check.timeouts == 0);
  REQUIRE(result.faults.size() == 1);
  CHECK(result.faults[0].what.find("pause the server at ") != std::string::npos);
  // The pause shows as waiting: the run took at least its length.
  CHECK(result.metrics.window_s >= 0.3);
}

TEST_CASE("server-pause longer than lock_timeout: the buyers waiting for the row lock time out, and the run is stuck") {
  TempDir dir;
  Scenario scenario = race("postgres-for-update", 8, 1000);
  scenario.attempts = 40;
  scenario.delays.purchase = 20ms;
  scenario.lock_timeout = 400ms;
  scenario.faults.push_back({.action = FaultAction::kPause, .server = true, .pause = 2s, .at = 150ms, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kStuck);
  CHECK(result.check.timeouts > 0);
  CHECK(result.stuck_reason.find("lock_timeout") != std::string::npos);
}

TEST_CASE("server faults are refused for a server named by conninfo, and after-commit-sent for a strategy without one") {
  Scenario scenario = race("postgres-atomic", 2, 10);
  scenario.faults.push_back({.action = FaultAction::kCrash, .server = true, .at = 100ms, .where = "x.toml:9:1: key 'faults.target'"});
  CHECK_THROWS_WITH_AS(check_runnable(scenario),
                       doctest::Contains("x.toml:9:1: key 'faults.target': a fault with target \"server\" needs the "
                                         "run's own embedded server"),
                       InputError);
  Scenario file_lock = race("file-lock", 2, 10);
  file_lock.faults.push_back({.point = FaultPoint::kAfterCommitSent, .where = "x.toml:9:1: key 'faults.point'"});
  CHECK_THROWS_WITH_AS(check_runnable(file_lock),
                       doctest::Contains("x.toml:9:1: key 'faults.point': point \"after-commit-sent\" needs a strategy "
                                         "that sends a COMMIT to a server (postgres-*, redis-*); file-lock has none"),
                       InputError);
}

TEST_CASE("pgbench runs the strategy's own purchase: one ticket and one ledger row per transaction it counts") {
  TempDir dir;
  const std::int64_t tickets = 1'000'000'000'000;
  for (const char* name : {"postgres-atomic", "postgres-for-update"}) {
    CAPTURE(name);
    StoreSpec spec{dir.path, unique_run_id(), tickets, 2, {}, {}, false};
    spec.options.postgres_conninfo = shared_server().conninfo();
    std::unique_ptr<StoreSetup> setup = find_strategy(name)->create(spec);
    std::optional<LoadToolWorkload> workload = setup->load_tool_workload();
    REQUIRE(workload);
    CHECK(workload->tool == "pgbench");
    // The script's end is the store's pipeline: the same statements, in one
    // round trip, the COMMIT last.
    std::string_view script = workload->script;
    std::size_t start = script.find("\\startpipeline\n");
    std::size_t end = script.find("\\endpipeline\n");
    REQUIRE(start != std::string::npos);
    REQUIRE(end != std::string::npos);
    std::string_view pipeline = script.substr(start, end - start);
    CHECK(pipeline.find("INSERT INTO") != std::string::npos);
    CHECK(pipeline.ends_with("COMMIT;\n"));
    // for-update's write goes with them; atomic's UPDATE is its read.
    CHECK((pipeline.find("UPDATE") != std::string::npos) == (std::string_view(name) == "postgres-for-update"));
    CHECK(script.substr(0, start).find("\\gset") != std::string::npos);
    LoadToolRun run = run_pgbench(*workload, 2, kLoadToolThreads, 1, dir.path);
    CHECK(run.transactions > 0);
    CHECK(run.failed == 0);
    CHECK(run.per_second > 0);
    FinalState state = setup->inspect();
    CHECK(state.ledger_sales == std::optional<std::int64_t>(run.transactions));
    CHECK(state.remaining == tickets - run.transactions);
  }
  // A purchase pgbench is not given: the setup says so.
  StoreSpec spec{dir.path, unique_run_id(), 10, 1, {}, {}, false};
  spec.options.postgres_conninfo = shared_server().conninfo();
  CHECK_FALSE(find_strategy("postgres-read-write")->create(spec)->load_tool_workload());
}

TEST_CASE("pgbench's output is read for its transactions, failures and tps without connection time") {
  LoadToolRun run = parse_pgbench_output(
      "transaction type: purchase.sql\nnumber of clients: 8\nnumber of transactions actually processed: 6258\n"
      "number of failed transactions: 0 (0.000%)\nlatency average = 2.5 ms\n"
      "initial connection time = 12.3 ms\ntps = 3176.777140 (without initial connection time)\n");
  CHECK(run.transactions == 6258);
  CHECK(run.failed == 0);
  CHECK(run.per_second == doctest::Approx(3176.777140));
  CHECK_THROWS_AS(parse_pgbench_output("pgbench: error: connection to server failed\n"), RunError);
}
