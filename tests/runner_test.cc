// Integration tests: real forked buyers against real stores.
#include "sim/runner.h"

#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include "tests/temp_dir.h"

#include "sim/buyer.h"
#include "sim/result.h"
#include "sim/run_directory.h"

using namespace ticketsim;
using namespace std::chrono_literals;

namespace {

// The /dev/shm entries of this process's runs: run ids begin with its pid.
std::set<std::string> shm_entries() {
  std::set<std::string> names;
  std::string mark = "ticketsim-" + std::to_string(getpid()) + "-";
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    std::string name = entry.path().filename().string();
    if (name.find(mark) != std::string::npos) names.insert(name);
  }
  return names;
}

Scenario scenario_for(std::string strategy, std::int64_t buyers, std::int64_t tickets, std::int64_t attempts) {
  Scenario scenario;
  scenario.file = "test";
  scenario.name = "test";
  scenario.strategy = std::move(strategy);
  scenario.buyers = buyers;
  scenario.tickets = tickets;
  scenario.attempts = attempts;
  return scenario;
}

// The parent has no child left: every buyer was reaped.
void require_no_children() {
  int status = 0;
  CHECK(waitpid(-1, &status, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

Result run(const Scenario& scenario, const TempDir& dir) {
  RunRecord record = run_scenario(scenario, RunOptions(dir.path));
  return make_result(record);
}

// What run_scenario did when run by the unprivileged user nobody, in a
// child process (the tests run as root, whom no file mode stops):
// "InputError: <message>", "RunError: <message>", "other: <message>" or "ran".
std::string run_as_nobody(const Scenario& scenario, const RunOptions& options) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    const uid_t nobody = 65534;
    if (setgroups(0, nullptr) != 0 || setgid(nobody) != 0 || setuid(nobody) != 0) _exit(120);
    std::string what = "ran";
    try {
      run_scenario(scenario, options);
    } catch (const InputError& e) {
      what = std::string("InputError: ") + e.what();
    } catch (const RunError& e) {
      what = std::string("RunError: ") + e.what();
    } catch (const std::exception& e) {
      what = std::string("other: ") + e.what();
    }
    _exit(write(fds[1], what.data(), what.size()) == static_cast<ssize_t>(what.size()) ? 0 : 121);
  }
  close(fds[1]);
  std::string what;
  char buffer[512];
  ssize_t got = 0;
  while ((got = read(fds[0], buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR)) {
    if (got > 0) what.append(buffer, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return what;
}

std::string bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("plain on the seed's load oversells in every run") {
  // The seed's race with a window no scheduler can close: every buyer reads
  // count=1 as soon as it is released, then waits 300ms before writing.
  Scenario scenario = scenario_for("plain", 15, 1, 1);
  scenario.delays.purchase = 300ms;
  for (int run_number = 0; run_number < 3; ++run_number) {
    TempDir dir;
    Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kInvalid);
    CHECK(result.check.sold == 15);
    CHECK(result.check.count(Anomaly::kOversold) == 14);
    CHECK(result.check.count(Anomaly::kDuplicateTickets) == 14);
    CHECK(result.check.count(Anomaly::kLostUpdates) == 14);
    CHECK(result.final_state.remaining == 0);
    const std::string& example = result.check.anomalies[static_cast<int>(Anomaly::kDuplicateTickets)].example;
    CHECK(example.find("both sold ticket #1") != std::string::npos);
    // The witnesses are real buyers of this run.
    bool names_a_buyer = false;
    for (const BuyerRow& row : result.buyers) {
      if (example.find(std::to_string(row.pid)) != std::string::npos) names_a_buyer = true;
    }
    CHECK(names_a_buyer);
    CHECK(dir.empty());
    require_no_children();
  }
}

TEST_CASE("locked strategies sell exactly the tickets there were, 32 buyers") {
  for (std::string strategy : {"named-mutex", "sqlite"}) {
    CAPTURE(strategy);
    // 32 x 150 = 4,800 attempts for 2,000 tickets: every ticket is fought over.
    Scenario scenario = scenario_for(strategy, 32, 2000, 150);
    TempDir dir;
        Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kValid);
    CHECK(result.check.sold == 2000);
    CHECK(result.final_state.remaining == 0);
    // Each purchase was a sale or a sold-out answer, and a buyer stops at its first sold-out.
    CHECK(result.check.attempts == result.check.sold + result.check.sold_out);
    CHECK(result.check.sold_out >= 1);
    CHECK(result.check.sold_out <= 32);
    std::int64_t sold_by_buyers = 0;
    for (const BuyerRow& row : result.buyers) sold_by_buyers += row.sold;
    CHECK(sold_by_buyers == 2000);
    if (strategy == "sqlite") CHECK(result.final_state.ledger_sales == 2000);
    CHECK(dir.empty());
    CHECK(shm_entries().empty());
    require_no_children();
  }
}

TEST_CASE("until-sold-out buyers empty the store") {
  Scenario scenario = scenario_for("named-mutex", 4, 100, 1);
  scenario.attempts.reset();
  TempDir dir;
  Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 100);
  CHECK(result.final_state.remaining == 0);
}

TEST_CASE("serial mode is valid even without a lock") {
  Scenario scenario = scenario_for("plain", 8, 3, 1);
  scenario.mode = Mode::kSerial;
  scenario.delays.purchase = 5ms;
  TempDir dir;
  Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 3);
  CHECK(result.check.sold_out == 5);
  // One after another: each buyer's purchase ends before the next begins.
  RunRecord record = run_scenario(scenario, RunOptions(dir.path));
  std::vector<BuyerHistory> histories = record.history->histories();
  for (std::size_t i = 1; i < histories.size(); ++i) {
    CHECK(histories[i].operations.front().start_ns > histories[i - 1].operations.back().end_ns);
  }
}

TEST_CASE("the parent keeps each buyer's pid, ppid and exit status") {
  Scenario scenario = scenario_for("sqlite", 6, 10, 2);
  TempDir dir;
  Result result = run(scenario, dir);
  REQUIRE(result.buyers.size() == 6);
  std::set<std::int32_t> pids;
  for (const BuyerRow& row : result.buyers) {
    CHECK(row.ppid == getpid());
    CHECK(row.exit_status == 0);
    CHECK(row.ended == "exited 0");
    CHECK(row.pid != getpid());
    pids.insert(row.pid);
    CHECK(kill(row.pid, 0) == -1);  // gone: reaped, not a zombie
  }
  CHECK(pids.size() == 6);
  CHECK(result.metrics.spawn_s > 0);
  CHECK(result.metrics.window_s > 0);
  require_no_children();
}

TEST_CASE("the history records every operation with its outcome") {
  Scenario scenario = scenario_for("named-mutex", 3, 4, 3);
  TempDir dir;
  RunRecord record = run_scenario(scenario, RunOptions(dir.path));
  std::int64_t sold = 0;
  for (const BuyerHistory& buyer : record.history->histories()) {
    REQUIRE(!buyer.operations.empty());
    CHECK(buyer.operations.front().kind == OperationKind::kSearch);
    for (const Operation& op : buyer.operations) {
      CHECK(op.end_ns >= op.start_ns);
      CHECK(op.start_ns >= record.start_ns);
      if (op.outcome == Outcome::kSold) {
        ++sold;
        CHECK(op.ticket == op.count_read);
      }
    }
  }
  CHECK(sold == 4);
}

TEST_CASE("a run whose history cannot fit is refused before anything starts") {
  Scenario scenario = scenario_for("plain", 1000, 10, 1'000'000'000);
  TempDir dir;
  CHECK_THROWS_AS(run_scenario(scenario, RunOptions(dir.path)), InputError);
  CHECK(dir.empty());
}

TEST_CASE("a store that cannot be made is a run error, not a crash") {
  Scenario scenario = scenario_for("sqlite", 2, 10, 1);
  CHECK_THROWS_AS(run_scenario(scenario, RunOptions("/nonexistent/ticketsim")), RunError);
  require_no_children();
}

TEST_CASE("--store on an SQLite file whose count is garbled is bad input, in one line, and changes nothing") {
  TempDir dir;
  const std::filesystem::path db = dir.path / "mine.db";
  Scenario scenario = scenario_for("sqlite", 1, 3, 1);
  run_scenario(scenario, RunOptions(dir.path, db, false));
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  CHECK(sqlite3_exec(handle, "UPDATE inventory SET remaining = 'garbled'", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(handle);
  auto bytes = [&] {
    std::ifstream in(db, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string before = bytes();

  // InputError is what the command line reports in one line with exit status 2.
  std::string message;
  try {
    run_scenario(scenario, RunOptions(dir.path, db, false));
  } catch (const InputError& e) {
    message = e.what();
  } catch (const std::exception& e) {
    const std::string other = std::string("not an InputError: ") + e.what();
    FAIL(other);
  }
  CAPTURE(message);
  CHECK(message.find("not a sqlite store (mine.db: the remaining count is not an integer: 'garbled' (text))") !=
        std::string::npos);
  CHECK(message.find("pass --reset") != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
  CHECK(bytes() == before);
  require_no_children();
}

TEST_CASE("--store on a file the user may not read or write is refused, and nothing is changed") {
  using std::filesystem::perms;
  TempDir dir;
  // Root's files, in a directory anyone may enter and write: the run's own
  // directory is made there.
  std::filesystem::permissions(dir.path, perms::all);
  const std::filesystem::path json = dir.path / "mine.json", db = dir.path / "mine.db";
  run_scenario(scenario_for("named-mutex", 1, 3, 1), RunOptions(dir.path, json, false));
  run_scenario(scenario_for("sqlite", 1, 3, 1), RunOptions(dir.path, db, false));
  REQUIRE_FALSE(std::filesystem::exists(dir.path / "mine.db-wal"));

  struct Case {
    std::string strategy;
    std::filesystem::path file;
    perms mode;
  };
  for (const Case& c : std::vector<Case>{
           {"named-mutex", json, perms::owner_read | perms::owner_write},  // 0600: no access at all
           {"named-mutex", json, perms::owner_read | perms::owner_write | perms::group_read | perms::others_read},
           {"sqlite", db, perms::owner_read | perms::owner_write},
           {"sqlite", db, perms::owner_read | perms::owner_write | perms::group_read | perms::others_read},
       }) {
    CAPTURE(c.strategy);
    CAPTURE(static_cast<int>(c.mode));
    std::filesystem::permissions(c.file, c.mode);
    const std::string before = bytes_of(c.file);
    std::string what = run_as_nobody(scenario_for(c.strategy, 1, 3, 1), RunOptions(dir.path, c.file, false));
    CAPTURE(what);
    CHECK(what == fmt::format("InputError: {}: Permission denied; nothing was changed", c.file.string()));
    CHECK(bytes_of(c.file) == before);
    CHECK_FALSE(std::filesystem::exists(c.file.string() + "-wal"));
    CHECK_FALSE(std::filesystem::exists(c.file.string() + "-shm"));
  }

  SUBCASE("a store in a directory the user may not enter") {
    TempDir closed;  // 0700, root's
    std::filesystem::permissions(closed.path, perms::owner_all);
    std::string what = run_as_nobody(scenario_for("plain", 1, 3, 1),
                                     RunOptions(dir.path, closed.path / "mine.json", false));
    CHECK(what == fmt::format("InputError: {}: Permission denied", (closed.path / "mine.json").string()));
    CHECK(closed.empty());
  }
  SUBCASE("a new store in a directory the user may not write") {
    TempDir read_only;  // 0755, root's
    std::filesystem::permissions(read_only.path, perms::owner_all | perms::group_read | perms::group_exec |
                                                     perms::others_read | perms::others_exec);
    for (const char* strategy : {"plain", "sqlite"}) {
      CAPTURE(strategy);
      const std::filesystem::path file = read_only.path / "new.store";
      std::string what = run_as_nobody(scenario_for(strategy, 1, 3, 1), RunOptions(dir.path, file, false));
      CAPTURE(what);
      CHECK(what.starts_with("RunError: " + file.string() + ": cannot create store: Permission denied"));
      CHECK(read_only.empty());
    }
  }
  // Every run directory the refused runs made is gone again.
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) left.push_back(entry.path().filename());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"mine.db", "mine.json"});
  require_no_children();
}

TEST_CASE("jitter is deterministic for a seed and stays in its bounds") {
  std::uint64_t a = 42, b = 42;
  for (int i = 0; i < 1000; ++i) {
    Duration x = jittered(100ms, 0.5, a);
    Duration y = jittered(100ms, 0.5, b);
    CHECK(x == y);
    CHECK(x >= 50ms);
    CHECK(x <= 150ms);
  }
  std::uint64_t c = 1;
  CHECK(jittered(100ms, 0, c) == 100ms);
}

namespace {

// Every strategy but PostgreSQL's: postgres_test runs those against a
// server it starts (and their faults are yet to be planned for them).
std::vector<std::string> all_strategies() {
  std::vector<std::string> names;
  for (const StrategyInfo& info : strategies()) {
    if (!info.server) names.emplace_back(info.name);
  }
  return names;
}

// Enough tickets that no buyer is told sold-out before its faulted purchase.
Scenario fault_scenario(const std::string& strategy, FaultAction action, FaultPoint point) {
  Scenario scenario = scenario_for(strategy, 6, 100, 5);
  scenario.lock_timeout = 1s;
  scenario.delays.purchase = 1ms;
  Fault fault;
  fault.action = action;
  fault.point = point;
  fault.count = 2;
  fault.attempt = 2;
  if (action == FaultAction::kPause) fault.pause = 200ms;
  scenario.faults.push_back(fault);
  return scenario;
}

std::int64_t buyers_killed(const Result& result) {
  std::int64_t killed = 0;
  for (const BuyerRow& row : result.buyers) killed += row.ended.starts_with("killed");
  return killed;
}

}  // namespace

TEST_CASE("every strategy under every fault point: killed buyers leave indeterminate purchases") {
  for (const std::string& strategy : all_strategies()) {
    for (FaultPoint point : {FaultPoint::kBeforeLock, FaultPoint::kInCriticalSection, FaultPoint::kAfterWriteBeforeAck}) {
      CAPTURE(strategy);
      CAPTURE(fault_point_name(point));
      TempDir dir;
            Result result = run(fault_scenario(strategy, FaultAction::kKill, point), dir);
      REQUIRE(result.faults.size() == 2);
      CHECK(result.check.count(Anomaly::kUnfinishedBuyers) == 0);
      bool dead_holder = strategy == "named-mutex" && point == FaultPoint::kInCriticalSection;
      if (dead_holder) {
        // The first victim died holding the mutex; the second may have timed
        // out waiting for it before reaching its own critical section.
        CHECK(result.check.indeterminate >= 1);
        // Its holder died: the named mutex stays taken.
        CHECK(result.verdict == Verdict::kStuck);
        CHECK(result.stuck_reason.find("is dead") != std::string::npos);
        bool names_a_victim = false;
        for (const PlannedFault& fault : result.faults) {
          if (result.stuck_reason.find("pid " + std::to_string(fault.pid)) != std::string::npos) names_a_victim = true;
        }
        CHECK(names_a_victim);
        CHECK(result.stuck_after_s < 1.0 + 1.0);
      } else if (find_strategy(strategy)->expected_correct()) {
        CHECK(result.check.indeterminate == 2);
        CHECK(result.verdict == Verdict::kValid);
        CHECK(buyers_killed(result) == 2);
        // The killed buyers' purchases may or may not have sold; nothing else is lost.
        CHECK(result.check.sold + result.check.indeterminate >= 100 - result.final_state.remaining);
        CHECK(result.check.sold <= 100 - result.final_state.remaining);
      } else {
        // plain's torn reads can end a purchase before its critical section,
        // and so spare a victim; each buyer killed leaves one indeterminate.
        CHECK(result.check.indeterminate == buyers_killed(result));
        CHECK(result.verdict != Verdict::kStuck);
      }
      CHECK(dir.empty());
      CHECK(shm_entries().empty());
      require_no_children();
    }
  }
}

TEST_CASE("terminate and pause faults") {
  for (const std::string& strategy : {std::string("file-lock"), std::string("sqlite"), std::string("queue")}) {
    CAPTURE(strategy);
    TempDir dir;
    Result terminated = run(fault_scenario(strategy, FaultAction::kTerminate, FaultPoint::kInCriticalSection), dir);
    CHECK(terminated.verdict == Verdict::kValid);
    CHECK(terminated.check.indeterminate == 2);
    std::int64_t by_sigterm = 0;
    for (const BuyerRow& row : terminated.buyers) by_sigterm += row.ended == "killed by SIGTERM";
    CHECK(by_sigterm == 2);

    // A paused buyer is resumed and finishes: nothing indeterminate.
    Result paused = run(fault_scenario(strategy, FaultAction::kPause, FaultPoint::kInCriticalSection), dir);
    CHECK(paused.verdict == Verdict::kValid);
    CHECK(paused.check.indeterminate == 0);
    CHECK(paused.check.sold == 30);  // 6 buyers x 5 purchases, 100 tickets
    for (const BuyerRow& row : paused.buyers) CHECK(row.ended == "exited 0");
    CHECK(paused.metrics.buy.max >= 0.2);  // the paused purchase waited its pause out
    require_no_children();
  }
}

TEST_CASE("the queue's seller killed: the run is stuck and names the dead seller") {
  Scenario scenario = scenario_for("queue", 4, 100, 10);
  scenario.lock_timeout = 500ms;
  Fault fault;
  fault.seller = true;
  fault.action = FaultAction::kKill;
  fault.attempt = 5;
  scenario.faults.push_back(fault);
  TempDir dir;
    Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kStuck);
  CHECK(result.stuck_reason.find("seller (pid " + std::to_string(result.seller_pid) + ") is dead") != std::string::npos);
  CHECK(result.seller_ended == "killed by SIGKILL");
  // The fifth sale was persisted before the seller died, unacknowledged.
  CHECK(result.check.sold == 4);
  CHECK(result.final_state.remaining == 95);
  CHECK(result.check.count(Anomaly::kUnacknowledgedSales) == 0);
  CHECK(shm_entries().empty());
  require_no_children();
}

TEST_CASE("a seller fault needs a strategy with a seller") {
  Scenario scenario = scenario_for("sqlite", 2, 10, 1);
  Fault fault;
  fault.seller = true;
  scenario.faults.push_back(fault);
  TempDir dir;
  CHECK_THROWS_AS(run_scenario(scenario, RunOptions(dir.path)), InputError);
  CHECK(dir.empty());
}

TEST_CASE("the monitor samples the inventory and ends with the run") {
  for (const std::string& strategy : {std::string("file-lock"), std::string("queue")}) {
    CAPTURE(strategy);
    Scenario scenario = scenario_for(strategy, 4, 200, 50);
    scenario.delays.purchase = 200us;
    scenario.monitor_interval = 1ms;
    TempDir dir;
    Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kValid);
    REQUIRE(result.inventory.size() >= 2);
    for (std::size_t i = 1; i < result.inventory.size(); ++i) {
      CHECK(result.inventory[i].count <= result.inventory[i - 1].count);  // a correct store only goes down
      CHECK(result.inventory[i].at_s >= result.inventory[i - 1].at_s);
    }
    CHECK(result.inventory.front().count <= 200);
    CHECK(result.inventory.back().count >= 0);
    require_no_children();
  }
}

TEST_CASE("sqlite options: journal_mode delete and synchronous full stay valid") {
  for (const std::string& strategy : {std::string("sqlite"), std::string("sqlite-deferred")}) {
    CAPTURE(strategy);
    Scenario scenario = scenario_for(strategy, 8, 100, 20);
    scenario.journal_mode = "delete";
    scenario.synchronous = "full";
    TempDir dir;
    Result result = run(scenario, dir);
    CHECK(result.verdict == Verdict::kValid);
    CHECK(result.check.sold == 100);
    CHECK(result.final_state.ledger_sales == 100);
  }
}

TEST_CASE("sqlite-deferred retries the lock upgrade it loses") {
  // Every buyer reads, then waits inside its transaction: all but one lose the upgrade.
  Scenario scenario = scenario_for("sqlite-deferred", 4, 10, 1);
  scenario.delays.purchase = 50ms;
  TempDir dir;
  Result result = run(scenario, dir);
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.check.sold == 4);
  CHECK(result.check.retries >= 3);
}

TEST_CASE("a full filesystem makes failed purchases, counted, not a crash") {
  // A tmpfs with room for its root, the run directory and the store's one
  // file and no more: every write by rename needs a new file and gets ENOSPC.
  TempDir mount_point;
  if (mount("ticketsim-test", mount_point.path.c_str(), "tmpfs", 0, "nr_inodes=3,size=1m") != 0) {
    MESSAGE("cannot mount a tmpfs here (needs root): skipped");
    return;
  }
  struct Unmount {
    const char* path;
    ~Unmount() { umount2(path, MNT_DETACH); }
  } unmount{mount_point.path.c_str()};
  Scenario scenario = scenario_for("plain", 2, 10, 3);
  scenario.plain_rename = true;
  Result result = make_result(run_scenario(scenario, RunOptions(mount_point.path)));
  CHECK(result.verdict == Verdict::kInvalid);
  CHECK(result.check.count(Anomaly::kStoreErrors) == 6);
  CHECK(result.check.sold == 0);
  CHECK(result.final_state.remaining == 10);
  for (const BuyerRow& row : result.buyers) CHECK(row.ended == "exited 0");
  require_no_children();
}

TEST_CASE("filesystem_type: /proc is proc; a missing path is unknown") {
  CHECK(filesystem_type("/proc") == "proc");
  CHECK(filesystem_type("/no/such/path/ticketsim") == "unknown");
  TempDir dir;
  std::string type = filesystem_type(dir.path);
  CHECK_FALSE(type.empty());
  CHECK(type != "unknown");
  // Benchmarks go to /dev/shm only when it is tmpfs.
  std::filesystem::path fastest = RunDirectory::fastest_parent();
  CHECK((fastest == "/dev/shm") == (filesystem_type("/dev/shm") == "tmpfs"));
}

TEST_CASE("a planned fault the buyer never reached is reported as planned, not carried out") {
  // One buyer, one ticket, three purchases: the first sells, the second is
  // told sold-out and the buyer stops, so a fault at purchase 3 never happens.
  Scenario scenario = scenario_for("plain", 1, 1, 3);
  scenario.faults.push_back(Fault{.action = FaultAction::kKill, .point = FaultPoint::kBeforeLock, .count = 1, .attempt = 3, .where = {}});
  Result result = make_result(run_scenario(scenario, RunOptions()));
  REQUIRE(result.faults.size() == 1);
  CHECK_FALSE(result.faults[0].carried_out);
  CHECK(result.buyers[0].ended == "exited 0");
  // The same fault at purchase 1 is carried out.
  scenario.faults[0].attempt = 1;
  Result struck = make_result(run_scenario(scenario, RunOptions()));
  REQUIRE(struck.faults.size() == 1);
  CHECK(struck.faults[0].carried_out);
  CHECK(struck.buyers[0].ended == "killed by SIGKILL");
  require_no_children();
}

TEST_CASE("a fault beyond the purchases a buyer can make is refused before anything runs") {
  Scenario scenario = scenario_for("file-lock", 4, 10, 10);
  scenario.faults.push_back(Fault{.action = FaultAction::kKill, .point = FaultPoint::kInCriticalSection, .count = 2, .attempt = 50, .where = {}});
  CHECK_THROWS_WITH_AS(check_runnable(scenario),
                       "test: a fault at purchase 50 cannot happen: each buyer makes at most 10 purchases (attempts = 10)",
                       InputError);
  scenario.attempts.reset();  // until sold out: at most tickets + 1
  CHECK_THROWS_WITH_AS(check_runnable(scenario),
                       "test: a fault at purchase 50 cannot happen: each buyer makes at most 11 purchases (until sold "
                       "out, 10 tickets + 1)",
                       InputError);
  scenario.faults[0].attempt = 11;
  CHECK_NOTHROW(check_runnable(scenario));
}

TEST_CASE("the queue's seller, stopped at the end of a normal run, reads as stopped, not killed") {
  Result result = make_result(run_scenario(scenario_for("queue", 2, 10, 3), RunOptions()));
  CHECK(result.verdict == Verdict::kValid);
  CHECK(result.seller_pid > 0);
  CHECK(result.seller_ended == "stopped at the end of the run");
  require_no_children();
}
