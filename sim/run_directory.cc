#include "sim/run_directory.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/errors.h"

namespace ticketsim {
namespace {

// When /proc/self/mountinfo has no line for the device: the magic numbers
// of the file systems a store is likely to be on.
std::string filesystem_from_magic(const std::filesystem::path& path) {
  struct statfs info {};
  if (statfs(path.c_str(), &info) != 0) return "unknown";
  switch (static_cast<unsigned long>(info.f_type)) {
    case 0x01021994: return "tmpfs";
    case 0xEF53: return "ext2/ext3/ext4";
    case 0x9123683E: return "btrfs";
    case 0x58465342: return "xfs";
    case 0x794c7630: return "overlay";
    case 0x6969: return "nfs";
    case 0x2FC12FC1: return "zfs";
    case 0xF2F52010: return "f2fs";
    case 0x858458f6: return "ramfs";
    case 0x65735546: return "fuse";
    default: return fmt::format("0x{:x}", static_cast<unsigned long>(info.f_type));
  }
}

}  // namespace

std::string filesystem_type(const std::filesystem::path& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "unknown";
  // mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw"
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string device = fmt::format("{}:{}", major(st.st_dev), minor(st.st_dev));
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, numbers;
    fields >> id >> parent >> numbers;
    if (numbers != device) continue;
    std::size_t separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream rest(line.substr(separator + 3));
    std::string type;
    rest >> type;
    if (!type.empty()) return type;
  }
  return filesystem_from_magic(path);
}


std::filesystem::path RunDirectory::default_parent() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

std::filesystem::path RunDirectory::fastest_parent() {
  if (filesystem_type("/dev/shm") == "tmpfs") return "/dev/shm";
  return default_parent();
}

RunDirectory::RunDirectory(std::filesystem::path parent) {
  if (parent.empty()) parent = default_parent();
  // The pid in the name tells `ticketsim clean` (and the sweep each run
  // makes at its start) whether the directory's owner is still alive.
  std::string pattern = (parent / fmt::format("ticketsim-{}-XXXXXX", getpid())).string();
  if (!mkdtemp(pattern.data())) {
    throw RunError(fmt::format("{}: cannot make the run directory: {}", parent.string(), std::strerror(errno)));
  }
  path_ = pattern;
}

namespace {

// Whether `pid` is a process (a zombie counts: its parent may still reap it
// and clean up).
bool process_exists(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

void look_in(const std::filesystem::path& parent, bool shm, std::set<std::filesystem::path>& seen,
             std::vector<Leftover>& found) {
  // Run directories: ticketsim-<pid>-XXXXXX (mkdtemp's six characters).
  static const std::regex run_directory(R"(ticketsim-([0-9]{1,9})-[A-Za-z0-9]{6})");
  // A run's named objects: "ticketsim-" + run id ("<pid>-<8 hex>") and what
  // the stores add after it; a named semaphore has glibc's "sem." before it.
  static const std::regex shm_object(R"((?:sem\.)?ticketsim-([0-9]{1,9})-[0-9a-f]{8}(?:-[A-Za-z0-9-]+)?)");
  std::error_code ec;
  std::filesystem::directory_iterator entries(parent, ec);
  if (ec) return;
  for (const std::filesystem::directory_entry& entry : entries) {
    std::string name = entry.path().filename().string();
    std::smatch match;
    struct stat st {};
    if (lstat(entry.path().c_str(), &st) != 0 || st.st_uid != geteuid()) continue;
    bool directory = S_ISDIR(st.st_mode);
    if (directory && std::regex_match(name, match, run_directory)) {
      // A directory, never a link to one.
    } else if (shm && S_ISREG(st.st_mode) && std::regex_match(name, match, shm_object)) {
    } else {
      continue;
    }
    pid_t owner = static_cast<pid_t>(std::stol(match[1].str()));
    if (owner == getpid() || process_exists(owner)) continue;
    std::filesystem::path key = std::filesystem::weakly_canonical(entry.path(), ec);
    if (ec) key = entry.path();
    if (!seen.insert(key).second) continue;
    found.push_back({entry.path(), owner, directory});
  }
}

}  // namespace

std::vector<Leftover> find_leftovers(std::vector<std::filesystem::path> parents) {
  parents.push_back(RunDirectory::default_parent());
  std::set<std::filesystem::path> seen;
  std::vector<Leftover> found;
  look_in("/dev/shm", true, seen, found);
  for (const std::filesystem::path& parent : parents) {
    if (!parent.empty()) look_in(parent, false, seen, found);
  }
  return found;
}

std::string remove_leftover(const Leftover& leftover) {
  std::error_code ec;
  if (leftover.directory) {
    std::filesystem::remove_all(leftover.path, ec);
  } else {
    std::filesystem::remove(leftover.path, ec);
  }
  return ec ? ec.message() : "";
}

std::size_t sweep_leftovers(std::vector<std::filesystem::path> parents) {
  std::size_t removed = 0;
  for (const Leftover& leftover : find_leftovers(std::move(parents))) removed += remove_leftover(leftover).empty();
  return removed;
}

RunDirectory::~RunDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ticketsim
