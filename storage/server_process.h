// What the embedded servers (PostgreSQL, Redis) share: starting a server
// process from the parent without allocating after fork, waiting for it, and
// the watchdog that stops it and removes its directory when ticketsim ends,
// however it ends (a kill -9 included).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ticketsim {

// An fd closed when it goes.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// A process that has ended, or is a zombie nobody has reaped yet (once its
// parent is gone, init may take its time).
bool process_gone(pid_t pid);

// Waits up to `timeout` for `pid` (a child of this process) to end; its wait
// status, or nullopt if it still runs. A child someone else reaped (the
// runner reaps any child that ends during a run) counts as ended.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout);

// The children of `parent`, from /proc (each /proc/<pid>/stat's fourth field).
std::vector<pid_t> children_of(pid_t parent);

// SIGCONT to a server and every child of it: a stopped process would not
// see the shutdown it is sent.
void continue_server(pid_t pid);

// Ends a process this one need not be the parent of: `signal`, then SIGKILL
// if it is still there after `timeout`.
void stop_process(pid_t pid, int signal, std::chrono::milliseconds timeout);

// Calls `connect` until it returns true, with a pause that grows from 5ms
// to 100ms between tries, for at most `limit` (and 10,000 tries); false when
// it never did: a client waiting for a server that crashed to come back.
bool retry_connect(std::chrono::nanoseconds limit, const std::function<bool()>& connect);

// The last lines of a log, joined on one line: why a server did not start.
std::string log_tail(const std::filesystem::path& path, std::size_t count = 3);

// A log file opened for appending (a server's output); throws StoreError.
Fd open_log(const std::filesystem::path& path);

// argv and envp made in the parent, so that the forked child only calls
// what is safe after fork: no allocation between fork and exec.
class ExecArgs {
 public:
  ExecArgs(std::vector<std::string> args, std::vector<std::string> env);
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
};

// The account a server runs as when it is not this process's own.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Forks and execs `command` (as `as`, when given) in `cwd`, its output into
// `log_fd`. A server gets a session of its own (the terminal's Ctrl-C is
// ticketsim's to handle, not the server's). Each gets `death_signal` when
// this process dies: the parent-death signal, set after the switch of user
// (a change of credentials clears it), covers the moment before the
// watchdog knows the pid. -1 when fork fails.
pid_t spawn(const ExecArgs& command, const Credentials* as, const std::filesystem::path& cwd, int log_fd, bool server,
            int death_signal);

// A child of ticketsim that outlives it only to clean up: it holds the read
// end of a pipe whose write end only ticketsim (and its forked buyers, which
// die with it) holds. Each pid announced is the server's current one (0:
// none running). When read() returns end-of-file, ticketsim has ended,
// however it ended: the watchdog stops the process it last heard of (with
// `stop_signal`, then SIGKILL), removes the directory and exits. The
// parent-death signal alone would not do: a server that runs as another
// user loses it, it does not reach what the server forks, and no signal
// removes the directory.
//
// Forks: make it before the process starts any thread.
class ServerWatchdog {
 public:
  ServerWatchdog(const std::filesystem::path& directory, int stop_signal);
  // Tells the watchdog that nothing runs, and waits for it to end (it then
  // removes the directory). In a forked child it only closes its pipe end.
  ~ServerWatchdog();
  ServerWatchdog(const ServerWatchdog&) = delete;
  ServerWatchdog& operator=(const ServerWatchdog&) = delete;

  // Tells the watchdog which server to stop (0: none).
  void announce(pid_t server);
  pid_t pid() const { return pid_; }

 private:
  pid_t owner_;
  pid_t pid_ = -1;
  int write_end_ = -1;
};

}  // namespace ticketsim
