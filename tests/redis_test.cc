// The Redis stores against real redis-servers the tests start: the embedded
// one starts on its socket only and leaves nothing behind (not even after a
// SIGKILL of its owner, a Ctrl-C or a stuck run), each strategy gives its
// verdict with exact sales under a race, redis-decr's negative counts are
// found, retries are counted, a server named by URL keeps nothing of the
// run, one that cannot be used is refused before any buyer, and a crash
// loses acknowledged sales without the append-only file and none with it.
// No skipping: a machine where redis-server cannot start fails these tests.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/server_test_helpers.h"
#include "tests/temp_dir.h"

#include "bench/redis_benchmark.h"
#include "sim/errors.h"
#include "sim/result.h"
#include "sim/runner.h"
#include "storage/redis_connection.h"
#include "storage/redis_server.h"
#include "storage/redis_store.h"
#include "storage/store.h"

using namespace ticketsim;
using namespace std::chrono_literals;

namespace {

// One server for the tests that only need a server: each run still gets
// keys of its own. Started once, stopped when the test program ends.
std::shared_ptr<RedisServer> shared_server() {
  static auto server = std::make_shared<RedisServer>(RedisServerOptions{});
  return server;
}

std::string unique_run_id() {
  static int next = 0;
  return fmt::format("redistest-{}-{}", getpid(), next++);
}

Scenario race(std::string strategy, std::int64_t buyers, std::int64_t tickets) {
  Scenario scenario;
  scenario.file = "test";
  scenario.name = "test";
  scenario.strategy = std::move(strategy);
  scenario.buyers = buyers;
  scenario.tickets = tickets;
  scenario.attempts = std::nullopt;  // until sold-out
  scenario.redis_max_tries = 1000;
  return scenario;
}

// A run on the shared server.
Result run(const Scenario& scenario, const TempDir& dir) {
  RunOptions options(dir.path);
  options.redis_server = shared_server();
  return make_result(run_scenario(scenario, options));
}

// A run on a server of its own, made in `dir`; afterwards nothing of it.
Result run_own_server(const Scenario& scenario, const TempDir& dir) {
  Result result = make_result(run_scenario(scenario, RunOptions(dir.path)));
  CHECK(dir.empty());
  CHECK(processes_in(dir.path) == 0);
  return result;
}

Scenario shipped(const std::string& name) {
  const char* root = std::getenv("SCENARIOS");
  REQUIRE(root);
  return load_scenario(std::string(root) + "/" + name);
}

StoreSpec spec_on(const TempDir& dir, std::int64_t tickets) {
  StoreSpec spec{dir.path, unique_run_id(), tickets, /*buyers=*/2, {}, {}, false};
  spec.options.redis_server = shared_server();
  return spec;
}

}  // namespace

TEST_CASE("the embedded server starts, listens only on its socket, and is gone afterwards") {
  TempDir parent;
  RedisServerOptions options;
  options.parent = parent.path;
  pid_t server_pid = 0, watchdog = 0;
  std::filesystem::path directory;
  {
    RedisServer server(options);
    server_pid = server.pid();
    watchdog = server.watchdog_pid();
    directory = server.directory();
    MESSAGE(fmt::format("embedded redis-server started in {} ms",
                        std::chrono::duration_cast<std::chrono::milliseconds>(server.start_time()).count()));
    CHECK(directory.parent_path() == parent.path);
    CHECK(alive(server_pid));
    CHECK(alive(watchdog));
    CHECK(std::filesystem::exists(directory / "redis.sock"));
    RedisConnection connection(server.address(), 5s);
    CHECK(connection.run({"CONFIG", "GET", "port"}).element(1) == "0");
    CHECK(connection.run({"CONFIG", "GET", "save"}).element(1).empty());
    CHECK(connection.run({"CONFIG", "GET", "appendonly"}).element(1) == "no");
  }
  CHECK_FALSE(alive(server_pid));
  CHECK_FALSE(alive(watchdog));
  CHECK_FALSE(std::filesystem::exists(directory));
  CHECK(parent.empty());
}

TEST_CASE("kill -9 of the process that owns an embedded server: the server and its directory go") {
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  TempDir parent;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t owner = fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    close(fds[0]);
    try {
      RedisServerOptions options;
      options.parent = parent.path;
      RedisServer server(options);
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
  const pid_t server = pids[0], watchdog = pids[1];
  REQUIRE(alive(server));
  REQUIRE_FALSE(parent.empty());

  kill(owner, SIGKILL);
  REQUIRE(waitpid(owner, nullptr, 0) == owner);
  std::set<pid_t> ended;
  CHECK(within(20s, [&] {
    for (pid_t pid : {server, watchdog}) {
      if (!ended.count(pid) && waitpid(pid, nullptr, WNOHANG) == pid) ended.insert(pid);
    }
    return ended.size() == 2;
  }));
  CHECK_FALSE(alive(server));
  CHECK(parent.empty());
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("redis-lua and redis-watch sell exactly the tickets with 8 buyers racing; watch counts its retries") {
  for (std::string strategy : {"redis-lua", "redis-watch"}) {
    CAPTURE(strategy);
    TempDir dir;
    Scenario scenario = race(strategy, 8, 60);
    scenario.delays.purchase = 3ms;  // a window for the race to use
    Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kValid);
    CHECK(result.check.sold == 60);
    CHECK(result.check.indeterminate == 0);
    CHECK(result.final_state.remaining == 0);
    REQUIRE(result.final_state.ledger_sales.has_value());
    CHECK(*result.final_state.ledger_sales == 60);
    // Eight buyers each holding a WATCH across 3ms: the EXECs collide.
    if (strategy == "redis-watch") CHECK(result.check.retries > 0);
    CHECK(dir.empty());
  }
}

TEST_CASE("redis-get-set oversells every time: every buyer reads 1 before any writes") {
  TempDir dir;
  Scenario scenario = race("redis-get-set", 8, 1);
  scenario.attempts = 1;
  scenario.delays.purchase = 300ms;
  Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kInvalid);
  CHECK(result.check.sold == 8);
  CHECK(result.check.count(Anomaly::kOversold) == 7);
  CHECK(result.check.count(Anomaly::kLostUpdates) == 7);
  CHECK(result.check.count(Anomaly::kDuplicateTickets) == 7);
  CHECK(result.final_state.remaining == 0);
}

TEST_CASE("redis-decr never oversells, and a race on many tickets sells them exactly") {
  TempDir dir;
  Scenario scenario = race("redis-decr", 8, 60);
  scenario.delays.purchase = 1ms;
  Result result = run(scenario, dir);
  CHECK(result.check.sold == 60);
  CHECK(result.check.count(Anomaly::kOversold) == 0);
  CHECK(result.check.count(Anomaly::kLostUpdates) == 0);
  CHECK(result.final_state.remaining == 0);
}

TEST_CASE("redis-decr: searches made while losers hold the count below zero read it negative, with a witness") {
  // One ticket, 16 buyers. Each searches at a time spread over 0..600ms
  // (jitter 1.0), then buys; a losing DECR holds the count below zero for
  // the whole 800ms purchase delay before its INCR. The second buyer to buy
  // does so within the first 100ms; some search comes after it.
  TempDir dir;
  Scenario scenario = race("redis-decr", 16, 1);
  scenario.attempts = 1;
  scenario.delays.search = 300ms;
  scenario.delays.jitter = 1.0;
  scenario.delays.purchase = 800ms;
  Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kInvalid);
  CHECK(result.check.sold == 1);
  CHECK(result.check.count(Anomaly::kOversold) == 0);
  CHECK(result.check.count(Anomaly::kOutOfRange) > 0);
  const std::string& example = result.check.anomalies[static_cast<int>(Anomaly::kOutOfRange)].example;
  CAPTURE(example);
  CHECK(example.find("read count=-") != std::string::npos);
  CHECK(example.find("outside 0..1") != std::string::npos);
  CHECK(result.final_state.remaining == 0);  // every INCR put its DECR back
}

TEST_CASE("redis-watch: a purchase whose EXEC aborts is tried again; max_tries = 1 ends it") {
  TempDir dir;
  std::unique_ptr<StoreSetup> setup = find_strategy("redis-watch")->create(spec_on(dir, 10));
  std::unique_ptr<Store> first = setup->open(0);
  std::unique_ptr<Store> second = setup->open(1);
  BuyResult second_bought;
  Interleave interleave([&] { second_bought = second->buy({2, 2, {}}); });
  BuyResult first_bought = first->buy({1, 1, {}, &interleave});
  CHECK(second_bought.outcome == Outcome::kSold);
  CHECK(second_bought.ticket == 10);
  CHECK(first_bought.outcome == Outcome::kSold);
  CHECK(first_bought.ticket == 9);  // read again on the second try
  CHECK(first_bought.retries == 1);
  CHECK(interleave.calls() == 2);
  FinalState state = setup->inspect();
  CHECK(state.remaining == 8);
  REQUIRE(state.ledger);
  CHECK(state.ledger->size() == 2);

  StoreSpec once = spec_on(dir, 10);
  once.options.redis_max_tries = 1;
  std::unique_ptr<StoreSetup> strict = find_strategy("redis-watch")->create(once);
  std::unique_ptr<Store> a = strict->open(0);
  std::unique_ptr<Store> b = strict->open(1);
  Interleave cut_in([&] { b->buy({2, 2, {}}); });
  BuyResult failed = a->buy({1, 1, {}, &cut_in});
  CHECK(failed.outcome == Outcome::kError);
  CHECK(failed.tries_exhausted);
  CHECK(strict->inspect().remaining == 9);
}

TEST_CASE("a server named by URL: the run's keys are made, then deleted; nothing else is touched") {
  // The "external" server: one this test starts, named to the stores by URL.
  TempDir server_dir;
  RedisServerOptions options;
  options.parent = server_dir.path;
  RedisServer external(options);
  const std::string url = external.address().url();
  RedisConnection admin(external.address(), 5s);
  admin.run({"SET", "keep_me", "42"});
  for (const StrategyInfo& info : strategies()) {
    if (!info.server || info.server_kind != ServerKind::kRedis) continue;
    CAPTURE(info.name);
    TempDir dir;
    StoreSpec spec{dir.path, unique_run_id(), 3, 1, {}, {}, false};
    spec.options.redis_url = url;
    {
      std::unique_ptr<StoreSetup> setup = info.create(spec);
      CHECK(admin.run({"DBSIZE"}).value() >= 2);
      std::unique_ptr<Store> store = setup->open(0);
      CHECK(store->connect_time() > 0ns);
      CHECK(store->search().count == 3);
      BuyResult bought = store->buy({1, 1, {}});
      CHECK(bought.outcome == Outcome::kSold);
      CHECK(bought.ticket == 3);
      CHECK(setup->inspect().remaining == 2);
      // The same run id again: its keys exist; refused, the first kept.
      CHECK_THROWS_AS(info.create(spec), StoreError);
      CHECK(setup->inspect().remaining == 2);
    }
    CHECK(admin.run({"DBSIZE"}).value() == 1);  // only keep_me
    CHECK(dir.empty());
  }
  CHECK(admin.run({"GET", "keep_me"}).text() == "42");

  SUBCASE("through the runner, by [redis] url") {
    TempDir dir;
    Scenario scenario = race("redis-lua", 4, 20);
    scenario.redis_url = url;
    Result result = make_result(run_scenario(scenario, RunOptions(dir.path)));
    CHECK(result.verdict == Verdict::kValid);
    CHECK(result.check.sold == 20);
    CHECK(admin.run({"DBSIZE"}).value() == 1);
    CHECK(dir.empty());
  }
}

TEST_CASE("a server that cannot be used: one ServerUnreachable, on one line, and no buyer forked") {
  TempDir dir;
  SUBCASE("no server at that socket") {
    StoreSpec spec{dir.path, unique_run_id(), 1, 1, {}, {}, false};
    spec.options.redis_url = "unix://" + (dir.path / "none.sock").string();
    try {
      find_strategy("redis-lua")->create(spec);
      FAIL("connected to nothing");
    } catch (const ServerUnreachable& e) {
      std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find('\n') == std::string::npos);
      CHECK(message.rfind("Redis: cannot use the server --redis or [redis] url names: ", 0) == 0);
      CHECK(message.find("none.sock") != std::string::npos);
    }
  }
  SUBCASE("a server that wants a password") {
    RedisConnection admin(shared_server()->address(), 5s);
    admin.run({"CONFIG", "SET", "requirepass", "sesame"});
    StoreSpec spec{dir.path, unique_run_id(), 1, 1, {}, {}, false};
    spec.options.redis_url = shared_server()->address().url();
    try {
      find_strategy("redis-decr")->create(spec);
      FAIL("used a server that wants a password without one");
    } catch (const ServerUnreachable& e) {
      CHECK(std::string(e.what()).find("NOAUTH") != std::string::npos);
    }
    admin.run({"CONFIG", "SET", "requirepass", ""});
  }
  SUBCASE("through the runner: an InputError (exit 2) before any buyer") {
    Scenario scenario = race("redis-watch", 4, 4);
    scenario.redis_url = "redis://127.0.0.1:1/0";
    CHECK_THROWS_AS(make_result(run_scenario(scenario, RunOptions(dir.path))), InputError);
    int status = 0;
    CHECK(waitpid(-1, &status, WNOHANG) <= 0);
  }
  CHECK(dir.empty());
}

TEST_CASE("URLs: the forms ticketsim takes, and the ones it refuses") {
  std::string why;
  std::optional<RedisAddress> tcp = parse_redis_url("redis://127.0.0.1:6380/2", &why);
  REQUIRE(tcp);
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == 6380);
  CHECK(tcp->db == 2);
  std::optional<RedisAddress> unix_socket = parse_redis_url("unix:///run/redis/redis.sock?db=3", &why);
  REQUIRE(unix_socket);
  CHECK(unix_socket->socket == "/run/redis/redis.sock");
  CHECK(unix_socket->db == 3);
  CHECK(parse_redis_url("redis://:secret@localhost/0", &why)->password == "secret");
  CHECK_FALSE(parse_redis_url("redis://10.0.0.1:6379/0", &why));
  CHECK(why.find("127.0.0.0/8") != std::string::npos);
  CHECK_FALSE(parse_redis_url("http://127.0.0.1", &why));
  CHECK_FALSE(parse_redis_url("redis://127.0.0.1:99999/0", &why));
  CHECK_FALSE(parse_redis_url("unix://relative.sock", &why));
}

TEST_CASE("the embedded server of a run: the seed's load on redis-lua sells one ticket and leaves nothing") {
  TempDir dir;
  Scenario scenario = race("redis-lua", 15, 1);
  scenario.attempts = 1;
  scenario.delays.purchase = 20ms;
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 1);
  CHECK(result.check.sold_out == 14);
}

TEST_CASE("after-commit-sent: a buyer killed once its EVALSHA is sent leaves an indeterminate purchase the ledger resolves") {
  TempDir dir;
  Scenario scenario = race("redis-lua", 4, 100);
  scenario.attempts = 3;
  scenario.faults.push_back({.action = FaultAction::kKill, .point = FaultPoint::kAfterCommitSent, .attempt = 2, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.indeterminate == 1);
  CHECK(result.check.resolved_by_ledger);
  // The script reached the server before the buyer died: it ran.
  CHECK(result.check.resolved_sold == 1);
  CHECK(result.check.sold == 10);  // 3 buyers x 3, and the faulted one's first
  CHECK(result.final_state.remaining == 100 - 11);
  CHECK(*result.final_state.ledger_sales == 11);
}

TEST_CASE("server-pause longer than lock_timeout: the run is stuck, and nothing is left") {
  TempDir dir;
  Scenario scenario = race("redis-lua", 8, 1000);
  scenario.attempts = 40;
  scenario.delays.purchase = 20ms;
  scenario.lock_timeout = 400ms;
  scenario.faults.push_back({.action = FaultAction::kPause, .server = true, .pause = 2s, .at = 150ms, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kStuck);
  CHECK(result.check.timeouts > 0);
}

TEST_CASE("server-pause shorter than lock_timeout: the buyers wait, and the run is valid") {
  TempDir dir;
  Scenario scenario = race("redis-watch", 8, 1000);
  scenario.attempts = 10;
  scenario.delays.purchase = 10ms;
  scenario.lock_timeout = 10s;
  scenario.faults.push_back({.action = FaultAction::kPause, .server = true, .pause = 300ms, .at = 100ms, .where = {}});
  Result result = run_own_server(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 80);
  CHECK(result.metrics.window_s >= 0.3);
}

TEST_CASE("Ctrl-C of ticketsim mid-run: the embedded server and its directory go") {
  const char* ticketsim = std::getenv("TICKETSIM");
  REQUIRE(ticketsim);
  TempDir dir;
  std::string scenario = dir.file("long.toml", "strategy = \"redis-lua\"\ntickets = 8\nbuyers = 8\n"
                                               "[delays]\npurchase = \"2s\"\n");
  std::filesystem::path runs = dir.path / "runs";
  std::filesystem::create_directory(runs);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(ticketsim, ticketsim, "run", scenario.c_str(), "--store-dir", runs.c_str(), nullptr);
    _exit(127);
  }
  // Until its server runs, then a little more. ticketsim's own command line
  // names `runs` too: wait for a second process (the server or its
  // watchdog), made once the runner has taken over SIGINT. A SIGINT before
  // that, while an ASan build is still starting, ends it by default.
  CHECK(within(10s, [&] { return processes_in(runs) > 1 && !std::filesystem::is_empty(runs); }));
  std::this_thread::sleep_for(300ms);
  REQUIRE(kill(pid, SIGINT) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(within(5s, [&] { return processes_in(runs) == 0; }));
  CHECK(std::filesystem::is_empty(runs));
}

TEST_CASE("crash-redis: appendonly = no loses acknowledged sales, found with a witness") {
  TempDir dir;
  Result result = run_own_server(shipped("crash-redis.toml"), dir);
  std::int64_t lost = result.check.count(Anomaly::kLostAcknowledgedSales);
  MESSAGE("crash-redis: ", lost, " acknowledged sales lost of ", result.check.sold);
  CHECK(result.verdict == Verdict::kInvalid);
  CHECK(result.as_expected());
  CHECK(lost >= 150);  // every sale since the keys' snapshot
  const std::string& example = result.check.anomalies[static_cast<int>(Anomaly::kLostAcknowledgedSales)].example;
  CAPTURE(example);
  CHECK(example.starts_with("sale of #"));
  CHECK(example.find("was lost in the server crash at +") != std::string::npos);
}

TEST_CASE("crash-redis-durable: appendonly = yes keeps every acknowledged sale") {
  TempDir dir;
  Result result = run_own_server(shipped("crash-redis-durable.toml"), dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.as_expected());
  CHECK(result.check.count(Anomaly::kLostAcknowledgedSales) == 0);
  CHECK(result.check.resolved_by_ledger);
  CHECK(result.check.resolved_sold + result.check.resolved_unsold == result.check.indeterminate);
  REQUIRE(result.final_state.ledger_sales);
  CHECK(*result.final_state.ledger_sales == result.check.sold + result.check.resolved_sold);
}

TEST_CASE("redis-benchmark runs the strategy's own command: the count falls by every request it says it ran") {
  TempDir dir;
  const std::int64_t tickets = 1'000'000'000'000;
  for (const char* name : {"redis-lua", "redis-decr"}) {
    CAPTURE(name);
    std::unique_ptr<StoreSetup> setup = find_strategy(name)->create(spec_on(dir, tickets));
    std::optional<LoadToolWorkload> workload = setup->load_tool_workload();
    REQUIRE(workload);
    CHECK(workload->tool == "redis-benchmark");
    LoadToolRun run = run_redis_benchmark(*workload, 2, kLoadToolThreads, 1, dir.path);
    CHECK(run.transactions > 0);
    CHECK(run.per_second > 0);
    FinalState state = setup->inspect();
    CHECK(state.remaining == tickets - run.transactions);
    if (std::string(name) == "redis-lua") CHECK(state.ledger_sales == std::optional<std::int64_t>(run.transactions));
  }
  // A purchase redis-benchmark is not given: the setup says so.
  CHECK_FALSE(find_strategy("redis-watch")->create(spec_on(dir, 10))->load_tool_workload());
}

TEST_CASE("redis-benchmark's --csv output is read for its requests per second") {
  CHECK(parse_redis_benchmark_output(
            "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\"\n\"DECR k\",\"7936.51\",\"0.098\",\"0.016\"\n") ==
        doctest::Approx(7936.51));
  CHECK_THROWS_AS(parse_redis_benchmark_output("Could not connect to Redis at /x.sock: No such file or directory\n"),
                  RunError);
}
