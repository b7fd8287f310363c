// The embedded Redis server: a redis-server ticketsim starts on a Unix socket
// in a directory of its own (port 0: no TCP), with the persistence the
// scenario asks for, and stops and removes when it goes, even when ticketsim
// is killed with SIGKILL: a watchdog process then does it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/redis_connection.h"

namespace ticketsim {

class ServerWatchdog;

struct RedisServerOptions {
  // Where the server's directory is made; empty: $TMPDIR or /tmp.
  std::filesystem::path parent;
  bool appendonly = false;                 // the append-only file, written before each reply
  std::string appendfsync = "everysec";    // always, everysec or no: when the AOF is fsynced
  std::int64_t max_clients = 10'000;
};

class RedisServer {
 public:
  // Makes the directory, starts redis-server and waits until it answers.
  // Snapshots are off (save ""); a setup takes one with SAVE when it wants
  // a restart to find its keys. Throws StoreError with one line that says
  // why (with the last lines of the server's log) when it cannot.
  //
  // Forks a watchdog: call this before the process starts any thread.
  explicit RedisServer(const RedisServerOptions& options);
  // Stops the server at once (SIGKILL: nothing is kept) and removes its
  // directory. In a forked child it does nothing.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // unix://<directory>/redis.sock
  const RedisAddress& address() const { return address_; }
  const std::filesystem::path& directory() const { return directory_; }
  pid_t pid() const { return pid_; }
  pid_t watchdog_pid() const;
  const RedisServerOptions& options() const { return options_; }

  // A crash: SIGKILL (nothing is flushed that was not written), then a
  // start from the same directory: Redis loads the append-only file, or
  // else the last snapshot. Returns once it answers. Throws StoreError.
  // Forks: call it while no thread runs.
  std::int64_t crash_and_restart();
  // SIGSTOP and SIGCONT to the server (and to what it forked, a snapshot's
  // child). resume() is harmless when nothing is paused.
  void pause();
  void resume();
  std::chrono::nanoseconds start_time() const { return start_time_; }

 private:
  void start();
  void stop();

  RedisServerOptions options_;
  pid_t owner_;
  std::filesystem::path directory_;
  RedisAddress address_;
  std::unique_ptr<ServerWatchdog> watchdog_;
  pid_t pid_ = 0;
  bool paused_ = false;
  std::chrono::nanoseconds start_time_{0};
};

}  // namespace ticketsim
