#include "sim/runner.h"

#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "sim/buyer.h"
#include "sim/children.h"
#include "sim/process_limits.h"
#include "sim/run_directory.h"
#include "storage/words.h"

namespace ticketsim {

std::string new_run_id() {
  std::uint32_t random = 0;
  if (getrandom(&random, sizeof random, 0) != sizeof random) random = static_cast<std::uint32_t>(monotonic_ns());
  return fmt::format("{}-{:08x}", getpid(), random);
}

namespace {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) bytes /= 1024, ++unit;
  return fmt::format("{:.1f} {}", bytes, units[unit]);
}

// Refuses, before anything is made, a run whose history could not fit.
void check_history_fits(const Scenario& scenario, std::int64_t capacity) {
  std::size_t bytes = SharedHistory::bytes_needed(scenario.buyers, capacity);
  struct sysinfo info {};
  sysinfo(&info);
  double memory = static_cast<double>(info.totalram) * info.mem_unit;
  if (bytes == 0 || static_cast<double>(bytes) > memory / 2) {
    throw InputError(fmt::format(
        "{}: {} buyers x {} operations need {} of history, more than half this machine's {} of memory",
        scenario.file, scenario.buyers, capacity,
        bytes == 0 ? std::string("more than the address space") : human_bytes(static_cast<double>(bytes)),
        human_bytes(memory)));
  }
}

// Chooses, from the seed, which buyers each fault hits; a buyer takes at
// most one fault.
std::vector<std::optional<BuyerFault>> plan_buyer_faults(const Scenario& scenario) {
  std::vector<std::optional<BuyerFault>> plan(static_cast<std::size_t>(scenario.buyers));
  std::vector<std::int64_t> order(plan.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
  std::uint64_t random = scenario.seed ^ 0x6661756c74ULL;  // "fault"
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[splitmix64(random) % i]);
  std::size_t next = 0;
  for (const Fault& fault : scenario.faults) {
    if (fault.seller || fault.server) continue;
    for (std::int64_t n = 0; n < fault.count; ++n) {
      if (next == order.size()) {
        throw InputError(fmt::format("{}: faults hit more buyers than the {} there are", scenario.file,
                                     scenario.buyers));
      }
      plan[order[next++]] = BuyerFault{fault.action, fault.point, fault.attempt, fault.pause};
    }
  }
  return plan;
}

}  // namespace

StoreOptions store_options(const Scenario& scenario) {
  StoreOptions options;
  options.lock_timeout = scenario.lock_timeout;
  options.plain_write = scenario.plain_rename ? JsonWrite::kRename : JsonWrite::kTruncate;
  options.sqlite_journal_mode = scenario.journal_mode;
  options.sqlite_synchronous = scenario.synchronous;
  options.postgres_conninfo = scenario.postgres_conninfo;
  options.postgres_isolation = scenario.postgres_isolation;
  options.postgres_max_tries = scenario.postgres_max_tries;
  options.postgres_synchronous_commit = scenario.postgres_synchronous_commit;
  options.postgres_fsync = scenario.postgres_fsync;
  options.postgres_full_page_writes = scenario.postgres_full_page_writes;
  options.redis_url = scenario.redis_url;
  options.redis_appendonly = scenario.redis_appendonly;
  options.redis_appendfsync = scenario.redis_appendfsync;
  options.redis_max_tries = scenario.redis_max_tries;
  for (const Fault& fault : scenario.faults) {
    if (fault.seller) options.kill_seller_after_sales = fault.attempt;
    if (fault.server && fault.action == FaultAction::kCrash) options.postgres_crash_tuning = true;
  }
  return options;
}

namespace {

// The parent's side of a run in progress: forks, waits, reaps, resumes
// paused buyers, and notices a stuck run or a signal from the user.
class Run {
 public:
  Run(const Scenario& scenario, const RunOptions& options, StoreSetup& setup, RunRecord& record,
      const BlockedSignals& signals)
      : scenario_(scenario), options_(options), setup_(setup), record_(record), history_(*record.history),
        signals_(signals),
        children_(signals), faults_(plan_buyer_faults(scenario)),
        pids_(static_cast<std::size_t>(scenario.buyers), 0),
        statuses_(static_cast<std::size_t>(scenario.buyers), -1),
        sales_read_(static_cast<std::size_t>(scenario.buyers), 0) {
    buyer_index_.reserve(static_cast<std::size_t>(scenario.buyers));
    for (const Fault& fault : scenario.faults) {
      if (fault.server) server_faults_.push_back({&fault, false});
    }
  }

  // A server left paused by a run that ends in any way (an exception, a
  // Ctrl-C) is resumed.
  ~Run() {
    if (server_paused_) setup_.resume_server();
  }

  void execute() {
    if (find_strategy(scenario_.strategy)->has_seller) {
      record_.seller_pid = spawn_or_fail("the seller", "ts-seller", [&] {
        setup_.serve();
        _exit(0);
      });
    }
    if (scenario_.monitor_interval.count() > 0) {
      monitor_pid_ = spawn_or_fail("the monitor", "ts-monitor", [&] { run_monitor(scenario_, setup_, history_); });
    }
    if (scenario_.mode == Mode::kConcurrent) {
      run_concurrent();
    } else {
      run_serial();
    }
    finish();
  }

 private:
  template <typename Body>
  pid_t spawn_or_fail(std::string_view what, const char* name, Body body) {
    pid_t pid = children_.spawn(name, -1, body);
    if (pid < 0) throw RunError(fmt::format("fork failed for {}: {}", what, std::strerror(errno)));
    return pid;
  }

  void spawn_buyer(std::int64_t index) {
    history_.slot(index).forked_ns = monotonic_ns();
    const BuyerFault* fault = faults_[index] ? &*faults_[index] : nullptr;
    pid_t pid = children_.spawn("ts-buyer", static_cast<long>(index), [&] {
      run_buyer(index, scenario_, setup_, history_, fault, options_.first_buyer);
    });
    if (pid < 0) {
      throw RunError(fmt::format("fork failed after {} of {} buyers were started: {}", index, scenario_.buyers,
                                 std::strerror(errno)));
    }
    pids_[index] = pid;
    buyer_index_[pid] = index;
    if (fault) {
      std::string what = fmt::format("{} {} at purchase {}", fault_action_name(fault->action),
                                     fault_point_name(fault->point), fault->attempt);
      if (fault->action == FaultAction::kPause) what += fmt::format(" for {}", format_duration(fault->pause));
      fault_buyers_.push_back({record_.faults.size(), index});
      record_.faults.push_back({pid, what, false});
    }
  }

  bool ended() const { return record_.stuck || !record_.interrupted_by.empty(); }

  // Waits until `count` buyers stand at the barrier. A buyer that ends
  // before it gets there stops the run.
  void await_arrivals(std::uint32_t count) {
    while (!ended() && history_.wait_for_arrivals(count, 10) < count) {
      handle_events(0);
      for (std::int64_t i = 0; i < scenario_.buyers; ++i) {
        if (pids_[i] == 0 || statuses_[i] == -1 || history_.slot(i).ready_ns != 0) continue;
        std::string why = history_.slot(i).error[0] ? history_.slot(i).error : describe_wait_status(statuses_[i]);
        throw RunError(fmt::format("buyer {} ended before the start: {}", pids_[i], why));
      }
    }
  }

  void release(std::int64_t first, std::int64_t count) {
    std::int64_t now = monotonic_ns();
    if (record_.start_ns == 0) record_.start_ns = now;
    for (std::int64_t i = first; i < first + count; ++i) history_.slot(i).released_ns = now;
    history_.release(static_cast<std::uint32_t>(first + count));
  }

  void run_concurrent() {
    std::int64_t first_fork = monotonic_ns();
    for (std::int64_t i = 0; i < scenario_.buyers && !ended(); ++i) {
      spawn_buyer(i);
      handle_events(0);
    }
    await_arrivals(static_cast<std::uint32_t>(scenario_.buyers));
    if (ended()) return;
    record_.spawn_ns = monotonic_ns() - first_fork;
    if (options_.before_release) options_.before_release();
    release(0, scenario_.buyers);
    while (!ended() && !all_buyers_reaped(scenario_.buyers)) handle_events(10);
  }

  void run_serial() {
    for (std::int64_t i = 0; i < scenario_.buyers && !ended(); ++i) {
      spawn_buyer(i);
      await_arrivals(static_cast<std::uint32_t>(i + 1));
      if (ended()) return;
      record_.spawn_ns += monotonic_ns() - history_.slot(i).forked_ns;
      release(i, 1);
      while (!ended() && statuses_[i] == -1) handle_events(10);
    }
  }

  bool all_buyers_reaped(std::int64_t count) const {
    return std::all_of(statuses_.begin(), statuses_.begin() + count, [](int status) { return status != -1; });
  }

  // Waits up to `timeout_ms` for a signal, then handles whatever happened.
  void handle_events(int timeout_ms) {
    std::int64_t now = monotonic_ns();
    for (const auto& [pid, at] : resume_at_) {
      timeout_ms = std::min<int>(timeout_ms, static_cast<int>(std::max<std::int64_t>(0, (at - now) / 1'000'000)));
    }
    if (server_paused_) {
      timeout_ms = std::min<int>(timeout_ms,
                                 static_cast<int>(std::max<std::int64_t>(0, (resume_server_at_ - now) / 1'000'000)));
    }
    timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
    const timespec now_only{};
    bool child_changed = false;
    // The first signal may be waited for; then every other one pending, so
    // that a SIGTERM is not left behind a SIGCHLD.
    for (int signal = sigtimedwait(&signals_.set(), nullptr, &timeout); signal > 0;
         signal = sigtimedwait(&signals_.set(), nullptr, &now_only)) {
      if (signal == SIGCHLD) {
        child_changed = true;
      } else if (record_.interrupted_by.empty()) {
        record_.interrupted_by = fmt::format("SIG{}", sigabbrev_np(signal));
      }
    }
    // waitpid(-1) walks every child: call it only when one has changed
    // state, not once per fork (that made spawning quadratic).
    if (child_changed) {
      while (auto event = children_.reap_one()) on_child_event(event->pid, event->status);
    }
    now = monotonic_ns();
    for (auto it = resume_at_.begin(); it != resume_at_.end();) {
      if (it->second <= now) {
        kill(it->first, SIGCONT);
        it = resume_at_.erase(it);
      } else {
        ++it;
      }
    }
    strike_server(now);
    if (options_.should_stop && record_.interrupted_by.empty()) record_.interrupted_by = options_.should_stop();
    if (history_.stuck() && !record_.stuck) {
      record_.stuck = true;
      record_.stuck_at_ns = monotonic_ns() - record_.start_ns;
      record_.stuck_reason = setup_.describe_stuck();
    }
    report_progress(now);
  }

  // Acknowledged sales so far. An operation is read once its buyer has
  // begun the next one (the release store of `recorded` publishes it), or
  // once the buyer is done.
  std::int64_t sales_so_far() {
    for (std::int64_t i = 0; i < scenario_.buyers; ++i) {
      if (pids_[i] == 0) continue;
      const BuyerSlot& slot = history_.slot(i);
      std::uint32_t recorded = slot.recorded.load(std::memory_order_acquire);
      std::uint32_t complete = statuses_[i] != -1 ? recorded : (recorded > 0 ? recorded - 1 : 0);
      const Operation* operations = history_.operations(i);
      for (std::uint32_t& o = sales_read_[i]; o < complete; ++o) {
        if (operations[o].kind == OperationKind::kBuy && operations[o].outcome == Outcome::kSold) ++sales_;
      }
    }
    return sales_;
  }

  // The server's planned faults, each once its time or its sales have come;
  // and the end of a server's pause.
  void strike_server(std::int64_t now) {
    if (server_paused_ && now >= resume_server_at_) {
      setup_.resume_server();
      server_paused_ = false;
    }
    if (record_.start_ns == 0 || ended()) return;
    for (ServerFault& planned : server_faults_) {
      if (planned.done) continue;
      const Fault& fault = *planned.fault;
      bool due = fault.after_sales > 0 ? sales_so_far() >= fault.after_sales
                                       : now - record_.start_ns >= fault.at.count();
      if (!due) continue;
      planned.done = true;
      std::string when = fault.after_sales > 0 ? fmt::format("after {}", plural(fault.after_sales, "sale"))
                                               : fmt::format("at {}", format_duration(fault.at));
      pid_t server = setup_.server_pid();
      std::int64_t at = monotonic_ns();
      try {
        if (fault.action == FaultAction::kCrash) {
          // The crash's moment is the server's death, which may come a
          // little after the fault was due (PostgreSQL's WAL writer is held
          // first).
          std::int64_t crashed = setup_.crash_server();
          std::int64_t back = monotonic_ns();
          record_.server_crashes.push_back({crashed, back});
          record_.faults.push_back(
              {server, fmt::format("crash the server {} (+{:.1f} ms): {}, restarted in {:.1f} ms as pid {}", when,
                                   static_cast<double>(crashed - record_.start_ns) / 1e6,
                                   setup_.crash_words(), static_cast<double>(back - crashed) / 1e6,
                                   setup_.server_pid()),
               true});
        } else {
          setup_.pause_server();
          server_paused_ = true;
          resume_server_at_ = at + fault.pause.count();
          record_.faults.push_back({server, fmt::format("pause the server {} (+{:.1f} ms) for {}", when,
                                                        static_cast<double>(at - record_.start_ns) / 1e6,
                                                        format_duration(fault.pause)),
                                  true});
        }
      } catch (const StoreError& e) {
        throw RunError(e.what());
      }
    }
  }

  // -P: a sample every interval from the first release on.
  void report_progress(std::int64_t now) {
    if (!options_.on_progress || record_.start_ns == 0) return;
    if (!progress_) {
      progress_.emplace(history_, scenario_.tickets);
      next_progress_ns_ = record_.start_ns + options_.progress_interval.count();
    }
    if (now < next_progress_ns_) return;
    options_.on_progress(progress_->sample(record_.start_ns, now));
    while (next_progress_ns_ <= now) next_progress_ns_ += options_.progress_interval.count();
  }

  void on_child_event(pid_t pid, int status) {
    if (WIFSTOPPED(status)) {
      // A buyer that paused itself: resume it after its pause. (A server
      // the runner paused is its own to resume.)
      auto buyer = buyer_index_.find(pid);
      if (buyer == buyer_index_.end()) return;
      Duration pause = buyer != buyer_index_.end() && faults_[buyer->second] ? faults_[buyer->second]->pause : Duration{0};
      resume_at_[pid] = monotonic_ns() + pause.count();
      return;
    }
    if (pid == record_.seller_pid) {
      record_.seller_ended = describe_wait_status(status);
    } else if (auto buyer = buyer_index_.find(pid); buyer != buyer_index_.end()) {
      statuses_[buyer->second] = status;
    }
  }

  // Ends whatever still runs, and records how every buyer ended.
  void finish() {
    handle_events(0);  // a signal that came with the last buyers' ends
    if (server_paused_) {
      setup_.resume_server();
      server_paused_ = false;
    }
    std::int64_t end = monotonic_ns();
    if (monitor_pid_ > 0) children_.stop(monitor_pid_, SIGTERM);
    if (record_.seller_pid > 0 && children_.alive(record_.seller_pid)) {
      // The normal end of a seller: it serves until the runner stops it.
      int status = children_.stop(record_.seller_pid, SIGTERM);
      record_.seller_ended = WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? std::string(kSellerStopped)
                                                                              : describe_wait_status(status);
    }
    std::vector<bool> killed_by_runner(pids_.size(), false);
    for (const auto& [pid, status] : children_.kill_all()) {
      on_child_event(pid, status);
      if (auto buyer = buyer_index_.find(pid); buyer != buyer_index_.end()) killed_by_runner[buyer->second] = true;
    }
    record_.inventory = history_.monitor_samples();
    for (const auto& [fault, buyer] : fault_buyers_) {
      record_.faults[fault].carried_out = history_.slot(buyer).struck.load(std::memory_order_acquire) != 0;
    }

    for (std::int64_t i = 0; i < scenario_.buyers; ++i) {
      const BuyerSlot& slot = history_.slot(i);
      if (pids_[i] == 0) continue;
      bool planned = faults_[i] && faults_[i]->action != FaultAction::kPause && WIFSIGNALED(statuses_[i]);
      record_.buyers.push_back({pids_[i], slot.ppid, statuses_[i], slot.error, planned || killed_by_runner[i],
                                killed_by_runner[i] && cancel_if_waiting(i)});
      if (slot.done_ns == 0) continue;  // it did not finish; its operations still count
      if (scenario_.mode == Mode::kConcurrent) {
        record_.window_ns = std::max(record_.window_ns, slot.done_ns - record_.start_ns);
      } else {
        record_.window_ns += slot.done_ns - slot.released_ns;
      }
    }
    if (ended() && record_.start_ns != 0 && scenario_.mode == Mode::kConcurrent) {
      record_.window_ns = end - record_.start_ns;
    }
  }

  // For a buyer the runner killed at the end: when it was outside any
  // critical section (and not struck by its fault), its operation under
  // way, if any, had changed nothing: it becomes cancelled instead of
  // indeterminate. Whether the buyer was.
  bool cancel_if_waiting(std::int64_t buyer) {
    const BuyerSlot& slot = history_.slot(buyer);
    int status = statuses_[buyer];
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) return false;  // it had ended by itself
    if (slot.in_critical_section.load(std::memory_order_acquire) != 0 ||
        slot.struck.load(std::memory_order_acquire) != 0) {
      return false;
    }
    std::uint32_t recorded = slot.recorded.load(std::memory_order_acquire);
    if (recorded > 0) {
      Operation& last = history_.operations(buyer)[recorded - 1];
      if (last.end_ns == 0 && last.outcome == Outcome::kIndeterminate) last.outcome = Outcome::kCancelled;
    }
    return true;
  }

  const Scenario& scenario_;
  const RunOptions& options_;
  StoreSetup& setup_;
  RunRecord& record_;
  SharedHistory& history_;
  const BlockedSignals& signals_;
  Children children_;
  std::vector<std::optional<BuyerFault>> faults_;
  // Each buyer fault: its place in record_.faults, and its buyer.
  std::vector<std::pair<std::size_t, std::int64_t>> fault_buyers_;
  std::vector<pid_t> pids_;
  std::vector<int> statuses_;  // -1 until reaped
  std::unordered_map<pid_t, std::int64_t> buyer_index_;  // reserved: no allocation per fork
  std::map<pid_t, std::int64_t> resume_at_;
  struct ServerFault {
    const Fault* fault;
    bool done;
  };
  std::vector<ServerFault> server_faults_;
  bool server_paused_ = false;
  std::int64_t resume_server_at_ = 0;
  std::vector<std::uint32_t> sales_read_;  // operations read, per buyer
  std::int64_t sales_ = 0;
  pid_t monitor_pid_ = 0;
  std::optional<ProgressReader> progress_;
  std::int64_t next_progress_ns_ = 0;
};

}  // namespace

std::string describe_wait_status(int wait_status) {
  if (wait_status == -1) return "not reaped";
  if (WIFEXITED(wait_status)) return fmt::format("exited {}", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const char* name = sigabbrev_np(WTERMSIG(wait_status));
    return fmt::format("killed by SIG{}", name ? name : std::to_string(WTERMSIG(wait_status)));
  }
  return fmt::format("wait status {}", wait_status);
}

namespace {

// Refuses a store file the run must not touch, saying what is there.
void check_store_file(const StrategyInfo& strategy, const std::filesystem::path& path, bool reset) {
  std::string name = path.string();
  std::filesystem::path parent = path.has_parent_path() ? path.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) {
    throw InputError(fmt::format("{}: cannot make a store there: {} is not a directory", name, parent.string()));
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;  // made by the run, kept after it
    throw InputError(fmt::format("{}: {}", name, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) throw InputError(fmt::format("{}: is a directory, not a store file", name));
  if (reset) return;
  if (S_ISLNK(st.st_mode)) {
    throw InputError(fmt::format("{}: is a symbolic link; ticketsim does not write through one (--reset replaces the link)", name));
  }
  if (access(path.c_str(), R_OK | W_OK) != 0) {
    throw InputError(fmt::format("{}: {}; nothing was changed", name, std::strerror(errno)));
  }
  FinalState state = strategy.inspect_file(path);
  if (state.corrupt) {
    throw InputError(fmt::format("{}: not a {} store ({}); nothing was changed: pass --reset to replace it", name,
                                 strategy.name, state.problem));
  }
  throw InputError(fmt::format("{}: already a {} store with {} left; nothing was changed: pass --reset to "
                               "replace it", name, strategy.name, plural(state.remaining, "ticket")));
}

}  // namespace

void check_runnable(const Scenario& scenario) {
  const StrategyInfo* strategy = find_strategy(scenario.strategy);
  if (!strategy) throw InputError(fmt::format("{}: unknown strategy '{}'", scenario.file, scenario.strategy));
  check_history_fits(scenario, 1 + scenario.max_attempts());
  check_process_limits(scenario, *strategy);
  plan_buyer_faults(scenario);
  bool seller_fault = std::any_of(scenario.faults.begin(), scenario.faults.end(), [](const Fault& f) { return f.seller; });
  if (seller_fault && !strategy->has_seller) {
    throw InputError(fmt::format("{}: a fault with target \"seller\" needs a strategy with a seller (queue), not {}",
                                 scenario.file, scenario.strategy));
  }
  for (const Fault& fault : scenario.faults) {
    std::string_view where = fault.where.empty() ? std::string_view(scenario.file) : std::string_view(fault.where);
    if (!fault.server && fault.point == FaultPoint::kAfterCommitSent && !strategy->server) {
      throw InputError(fmt::format("{}: point \"after-commit-sent\" needs a strategy that sends a COMMIT to a "
                                   "server (postgres-*, redis-*); {} has none",
                                   where, scenario.strategy));
    }
    // A fault no buyer (or seller) can reach would be planned and never
    // happen: refuse it.
    if (fault.seller && fault.attempt > scenario.tickets) {
      throw InputError(fmt::format("{}: a seller fault after {} sales cannot happen: there are only {}", where,
                                   fault.attempt, plural(scenario.tickets, "ticket")));
    }
    if (!fault.seller && !fault.server && fault.attempt > scenario.max_attempts()) {
      throw InputError(fmt::format(
          "{}: a fault at purchase {} cannot happen: each buyer makes at most {} ({})", where, fault.attempt,
          plural(scenario.max_attempts(), "purchase"),
          scenario.attempts ? fmt::format("attempts = {}", *scenario.attempts)
                            : fmt::format("until sold out, {} + 1", plural(scenario.tickets, "ticket"))));
    }
    if (!fault.server) continue;
    if (!strategy->server) {
      throw InputError(fmt::format("{}: a fault with target \"server\" needs a strategy with a database server "
                                   "(postgres-*, redis-*); {} has none",
                                   where, scenario.strategy));
    }
    const bool redis = strategy->server_kind == ServerKind::kRedis;
    if (!(redis ? scenario.redis_url : scenario.postgres_conninfo).empty()) {
      throw InputError(fmt::format("{}: a fault with target \"server\" needs the run's own embedded server; "
                                   "ticketsim does not {} a server named by {}",
                                   where, fault.action == FaultAction::kCrash ? "crash" : "pause",
                                   redis ? "url" : "conninfo"));
    }
  }
}

RunRecord run_scenario(const Scenario& scenario, const RunOptions& options) {
  check_runnable(scenario);
  const StrategyInfo* strategy = find_strategy(scenario.strategy);
  const std::int64_t capacity = 1 + scenario.max_attempts();

  // From here on a Ctrl-C is the runner's to handle: nothing made below may
  // be left behind by it.
  BlockedSignals signals;
  RunDirectory directory(options.store_parent);
  if (!options.store_file.empty()) check_store_file(*strategy, options.store_file, options.reset);
  const bool attach = !options.attach_run_id.empty();
  StoreSpec spec{directory.path(), attach ? options.attach_run_id : new_run_id(), scenario.tickets, scenario.buyers,
                 store_options(scenario), options.store_file, options.reset};
  spec.options.attach = attach;
  spec.options.postgres_server = options.postgres_server;
  spec.options.redis_server = options.redis_server;
  std::unique_ptr<StoreSetup> setup;
  try {
    setup = strategy->create(spec);
  } catch (const ServerUnreachable& e) {
    throw InputError(e.what());  // the user's server: bad input, exit 2, nothing forked
  } catch (const StoreError& e) {
    throw RunError(e.what());
  }
  bool seller_fault = std::any_of(scenario.faults.begin(), scenario.faults.end(), [](const Fault& f) { return f.seller; });

  RunRecord record;
  record.scenario = scenario;
  record.history = std::make_unique<SharedHistory>(scenario.buyers, capacity);
  {
    Run run(scenario, options, *setup, record, signals);
    run.execute();
  }
  if (seller_fault && record.seller_pid) {
    // The seller kills itself (SIGKILL) when it strikes; stopped at the end
    // it gets SIGTERM.
    bool killed = record.seller_ended == describe_wait_status(SIGKILL);
    record.faults.push_back({record.seller_pid,
                             fmt::format("kill the seller after {}", plural(spec.options.kill_seller_after_sales, "sale")),
                             killed});
  }
  record.final_state = setup->inspect();
  return record;
}

}  // namespace ticketsim
