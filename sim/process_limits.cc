#include "sim/process_limits.h"

#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "sim/errors.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

// The kernel hands out pids from 300 up once they wrap (RESERVED_PIDS).
constexpr std::int64_t kReservedPids = 300;
// Files a buyer opens of its own (a store's database, its WAL and index, a
// lock file, a socket): an upper bound.
constexpr std::int64_t kFilesPerBuyer = 8;

std::optional<std::int64_t> read_number(const char* path) {
  std::ifstream in(path);
  std::int64_t value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

// Tasks (processes and threads) on the machine now: /proc/loadavg's
// "running/total".
std::optional<std::int64_t> tasks_now() {
  std::ifstream in("/proc/loadavg");
  std::string load1, load5, load15, tasks;
  if (!(in >> load1 >> load5 >> load15 >> tasks)) return std::nullopt;
  std::size_t slash = tasks.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return std::stoll(tasks.substr(slash + 1));
}

std::string mib(std::int64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

void check_process_limits(const Scenario& scenario, const StrategyInfo& strategy) {
  const std::int64_t buyers = scenario.buyers;
  const bool embedded_server =
      strategy.server && (strategy.server_kind == ServerKind::kRedis ? scenario.redis_url : scenario.postgres_conninfo).empty();
  // The processes the run adds: the buyers, the seller, the monitor; an
  // embedded PostgreSQL server a backend per buyer. (RLIMIT_NPROC, this
  // user's processes, is checked with the buyers' count: set_buyers.)
  std::int64_t ours = buyers + (strategy.has_seller ? 1 : 0) + (scenario.monitor_interval.count() > 0 ? 1 : 0);
  std::int64_t server = 0;
  if (embedded_server) server = strategy.server_kind == ServerKind::kPostgres ? buyers + 10 : 1;
  const std::string who = plural(buyers, "buyer");

  std::optional<std::int64_t> tasks = tasks_now();
  std::int64_t needed = ours + server;
  if (std::optional<std::int64_t> pid_max = read_number("/proc/sys/kernel/pid_max"); pid_max && tasks &&
      *tasks + needed > *pid_max - kReservedPids) {
    throw InputError(fmt::format(
        "{}: kernel.pid_max is {} and {} tasks run now; {} need {} more pids; raise it with "
        "`sysctl kernel.pid_max={}`",
        scenario.file, grouped(*pid_max), grouped(*tasks), who, grouped(needed),
        *tasks + needed + kReservedPids + 1000));
  }
  if (std::optional<std::int64_t> threads_max = read_number("/proc/sys/kernel/threads-max"); threads_max && tasks &&
      *tasks + needed > *threads_max) {
    throw InputError(fmt::format(
        "{}: kernel.threads-max is {} and {} tasks run now; {} need {} more; raise it with "
        "`sysctl kernel.threads-max={}`",
        scenario.file, grouped(*threads_max), grouped(*tasks), who, grouped(needed), *tasks + needed + 1000));
  }

  // A strategy with a seller (queue) keeps a reply message queue per buyer
  // in /dev/shm, a page each; the others' named objects are a few bytes,
  // and the history is anonymous shared memory, held to the machine's
  // memory (check_runnable).
  struct statvfs shm {};
  if (strategy.has_seller && statvfs("/dev/shm", &shm) == 0 && shm.f_blocks > 0) {
    const std::int64_t page = sysconf(_SC_PAGESIZE);
    std::int64_t room = static_cast<std::int64_t>(shm.f_bavail) * static_cast<std::int64_t>(shm.f_frsize);
    std::int64_t want = (buyers + 2) * page;
    if (room < want) {
      std::int64_t size = static_cast<std::int64_t>(shm.f_blocks) * static_cast<std::int64_t>(shm.f_frsize);
      throw InputError(fmt::format(
          "{}: /dev/shm has {} free, and the reply message queues of {} need {} there; raise its size with "
          "`mount -o remount,size={}M /dev/shm`",
          scenario.file, mib(room), who, mib(want), (size + want - room) / (1 << 20) + 1));
    }
  }

  // Open files, machine-wide: those open now and a few per buyer.
  std::ifstream file_nr("/proc/sys/fs/file-nr");
  std::int64_t open_files = 0, unused = 0, file_max = 0;
  if (file_nr >> open_files >> unused >> file_max && file_max > 0 && open_files + buyers * kFilesPerBuyer > file_max) {
    throw InputError(fmt::format(
        "{}: fs.file-max is {} open files and {} are open now; {} need up to {} more; raise it with "
        "`sysctl fs.file-max={}`",
        scenario.file, grouped(file_max), grouped(open_files), who, grouped(buyers * kFilesPerBuyer),
        open_files + buyers * kFilesPerBuyer + 10'000));
  }
  // An embedded Redis server, started by this process, inherits its
  // RLIMIT_NOFILE and needs a file per connection, one per buyer: it can
  // raise its soft limit to the hard one, and past it only as root.
  rlimit nofile{};
  const std::int64_t redis_files = buyers + 32 + 2;
  if (embedded_server && strategy.server_kind == ServerKind::kRedis && getuid() != 0 &&
      getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max != RLIM_INFINITY &&
      static_cast<std::int64_t>(nofile.rlim_max) < redis_files) {
    throw InputError(fmt::format(
        "{}: RLIMIT_NOFILE (ulimit -n) allows {} open files, and the embedded Redis server needs one per "
        "connection: {} for {}; raise it with `ulimit -n {}` (its hard limit: /etc/security/limits.conf)",
        scenario.file, grouped(static_cast<std::int64_t>(nofile.rlim_max)), grouped(redis_files), who,
        redis_files));
  }
}

}  // namespace ticketsim
