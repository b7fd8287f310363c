// A fresh owner-only directory for one run's store (or one benchmark's),
// made with mkdtemp and removed with everything in it when the object goes;
// and what ticketsim needs to know of where such directories go.
#pragma once

#include <filesystem>
#include <string>

namespace ticketsim {

class RunDirectory {
 public:
  // Makes `parent`/ticketsim-XXXXXX; an empty `parent` means $TMPDIR or
  // /tmp. Throws RunError.
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

// The file system type of the mount that holds `path` ("tmpfs", "ext4"),
// from /proc/self/mountinfo, or from statfs's magic number when that has
// no line for it; "unknown" when neither can tell.
std::string filesystem_type(const std::filesystem::path& path);

}  // namespace ticketsim
