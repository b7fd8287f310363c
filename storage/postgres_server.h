// The embedded PostgreSQL server: a throwaway cluster ticketsim makes with
// initdb, starts on a Unix socket in a directory of its own (no TCP port),
// and stops and removes when it goes, even when ticketsim is killed with
// SIGKILL: a watchdog process then does it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ticketsim {

class ServerWatchdog;

struct PostgresServerOptions {
  // Where the server's directory is made; empty: $TMPDIR or /tmp. The server
  // runs as another user when ticketsim is root: that user must be able to
  // reach this directory.
  std::filesystem::path parent;
  bool fsync = true;
  std::string synchronous_commit = "on";  // on, off, local, remote_write, remote_apply
  bool full_page_writes = true;
  std::int64_t max_connections = 100;
  // For a planned crash: WAL written only by the WAL writer, and by it only
  // every 10 s or a full page at a time (wal_writer_delay = 10s, no
  // autovacuum, no background writer), so that an immediate shutdown loses
  // the last asynchronous commits (synchronous_commit = off) every time.
  bool crash_tuning = false;
};

// The directory that holds initdb and postgres: `pg_config --bindir` when it
// holds them (Debian's pg_config, from libpq-dev, can name another major
// version's), else /usr/lib/postgresql/15/bin. Throws StoreError.
std::filesystem::path postgres_bindir();

// PostgreSQL's program `name` (pgbench, from postgresql-client-15), looked
// for where postgres_bindir() looks. Throws StoreError.
std::filesystem::path postgres_program(const std::string& name);

class PostgresServer {
 public:
  // Makes the directory, runs initdb and starts the server, and waits until
  // it accepts connections. Throws StoreError with one line that says why
  // (with the last lines of the server's log) when it cannot.
  //
  // Forks a watchdog: call this before the process starts any thread.
  explicit PostgresServer(const PostgresServerOptions& options);
  // Stops the server at once (an immediate shutdown: nothing is kept) and
  // removes its directory. In a forked child it does nothing.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // "host='<directory>' port=5432 user=postgres dbname=postgres".
  const std::string& conninfo() const { return conninfo_; }
  const std::filesystem::path& directory() const;
  pid_t pid() const;           // the postmaster
  pid_t watchdog_pid() const;
  const std::string& user() const { return user_; }  // the account the server runs as

  // A crash: an immediate shutdown (SIGQUIT to the postmaster, as `pg_ctl
  // stop -m immediate`: every process ends at once, nothing is flushed),
  // then a start from the same data directory (crash recovery replays what
  // reached the WAL files). A crash-tuned server's WAL writer is held first
  // (hold_wal_writer). Returns once it accepts connections, with the moment
  // (monotonic_ns) the server began to die. Throws StoreError. Forks: call
  // it while no thread runs.
  std::int64_t crash_and_restart();
  // How long a planned crash holds the WAL writer first (hold_wal_writer).
  static constexpr std::chrono::milliseconds kWalWriterHold{50};
  // SIGSTOP to the postmaster, then to each of its children (found in
  // /proc: the postmaster, stopped first, forks no more); resume() sends
  // SIGCONT to them all. resume() is harmless when nothing is paused.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  std::chrono::nanoseconds start_time() const { return start_time_; }  // initdb to ready

  class Directory;
  class Postmaster;
  struct User;

 private:
  void start_as(const User& user, const PostgresServerOptions& options);
  // Starts the postmaster on the initialized cluster and waits until it
  // accepts connections.
  void start_postmaster();
  void hold_wal_writer();

  // initdb succeeded: a failure after it is the server's, not the account's,
  // and another account would fail the same way.
  bool initialized_ = false;

  std::filesystem::path bindir_;
  std::string user_;
  std::string conninfo_;
  std::chrono::nanoseconds start_time_{0};
  std::unique_ptr<User> account_;
  PostgresServerOptions options_;
  bool paused_ = false;
  // Declared in the order they are made, so that they go in reverse: the
  // server stops, then the watchdog ends, then the directory is removed.
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<ServerWatchdog> watchdog_;
  std::unique_ptr<Postmaster> postmaster_;
};

}  // namespace ticketsim
