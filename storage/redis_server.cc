#include "storage/redis_server.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "storage/process.h"
#include "storage/server_process.h"
#include "storage/store.h"

namespace ticketsim {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr auto kStopTimeout = std::chrono::seconds(15);
constexpr const char* kServerProgram = "/usr/bin/redis-server";

std::filesystem::path make_directory(std::filesystem::path parent) {
  if (parent.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    parent = tmpdir && *tmpdir ? tmpdir : "/tmp";
  }
  std::string pattern = (parent / "ticketsim-redis-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    throw StoreError(
        fmt::format("{}: cannot make the Redis server's directory: {}", parent.string(), std::strerror(errno)));
  }
  std::filesystem::path path = pattern;
  // A Unix socket's path holds at most 107 bytes.
  if ((path / "redis.sock").string().size() > 107) {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
    throw StoreError(
        fmt::format("{}: too long a path for the server's Unix socket; set TMPDIR to a shorter one", path.string()));
  }
  return path;
}

}  // namespace

RedisServer::RedisServer(const RedisServerOptions& options) : options_(options), owner_(::getpid()) {
  auto start_clock = std::chrono::steady_clock::now();
  if (::access(kServerProgram, X_OK) != 0) {
    throw StoreError(fmt::format("cannot start the embedded Redis server: no {} (install redis-server, or name a "
                                 "server with --redis)",
                                 kServerProgram));
  }
  directory_ = make_directory(options.parent);
  address_.socket = (directory_ / "redis.sock").string();
  try {
    // SIGKILL: the server keeps nothing of a run, and its files go with
    // the directory.
    watchdog_ = std::make_unique<ServerWatchdog>(directory_, SIGKILL);
  } catch (const StoreError&) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw;
  }
  try {
    start();
  } catch (const StoreError& e) {
    stop();
    watchdog_.reset();  // removes the directory
    throw StoreError(fmt::format("cannot start the embedded Redis server: {}", e.what()));
  }
  start_time_ = std::chrono::steady_clock::now() - start_clock;
}

RedisServer::~RedisServer() {
  if (::getpid() != owner_) return;
  stop();
  // The watchdog's end removes the directory.
}

pid_t RedisServer::watchdog_pid() const { return watchdog_->pid(); }

void RedisServer::start() {
  const std::filesystem::path& dir = directory_;
  // port 0: no TCP; the socket is the server's only door, owner-only.
  // save "": no snapshot of its own; appendonly as the scenario says.
  ExecArgs command({kServerProgram, "--port", "0", "--unixsocket", address_.socket, "--unixsocketperm", "700", "--dir",
                   dir.string(), "--save", "", "--appendonly", options_.appendonly ? "yes" : "no", "--appendfsync",
                   options_.appendfsync, "--daemonize", "no", "--maxclients", std::to_string(options_.max_clients),
                   "--loglevel", "warning"},
                  {"PATH=/usr/bin:/bin", "LC_ALL=C"});
  {
    Fd log = open_log(dir / "server.log");
    pid_ = spawn(command, nullptr, dir, log.get(), true, SIGKILL);
    if (pid_ < 0) {
      pid_ = 0;
      throw StoreError(fmt::format("cannot fork redis-server: {}", std::strerror(errno)));
    }
    watchdog_->announce(pid_);
  }
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    try {
      RedisConnection connection(address_, std::chrono::seconds(5));
      return;
    } catch (const StoreError&) {
    }
    if (wait_for(pid_, std::chrono::milliseconds(0))) {
      pid_ = 0;
      watchdog_->announce(0);
      throw StoreError(fmt::format("redis-server ended at start-up: {}", log_tail(dir / "server.log")));
    }
    if (std::chrono::steady_clock::now() - start > kReadyTimeout) {
      throw StoreError(fmt::format("redis-server did not answer within {} s: {}", kReadyTimeout.count(),
                                   log_tail(dir / "server.log")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  paused_ = false;
  ::kill(pid_, SIGKILL);
  continue_server(pid_);
  wait_for(pid_, kStopTimeout);
  // A snapshot's child (BGSAVE, an AOF rewrite) ends with its parent's
  // death signal; its files go with the directory.
  watchdog_->announce(0);
  pid_ = 0;
}

std::int64_t RedisServer::crash_and_restart() {
  std::int64_t killed = monotonic_ns();
  stop();
  start();
  return killed;
}

void RedisServer::pause() {
  if (paused_ || pid_ <= 0) return;
  paused_ = true;
  ::kill(pid_, SIGSTOP);
  for (pid_t child : children_of(pid_)) ::kill(child, SIGSTOP);
}

void RedisServer::resume() {
  if (!paused_) return;
  paused_ = false;
  if (pid_ > 0) continue_server(pid_);
}

}  // namespace ticketsim
