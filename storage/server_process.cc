#include "storage/server_process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "storage/store.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

constexpr auto kStopTimeout = std::chrono::seconds(15);

// In a forked child: every signal back at its default and unblocked (the
// runner blocks SIGCHLD and friends; ignored signals would survive exec).
void reset_signals() {
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::signal(signal, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void child_fails(const char* what) {
  // Only async-signal-safe calls: strerror is not one, the number will do.
  char text[128];
  int length = std::snprintf(text, sizeof text, "ticketsim: %s failed (errno %d)\n", what, errno);
  if (length > 0) [[maybe_unused]] ssize_t ignored = ::write(2, text, static_cast<std::size_t>(length));
  ::_exit(127);
}

// The watchdog's whole life. It was forked before any thread existed, so it
// may allocate.
[[noreturn]] void watch(int pipe_end, const std::filesystem::path& directory, int stop_signal) {
  // Its own session: the terminal's signals are not for it; and every
  // signal blocked but SIGKILL: it ends only when ticketsim has.
  ::setsid();
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  // Its standard fds on /dev/null: a pipe a test reads ticketsim's output
  // from must not stay open because of it.
  int read_end = ::fcntl(pipe_end, F_DUPFD, 3);
  if (read_end < 0) ::_exit(1);
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
  // Every other fd closed: a copy of another pipe's write end (another
  // server's watchdog) would keep that one from seeing its end.
  if (read_end > 3) ::close_range(3, static_cast<unsigned>(read_end) - 1, 0);
  ::close_range(static_cast<unsigned>(read_end) + 1, ~0U, 0);
  pid_t server = 0;
  for (;;) {
    int value = 0;
    ssize_t n = ::read(read_end, &value, sizeof value);
    if (n == static_cast<ssize_t>(sizeof value)) {
      server = value;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // end of file: ticketsim is gone or done
    }
  }
  if (server > 0) stop_process(server, stop_signal, kStopTimeout);
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
  ::_exit(0);
}

}  // namespace

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  char text[512];
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return true;
  text[n] = '\0';
  // "pid (comm) S ...": the state follows the last ')'.
  const char* paren = std::strrchr(text, ')');
  return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) return status;
    if (reaped < 0 && errno != EINTR) return 0;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "stat");
    std::string text;
    std::getline(in, text);
    std::size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(text.c_str() + paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return children;
}

void continue_server(pid_t pid) {
  ::kill(pid, SIGCONT);
  for (pid_t child : children_of(pid)) ::kill(child, SIGCONT);
}

void stop_process(pid_t pid, int signal, std::chrono::milliseconds timeout) {
  ::kill(pid, signal);
  continue_server(pid);  // a stopped server would not see it
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!process_gone(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!process_gone(pid)) ::kill(pid, SIGKILL);
}

bool retry_connect(std::chrono::nanoseconds limit, const std::function<bool()>& connect) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::milliseconds(5);
  for (int i = 0; i < 10'000; ++i) {
    if (connect()) return true;
    if (std::chrono::steady_clock::now() + pause > deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  return false;
}

std::string log_tail(const std::filesystem::path& path, std::size_t count) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!one_line(line).empty()) lines.push_back(one_line(line));
  }
  if (lines.empty()) return fmt::format("{} is empty", path.filename().string());
  std::string tail;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    if (!tail.empty()) tail += " / ";
    tail += lines[i];
  }
  return tail;
}

Fd open_log(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) throw StoreError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  return fd;
}

ExecArgs::ExecArgs(std::vector<std::string> args, std::vector<std::string> env)
    : args_(std::move(args)), env_(std::move(env)) {
  for (std::string& arg : args_) argv_.push_back(arg.data());
  argv_.push_back(nullptr);
  for (std::string& var : env_) envp_.push_back(var.data());
  envp_.push_back(nullptr);
}

pid_t spawn(const ExecArgs& command, const Credentials* as, const std::filesystem::path& cwd, int log_fd, bool server,
            int death_signal) {
  pid_t parent = ::getpid();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (server) ::setsid();
  reset_signals();
  int null = ::open("/dev/null", O_RDONLY);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) child_fails("dup2");
  ::close_range(3, ~0U, 0);
  if (as) {
    if (::setgroups(1, &as->gid) != 0 || ::setgid(as->gid) != 0 || ::setuid(as->uid) != 0) {
      child_fails("switching user");
    }
  }
  ::prctl(PR_SET_PDEATHSIG, death_signal);
  if (::getppid() != parent) ::_exit(127);
  if (::chdir(cwd.c_str()) != 0) child_fails("chdir to the server directory");
  ::execve(command.argv()[0], command.argv(), command.envp());
  child_fails("exec");
}

ServerWatchdog::ServerWatchdog(const std::filesystem::path& directory, int stop_signal) : owner_(::getpid()) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw StoreError(fmt::format("cannot make the server watchdog's pipe: {}", std::strerror(errno)));
  }
  Fd read_end(fds[0]);
  write_end_ = fds[1];
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(write_end_);
    throw StoreError(fmt::format("cannot fork the server watchdog: {}", std::strerror(errno)));
  }
  if (pid_ == 0) watch(read_end.get(), directory, stop_signal);
}

ServerWatchdog::~ServerWatchdog() {
  if (::getpid() != owner_) {
    ::close(write_end_);
    return;
  }
  announce(0);
  ::close(write_end_);
  if (!wait_for(pid_, kStopTimeout)) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, kStopTimeout);
  }
}

void ServerWatchdog::announce(pid_t server) {
  int value = server;
  [[maybe_unused]] ssize_t ignored = ::write(write_end_, &value, sizeof value);
}

}  // namespace ticketsim
