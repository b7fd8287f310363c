// A fresh owner-only directory for one run's store (or one benchmark's),
// made with mkdtemp and removed with everything in it when the object goes.
#pragma once

#include <filesystem>

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

 private:
  std::filesystem::path path_;
};

}  // namespace ticketsim
