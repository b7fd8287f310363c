#include "storage/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "storage/postgres_connection.h"
#include "storage/store.h"

namespace ticketsim {

// The account initdb and postgres run as. Both refuse to run as root, so
// root hands them to an unprivileged account; anyone else runs them as
// itself.
struct PostgresServer::User {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  bool switch_to = false;  // drop root's privileges for it
};

namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kInitdbTimeout = std::chrono::seconds(120);
constexpr auto kStopTimeout = std::chrono::seconds(15);

constexpr const char* kDebianBindir = "/usr/lib/postgresql/15/bin";

bool executable(const std::filesystem::path& path) { return ::access(path.c_str(), X_OK) == 0; }

bool holds_server(const std::filesystem::path& dir) {
  return !dir.empty() && executable(dir / "initdb") && executable(dir / "postgres");
}

// A process that has ended, or is a zombie nobody has reaped yet (once its
// parent is gone, init may take its time).
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

// Waits up to `timeout` for `pid` (a child of this process) to end; its wait
// status, or nullopt if it still runs. A child someone else reaped (the
// runner reaps any child that ends during a run) counts as ended.
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

// The children of `parent`, from /proc (each /proc/<pid>/stat's fourth
// field). PostgreSQL's backends each make a session of their own, so no
// process group holds them all.
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

// SIGCONT to a server and every child of it: a stopped process would not
// see the shutdown it is sent.
void continue_server(pid_t pid) {
  ::kill(pid, SIGCONT);
  for (pid_t child : children_of(pid)) ::kill(child, SIGCONT);
}

// Ends a process this one need not be the parent of: SIGQUIT (PostgreSQL's
// immediate shutdown), then SIGKILL if it is still there after `timeout`.
void stop_process(pid_t pid, std::chrono::milliseconds timeout) {
  ::kill(pid, SIGQUIT);
  continue_server(pid);  // a stopped server would not see it
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!process_gone(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!process_gone(pid)) ::kill(pid, SIGKILL);
}

// The last lines of a log, joined on one line: why a server did not start.
std::string log_tail(const std::filesystem::path& path, std::size_t count = 3) {
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

// argv and envp made in the parent, so that the forked child only calls
// what is safe after fork: no allocation between fork and exec.
class Command {
 public:
  Command(std::vector<std::string> args, const std::filesystem::path& bindir) : args_(std::move(args)) {
    // A fixed environment: the user's PG* variables are for the server
    // ticketsim connects to, not for the one it makes (postgres would read
    // PGPORT, say). TZ spares initdb its search for the system's zone.
    env_ = {"PATH=" + bindir.string() + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"};
    for (std::string& arg : args_) argv_.push_back(arg.data());
    argv_.push_back(nullptr);
    for (std::string& var : env_) envp_.push_back(var.data());
    envp_.push_back(nullptr);
  }
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }
  std::string line() const {
    std::string text;
    for (const std::string& arg : args_) text += (text.empty() ? "" : " ") + arg;
    return text;
  }

 private:
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
};

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

// Forks and execs `command` as `user` in `cwd`, its output into `log_fd`.
// A server gets a session of its own (the terminal's Ctrl-C is ticketsim's
// to handle, not the server's). Each gets SIGQUIT (for the server, an
// immediate shutdown) when this process dies: the parent-death signal, set
// after the switch of user (a change of credentials clears it), covers the
// moment before the watchdog knows the pid.
pid_t spawn(const Command& command, const PostgresServer::User& user, const std::filesystem::path& cwd, int log_fd,
            bool server) {
  pid_t parent = ::getpid();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (server) ::setsid();
  reset_signals();
  int null = ::open("/dev/null", O_RDONLY);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) child_fails("dup2");
  ::close_range(3, ~0U, 0);
  if (user.switch_to) {
    if (::setgroups(1, &user.gid) != 0 || ::setgid(user.gid) != 0 || ::setuid(user.uid) != 0) {
      child_fails("switching user");
    }
  }
  ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
  if (::getppid() != parent) ::_exit(127);
  if (::chdir(cwd.c_str()) != 0) child_fails("chdir to the server directory");
  ::execve(command.argv()[0], command.argv(), command.envp());
  child_fails("exec");
}

}  // namespace

namespace {

// The first of `pg_config --bindir` and Debian's /usr/lib/postgresql/15/bin
// that `holds` accepts; empty when neither does. `reported` is what
// pg_config said, for the message.
std::filesystem::path find_bindir(const std::function<bool(const std::filesystem::path&)>& holds,
                                  std::filesystem::path& reported) {
  if (FILE* pipe = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char line[4096] = {};
    if (std::fgets(line, sizeof line, pipe)) reported = one_line(line);
    ::pclose(pipe);
  }
  if (!reported.empty() && holds(reported)) return reported;
  if (holds(kDebianBindir)) return kDebianBindir;
  return {};
}

std::string not_found_in(const std::filesystem::path& reported) {
  return fmt::format("{}{}", reported.empty() ? "" : reported.string() + " (pg_config --bindir) nor in ",
                     kDebianBindir);
}

}  // namespace

std::filesystem::path postgres_bindir() {
  std::filesystem::path reported;
  std::filesystem::path found = find_bindir(&holds_server, reported);
  if (!found.empty()) return found;
  throw StoreError(fmt::format("cannot start the embedded PostgreSQL server: no initdb and postgres in {} (install "
                               "postgresql-15, or name a server with a conninfo)",
                               not_found_in(reported)));
}

std::filesystem::path postgres_program(const std::string& name) {
  std::filesystem::path reported;
  std::filesystem::path found =
      find_bindir([&](const std::filesystem::path& dir) { return executable(dir / name); }, reported);
  if (!found.empty()) return found / name;
  throw StoreError(fmt::format("no {} in {} (install postgresql-client-15)", name, not_found_in(reported)));
}

// The server's own directory: the cluster (data/), its socket, its logs.
// Not in the run directory: that one is root's and owner-only, and the
// server's account could not enter it; this one is made beside it, owned
// by that account, owner-only too.
class PostgresServer::Directory {
 public:
  Directory(std::filesystem::path parent, const User& user) : owner_(::getpid()) {
    // The parent asked for (the run directory's, so that --store-dir
    // /dev/shm puts the cluster on tmpfs too) when the account can get
    // there; a test's owner-only temporary directory it cannot.
    if (parent.empty() || !reachable(parent, user)) {
      const char* tmpdir = std::getenv("TMPDIR");
      parent = tmpdir && *tmpdir ? tmpdir : "/tmp";
    }
    std::string pattern = (parent / "ticketsim-postgres-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
      throw StoreError(fmt::format("{}: cannot make the PostgreSQL server's directory: {}", parent.string(),
                                   std::strerror(errno)));
    }
    path_ = pattern;
    if (user.switch_to && ::chown(path_.c_str(), user.uid, user.gid) != 0) {
      int error = errno;
      remove();
      throw StoreError(fmt::format("{}: cannot give it to {}: {}", path_.string(), user.name, std::strerror(error)));
    }
    // A Unix socket's path holds at most 107 bytes.
    if ((path_ / ".s.PGSQL.5432").string().size() > 107) {
      remove();
      throw StoreError(fmt::format("{}: too long a path for the server's Unix socket; set TMPDIR to a shorter one",
                                   path_.string()));
    }
  }
  ~Directory() {
    if (::getpid() == owner_) remove();
  }
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  // Whether `user` may search every directory on the way to `path`, by the
  // mode bits (not ACLs or supplementary groups: a miss only means the
  // fallback directory).
  static bool reachable(const std::filesystem::path& path, const User& user) {
    if (!user.switch_to) return true;
    std::error_code error;
    std::filesystem::path full = std::filesystem::absolute(path, error);
    if (error) return false;
    std::filesystem::path walked;
    for (const std::filesystem::path& part : full) {
      walked /= part;
      struct stat st {};
      if (::stat(walked.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
      mode_t search = st.st_uid == user.uid ? S_IXUSR : st.st_gid == user.gid ? S_IXGRP : S_IXOTH;
      if (!(st.st_mode & search)) return false;
    }
    return true;
  }

  void remove() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  pid_t owner_;
  std::filesystem::path path_;
};

// A child of ticketsim that outlives it only to clean up: it holds the read
// end of a pipe whose write end only ticketsim (and its forked buyers, which
// die with it) holds. Each int written is the server's current pid (0: none
// running; initdb's while it runs). When read() returns end-of-file,
// ticketsim has ended, however it ended: the watchdog stops the process it
// last heard of, removes the directory and exits. The parent-death signal
// alone would not do: the server runs as another user, and a change of
// credentials clears the signal (spawn sets it again afterwards, which
// covers the postmaster but not what it forks), and no signal removes the
// directory.
class PostgresServer::Watchdog {
 public:
  explicit Watchdog(const std::filesystem::path& directory) : owner_(::getpid()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw StoreError(fmt::format("cannot make the PostgreSQL watchdog's pipe: {}", std::strerror(errno)));
    }
    Fd read_end(fds[0]);
    write_end_ = fds[1];
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(write_end_);
      throw StoreError(fmt::format("cannot fork the PostgreSQL watchdog: {}", std::strerror(errno)));
    }
    if (pid_ == 0) watch(read_end.get(), directory);
  }
  ~Watchdog() {
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
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Tells the watchdog which server to stop (0: none).
  void announce(pid_t server) {
    int value = server;
    [[maybe_unused]] ssize_t ignored = ::write(write_end_, &value, sizeof value);
  }
  pid_t pid() const { return pid_; }

 private:
  // The watchdog's whole life. It was forked before any thread existed (see
  // PostgresServer's constructor), so it may allocate.
  [[noreturn]] static void watch(int pipe_end, const std::filesystem::path& directory) {
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
    if (server > 0) stop_process(server, kStopTimeout);
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
    ::_exit(0);
  }

  pid_t owner_;
  pid_t pid_ = -1;
  int write_end_ = -1;
};

// The postmaster, a child of this process; stopped with an immediate
// shutdown when this goes.
class PostgresServer::Postmaster {
 public:
  Postmaster(pid_t pid, Watchdog& watchdog) : owner_(::getpid()), pid_(pid), watchdog_(watchdog) {
    watchdog_.announce(pid_);
  }
  ~Postmaster() {
    if (::getpid() != owner_) return;
    ::kill(pid_, SIGQUIT);
    continue_server(pid_);
    if (!wait_for(pid_, kStopTimeout)) {
      ::kill(pid_, SIGKILL);
      wait_for(pid_, kStopTimeout);
    }
    watchdog_.announce(0);
  }
  Postmaster(const Postmaster&) = delete;
  Postmaster& operator=(const Postmaster&) = delete;

  pid_t pid() const { return pid_; }
  // Its wait status if it has ended.
  std::optional<int> ended() const { return wait_for(pid_, std::chrono::milliseconds(0)); }

 private:
  pid_t owner_;
  pid_t pid_;
  Watchdog& watchdog_;
};

namespace {

// Who runs the server: this process's own account, or, as root, Debian's
// postgres account and then nobody.
std::vector<PostgresServer::User> server_users() {
  if (::geteuid() != 0) {
    const passwd* self = ::getpwuid(::geteuid());
    return {{self ? self->pw_name : std::to_string(::geteuid()), ::geteuid(), ::getegid(), false}};
  }
  std::vector<PostgresServer::User> users;
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* account = ::getpwnam(name)) {
      users.push_back({name, account->pw_uid, account->pw_gid, true});
    }
  }
  return users;
}

Fd open_log(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) throw StoreError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  return fd;
}

}  // namespace

PostgresServer::PostgresServer(const PostgresServerOptions& options) {
  auto start = std::chrono::steady_clock::now();
  bindir_ = postgres_bindir();
  std::vector<User> users = server_users();
  if (users.empty()) {
    throw StoreError("cannot start the embedded PostgreSQL server: ticketsim runs as root, and initdb and postgres "
                     "refuse to; neither a postgres nor a nobody account exists to run them");
  }
  std::string failures;
  for (const User& user : users) {
    try {
      start_as(user, options);
      start_time_ = std::chrono::steady_clock::now() - start;
      return;
    } catch (const StoreError& e) {
      // What the last try made goes before the next one.
      postmaster_.reset();
      watchdog_.reset();
      directory_.reset();
      failures += fmt::format("{}as {}: {}", failures.empty() ? "" : "; ", user.name, e.what());
      if (initialized_) break;
    }
  }
  throw StoreError(fmt::format("cannot start the embedded PostgreSQL server: {}", failures));
}

void PostgresServer::start_as(const User& user, const PostgresServerOptions& options) {
  directory_ = std::make_unique<Directory>(options.parent, user);
  watchdog_ = std::make_unique<Watchdog>(directory_->path());
  const std::filesystem::path& dir = directory_->path();
  user_ = user.name;

  // trust: only this account and root can reach the socket, in an
  // owner-only directory. --no-sync: a throwaway cluster need not survive a
  // power cut; the scenario's fsync is the server's, below.
  Command initdb({(bindir_ / "initdb").string(), "--pgdata=" + (dir / "data").string(), "--username=postgres",
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
                 bindir_);
  {
    Fd log = open_log(dir / "initdb.log");
    pid_t pid = spawn(initdb, user, dir, log.get(), false);
    if (pid < 0) throw StoreError(fmt::format("cannot fork initdb: {}", std::strerror(errno)));
    // A SIGKILL of ticketsim now: the watchdog stops initdb too.
    watchdog_->announce(pid);
    std::optional<int> status = wait_for(pid, kInitdbTimeout);
    watchdog_->announce(0);
    if (!status) {
      ::kill(pid, SIGKILL);
      wait_for(pid, kStopTimeout);
      throw StoreError(fmt::format("initdb did not finish within {} s", kInitdbTimeout.count()));
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      throw StoreError(fmt::format("initdb failed: {}", log_tail(dir / "initdb.log")));
    }
  }
  initialized_ = true;

  account_ = std::make_unique<User>(user);
  options_ = options;
  start_postmaster();
}

void PostgresServer::start_postmaster() {
  const std::filesystem::path& dir = directory_->path();
  const PostgresServerOptions& options = options_;
  // No TCP: listen_addresses is empty; the socket is in the directory.
  // Dynamic shared memory in files under data/ (mmap), not in /dev/shm:
  // whatever an immediate shutdown leaves goes with the directory.
  auto on_off = [](bool value) { return std::string(value ? "on" : "off"); };
  std::vector<std::string> args{(bindir_ / "postgres").string(), "-D", (dir / "data").string(), "-k", dir.string(),
                                "-p", "5432", "-c", "listen_addresses=", "-c", "fsync=" + on_off(options.fsync), "-c",
                                "synchronous_commit=" + options.synchronous_commit, "-c",
                                "full_page_writes=" + on_off(options.full_page_writes), "-c",
                                fmt::format("max_connections={}", options.max_connections), "-c",
                                "dynamic_shared_memory_type=mmap", "-c", "unix_socket_permissions=0700"};
  if (options.crash_tuning) {
    for (const char* setting : {"wal_writer_delay=10s", "autovacuum=off", "bgwriter_lru_maxpages=0"}) {
      args.insert(args.end(), {"-c", setting});
    }
  }
  Command postgres(std::move(args), bindir_);
  {
    Fd log = open_log(dir / "server.log");
    pid_t pid = spawn(postgres, *account_, dir, log.get(), true);
    if (pid < 0) throw StoreError(fmt::format("cannot fork postgres: {}", std::strerror(errno)));
    postmaster_ = std::make_unique<Postmaster>(pid, *watchdog_);
  }

  conninfo_ = fmt::format("host={} port=5432 user=postgres dbname=postgres", conninfo_quote(dir.string()));
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (PQping(conninfo_.c_str()) == PQPING_OK) return;
    if (postmaster_->ended()) {
      throw StoreError(fmt::format("postgres ended at start-up: {}", log_tail(dir / "server.log")));
    }
    if (std::chrono::steady_clock::now() - start > kReadyTimeout) {
      throw StoreError(fmt::format("postgres did not accept connections within {} s: {}", kReadyTimeout.count(),
                                   log_tail(dir / "server.log")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void PostgresServer::crash_and_restart() {
  resume();
  // The Postmaster's end is the crash: SIGQUIT, and a wait until it (and
  // every backend, which it waits for) is gone.
  postmaster_.reset();
  start_postmaster();
}

void PostgresServer::pause() {
  if (paused_ || !postmaster_) return;
  paused_ = true;
  pid_t pid = postmaster_->pid();
  ::kill(pid, SIGSTOP);
  for (pid_t child : children_of(pid)) ::kill(child, SIGSTOP);
}

void PostgresServer::resume() {
  if (!paused_) return;
  paused_ = false;
  if (postmaster_) continue_server(postmaster_->pid());
}

PostgresServer::~PostgresServer() { resume(); }

const std::filesystem::path& PostgresServer::directory() const { return directory_->path(); }
pid_t PostgresServer::pid() const { return postmaster_->pid(); }
pid_t PostgresServer::watchdog_pid() const { return watchdog_->pid(); }

}  // namespace ticketsim
