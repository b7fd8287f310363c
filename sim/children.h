// The processes a run forks and the signals the runner waits for, each with
// one owner: BlockedSignals owns the signal mask, Children owns every child
// (and their process group) until each is reaped.
#pragma once

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/buyer.h"

namespace ticketsim {

// Blocks the signals the runner waits for (children ending, the user
// stopping the run) for as long as it lives. Children get the old mask back
// with those signals unblocked, even when this one is nested in another
// (compare holds one across all its runs).
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    for (int signal : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, signal);
    sigprocmask(SIG_BLOCK, &set_, &original_);
    child_mask_ = original_;
    for (int signal : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigdelset(&child_mask_, signal);
  }
  ~BlockedSignals() {
    // Drop the SIGCHLDs of children already reaped. A SIGINT, SIGTERM or
    // SIGHUP that came after the run had ended takes its default course once
    // unblocked: the store and named objects are gone by then.
    sigset_t children;
    sigemptyset(&children);
    sigaddset(&children, SIGCHLD);
    timespec zero{};
    while (sigtimedwait(&children, nullptr, &zero) > 0) {
    }
    sigprocmask(SIG_SETMASK, &original_, nullptr);
  }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  const sigset_t& set() const { return set_; }
  const sigset_t& child_mask() const { return child_mask_; }

  // A signal from the user (SIGINT, SIGTERM, SIGHUP) that is pending, taken
  // off the queue: "SIGINT", or "" when there is none.
  std::string take_pending_stop() const {
    sigset_t stops = set_;
    sigdelset(&stops, SIGCHLD);
    timespec zero{};
    int signal = sigtimedwait(&stops, nullptr, &zero);
    if (signal <= 0) return "";
    return std::string("SIG") + sigabbrev_np(signal);
  }

 private:
  sigset_t set_;
  sigset_t original_;
  sigset_t child_mask_;
};

// `name`, or `name`-`index` when index >= 0, into `out`: without printf,
// whose code (a dozen pages) each new child would otherwise fault in, a
// fifth of a buyer's page faults.
inline void child_name(char (&out)[40], const char* name, long index) {
  std::size_t length = std::min(std::strlen(name), sizeof out - 22);
  std::memcpy(out, name, length);
  char* end = out + length;
  if (index >= 0) {
    *end++ = '-';
    end = std::to_chars(end, out + sizeof out - 1, index).ptr;
  }
  *end = '\0';
}

// Every process the run forks: buyers, the seller, the monitor. They share
// one process group, so that a signal from the terminal reaches ticketsim
// alone. None outlives this object: those not yet reaped are killed and
// reaped when it goes.
class Children {
 public:
  explicit Children(const BlockedSignals& signals) : signals_(signals) {
    // Found once here, so that each child resets only these.
    for (int signal = 1; signal < NSIG; ++signal) {
      struct sigaction action {};
      if (signal == SIGKILL || signal == SIGSTOP || sigaction(signal, nullptr, &action) != 0) continue;
      if (action.sa_handler != SIG_DFL) handled_.push_back(signal);
    }
  }
  ~Children() { kill_all(); }
  Children(const Children&) = delete;
  Children& operator=(const Children&) = delete;

  // Forks a child that runs `body` (which must not return) with the signal
  // mask ticketsim started with, dying if ticketsim dies. The child names
  // itself `name`, or `name`-`index` when index >= 0 ("ts-buyer-17"), so
  // that ps, top and pkill -x tell the buyers, the seller and the monitor
  // apart (a name is cut at 15 bytes).
  template <typename Body>
  pid_t spawn(const char* name, long index, Body body) {
    pid_t parent = getpid();
    std::fflush(nullptr);  // nothing buffered may be written twice
    pid_t pid = fork();
    if (pid == 0) {
      if (setpgid(0, group_) != 0) setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      char comm[40];  // the kernel keeps the first 15 bytes
      child_name(comm, name, index);
      prctl(PR_SET_NAME, comm);
      if (getppid() != parent) _exit(kBuyerFailed);
      // Handlers are the parent's business (a test framework's crash
      // handler, say): a child starts with every signal at its default.
      for (int signal : handled_) std::signal(signal, SIG_DFL);
      sigprocmask(SIG_SETMASK, &signals_.child_mask(), nullptr);
      body();
      _exit(kBuyerFailed);
    }
    if (pid < 0) return -1;
    if (setpgid(pid, group_) != 0 && setpgid(pid, pid) == 0) group_ = pid;
    if (group_ == 0) group_ = pid;
    alive_.push_back(pid);
    return pid;
  }

  // Reaps one child that has ended, if any: its pid and wait status, or
  // nullopt. A child that stopped (WUNTRACED) is reported too, and stays
  // owned.
  struct Event {
    pid_t pid;
    int status;
  };
  std::optional<Event> reap_one() {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED);
    if (pid <= 0) return std::nullopt;
    if (!WIFSTOPPED(status)) forget(pid);
    return Event{pid, status};
  }

  // Ends `pid` with `signal` and reaps it; its wait status.
  int stop(pid_t pid, int signal) {
    if (std::find(alive_.begin(), alive_.end(), pid) == alive_.end()) return -1;
    kill(pid, signal);
    kill(pid, SIGCONT);
    int status = reap(pid);
    forget(pid);
    return status;
  }

  // SIGKILL to the group and to each child, then reaps them all; the wait
  // status of each, by pid.
  std::map<pid_t, int> kill_all() {
    std::map<pid_t, int> statuses;
    if (group_ > 0) kill(-group_, SIGKILL);
    for (pid_t pid : alive_) kill(pid, SIGKILL);
    for (pid_t pid : alive_) statuses[pid] = reap(pid);
    alive_.clear();
    return statuses;
  }

  // Reaps `pid` if it has ended: its wait status, or nullopt.
  std::optional<int> try_reap(pid_t pid) {
    if (!alive(pid)) return std::nullopt;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
    forget(pid);
    return status;
  }

  bool alive(pid_t pid) const { return std::find(alive_.begin(), alive_.end(), pid) != alive_.end(); }

 private:
  static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }
  void forget(pid_t pid) { alive_.erase(std::remove(alive_.begin(), alive_.end(), pid), alive_.end()); }

  const BlockedSignals& signals_;
  std::vector<int> handled_;  // signals with a handler (or ignored) in the parent
  pid_t group_ = 0;
  std::vector<pid_t> alive_;
};

}  // namespace ticketsim
