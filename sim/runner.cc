#include "sim/runner.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "sim/buyer.h"

namespace ticketsim {
namespace {

// The per-run directory that holds the store. Made owner-only; removed with
// everything in it when the run ends.
class RunDirectory {
 public:
  explicit RunDirectory(std::filesystem::path parent) {
    if (parent.empty()) {
      const char* tmpdir = std::getenv("TMPDIR");
      parent = tmpdir && *tmpdir ? tmpdir : "/tmp";
    }
    std::string pattern = (parent / "ticketsim-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      throw RunError(fmt::format("{}: cannot make the run directory: {}", parent.string(),
                                 std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~RunDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The buyer processes. Whatever happens, none outlives this object: those
// not yet reaped are killed and reaped when it goes.
class Children {
 public:
  ~Children() {
    for (pid_t pid : alive_) kill(pid, SIGKILL);
    for (pid_t pid : alive_) reap(pid);
  }

  void add(pid_t pid) { alive_.push_back(pid); }

  // Blocks until `pid` ends; returns its wait status.
  int wait(pid_t pid) {
    int status = reap(pid);
    alive_.erase(std::find(alive_.begin(), alive_.end(), pid));
    return status;
  }

  // A child that has ended, reaped, if there is one.
  std::optional<std::pair<pid_t, int>> reap_ended() {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return std::nullopt;
    alive_.erase(std::remove(alive_.begin(), alive_.end(), pid), alive_.end());
    return std::pair{pid, status};
  }

 private:
  static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

  std::vector<pid_t> alive_;
};

std::string new_run_id() {
  std::uint32_t random = 0;
  if (getrandom(&random, sizeof random, 0) != sizeof random) random = static_cast<std::uint32_t>(monotonic_ns());
  return fmt::format("{}-{:08x}", getpid(), random);
}

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

// Waits until `count` buyers stand at the barrier. A buyer that ends before
// it gets there stops the run.
void await_arrivals(SharedHistory& history, Children& children, std::uint32_t count) {
  while (history.wait_for_arrivals(count, 100) < count) {
    if (auto ended = children.reap_ended()) {
      std::string why;
      for (std::int64_t i = 0; i < history.buyers(); ++i) {
        if (history.slot(i).pid == ended->first && history.slot(i).error[0]) why = history.slot(i).error;
      }
      if (why.empty()) why = describe_wait_status(ended->second);
      throw RunError(fmt::format("buyer {} ended before the start: {}", ended->first, why));
    }
  }
}

pid_t spawn_buyer(std::int64_t index, const Scenario& scenario, StoreSetup& setup,
                  SharedHistory& history, Children& children) {
  history.slot(index).forked_ns = monotonic_ns();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) run_buyer(index, scenario, setup, history, parent);
  if (pid < 0) {
    throw RunError(fmt::format("fork failed after {} of {} buyers were started: {}", index,
                               scenario.buyers, std::strerror(errno)));
  }
  children.add(pid);
  return pid;
}

}  // namespace

std::string describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) return fmt::format("exited {}", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const char* name = sigabbrev_np(WTERMSIG(wait_status));
    return fmt::format("killed by SIG{}", name ? name : std::to_string(WTERMSIG(wait_status)));
  }
  return fmt::format("wait status {}", wait_status);
}

RunRecord run_scenario(const Scenario& scenario, const RunOptions& options) {
  const StrategyInfo* strategy = find_strategy(scenario.strategy);
  if (!strategy) throw InputError(fmt::format("{}: unknown strategy '{}'", scenario.file, scenario.strategy));
  const std::int64_t capacity = 1 + scenario.max_attempts();
  check_history_fits(scenario, capacity);

  RunDirectory directory(options.store_parent);
  StoreSpec spec{directory.path(), new_run_id(), scenario.tickets};
  std::unique_ptr<StoreSetup> setup;
  try {
    setup = strategy->create(spec);
  } catch (const StoreError& e) {
    throw RunError(e.what());
  }

  RunRecord record;
  record.scenario = scenario;
  record.history = std::make_unique<SharedHistory>(scenario.buyers, capacity);
  SharedHistory& history = *record.history;
  std::vector<pid_t> pids(static_cast<std::size_t>(scenario.buyers));
  std::vector<int> statuses(pids.size());
  {
    Children children;
    std::fflush(nullptr);  // nothing buffered may be written twice
    if (scenario.mode == Mode::kConcurrent) {
      std::int64_t first_fork = monotonic_ns();
      for (std::int64_t i = 0; i < scenario.buyers; ++i) {
        pids[i] = spawn_buyer(i, scenario, *setup, history, children);
      }
      await_arrivals(history, children, static_cast<std::uint32_t>(scenario.buyers));
      record.start_ns = monotonic_ns();
      record.spawn_ns = record.start_ns - first_fork;
      for (std::int64_t i = 0; i < scenario.buyers; ++i) history.slot(i).released_ns = record.start_ns;
      history.release(static_cast<std::uint32_t>(scenario.buyers));
      for (std::int64_t i = 0; i < scenario.buyers; ++i) statuses[i] = children.wait(pids[i]);
    } else {
      for (std::int64_t i = 0; i < scenario.buyers; ++i) {
        pids[i] = spawn_buyer(i, scenario, *setup, history, children);
        await_arrivals(history, children, static_cast<std::uint32_t>(i + 1));
        std::int64_t now = monotonic_ns();
        record.spawn_ns += now - history.slot(i).forked_ns;
        history.slot(i).released_ns = now;
        if (i == 0) record.start_ns = now;
        history.release(static_cast<std::uint32_t>(i + 1));
        statuses[i] = children.wait(pids[i]);
      }
    }
  }

  for (std::int64_t i = 0; i < scenario.buyers; ++i) {
    const BuyerSlot& slot = history.slot(i);
    record.buyers.push_back({pids[i], slot.ppid, statuses[i], slot.error});
    if (slot.done_ns == 0) continue;  // it failed; its operations still count
    if (scenario.mode == Mode::kConcurrent) {
      record.window_ns = std::max(record.window_ns, slot.done_ns - record.start_ns);
    } else {
      record.window_ns += slot.done_ns - slot.released_ns;
    }
  }
  record.final_state = setup->inspect();
  return record;
}

}  // namespace ticketsim
