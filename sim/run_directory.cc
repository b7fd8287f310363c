#include "sim/run_directory.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fstream>
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
  std::string pattern = (parent / "ticketsim-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    throw RunError(fmt::format("{}: cannot make the run directory: {}", parent.string(), std::strerror(errno)));
  }
  path_ = pattern;
}

RunDirectory::~RunDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ticketsim
