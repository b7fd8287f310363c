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
#include "storage/process.h"
#include "storage/server_process.h"
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

// The ExecArgs for the server's programs. A fixed environment: the user's PG*
// variables are for the server ticketsim connects to, not for the one it
// makes (postgres would read PGPORT, say). TZ spares initdb its search for
// the system's zone.
ExecArgs server_command(std::vector<std::string> args, const std::filesystem::path& bindir) {
  return ExecArgs(std::move(args), {"PATH=" + bindir.string() + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"});
}

// Forks and execs a program of the server as `user`; SIGQUIT (for the
// server, an immediate shutdown) when this process dies.
pid_t spawn(const ExecArgs& command, const PostgresServer::User& user, const std::filesystem::path& cwd, int log_fd,
            bool server) {
  Credentials credentials{user.uid, user.gid};
  return ticketsim::spawn(command, user.switch_to ? &credentials : nullptr, cwd, log_fd, server, SIGQUIT);
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

// The postmaster, a child of this process; stopped with an immediate
// shutdown when this goes.
class PostgresServer::Postmaster {
 public:
  Postmaster(pid_t pid, ServerWatchdog& watchdog) : owner_(::getpid()), pid_(pid), watchdog_(watchdog) {
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
  ServerWatchdog& watchdog_;
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
  watchdog_ = std::make_unique<ServerWatchdog>(directory_->path(), SIGQUIT);
  const std::filesystem::path& dir = directory_->path();
  user_ = user.name;

  // trust: only this account and root can reach the socket, in an
  // owner-only directory. --no-sync: a throwaway cluster need not survive a
  // power cut; the scenario's fsync is the server's, below.
  ExecArgs initdb = server_command({(bindir_ / "initdb").string(), "--pgdata=" + (dir / "data").string(),
                                    "--username=postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
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
  ExecArgs postgres = server_command(std::move(args), bindir_);
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

std::int64_t PostgresServer::crash_and_restart() {
  resume();
  if (options_.crash_tuning) hold_wal_writer();
  std::int64_t killed = monotonic_ns();
  // The Postmaster's end is the crash: SIGQUIT, and a wait until it (and
  // every backend, which it waits for) is gone.
  postmaster_.reset();
  start_postmaster();
  return killed;
}

void PostgresServer::hold_wal_writer() {
  // The WAL writer writes every completed WAL page out of shared memory
  // within moments, so what a crash loses with synchronous_commit = off is
  // only the sales on the last, partial page: between none and a few dozen,
  // by chance. Held for kWalWriterHold (50 ms) before the crash, it writes nothing,
  // and every sale acknowledged meanwhile is certainly in memory only, as on
  // a server whose WAL writer had not come round yet. With synchronous_commit
  // = on each backend flushes its own commit, and the hold changes nothing.
  for (pid_t child : children_of(postmaster_->pid())) {
    std::ifstream in(fmt::format("/proc/{}/cmdline", child));
    std::string title;
    std::getline(in, title, '\0');
    if (title.find("walwriter") == std::string::npos) continue;
    ::kill(child, SIGSTOP);
    std::this_thread::sleep_for(kWalWriterHold);
    // Stopped, it would not see the postmaster's SIGQUIT; its death is the
    // crash's first moment.
    ::kill(child, SIGKILL);
    return;
  }
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
