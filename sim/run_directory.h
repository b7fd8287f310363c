// A fresh owner-only directory for one run's store (or one benchmark's),
// made with mkdtemp and removed with everything in it when the object goes;
// what ticketsim needs to know of where such directories go; and what a
// ticketsim killed outright (kill -9) left behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ticketsim {

class RunDirectory {
 public:
  // Makes `parent`/ticketsim-<pid>-XXXXXX, the pid this process's; an
  // empty `parent` means $TMPDIR or /tmp. Throws RunError.
  explicit RunDirectory(std::filesystem::path parent);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Where a run directory goes when no parent is given: $TMPDIR or /tmp.
  static std::filesystem::path default_parent();
  // Where benchmarks make theirs, so that the disk does not hide what a
  // store costs: /dev/shm when it is tmpfs, else default_parent().
  static std::filesystem::path fastest_parent();

 private:
  std::filesystem::path path_;
};

// Something a ticketsim process made and, killed outright, could not remove:
// a run directory (`ticketsim-<pid>-XXXXXX`) or a /dev/shm entry of a run
// (`ticketsim-<pid>-<8 hex>...`, `sem.ticketsim-<pid>-<8 hex>...`).
struct Leftover {
  std::filesystem::path path;
  pid_t owner = 0;
  bool directory = false;
};

// The leftovers in /dev/shm and in each of `parents` (the default parent of
// run directories and /dev/shm are always looked in): only entries named as
// ticketsim names its own, owned by this user, whose owner pid is no longer
// a process. Never anything else.
std::vector<Leftover> find_leftovers(std::vector<std::filesystem::path> parents = {});

// Removes `leftover`; an empty string, or why not.
std::string remove_leftover(const Leftover& leftover);

// Finds and removes the leftovers; how many went.
std::size_t sweep_leftovers(std::vector<std::filesystem::path> parents = {});

// The file system type of the mount that holds `path` ("tmpfs", "ext4"),
// from /proc/self/mountinfo, or from statfs's magic number when that has
// no line for it; "unknown" when neither can tell.
std::string filesystem_type(const std::filesystem::path& path);

}  // namespace ticketsim
