#include "sim/run_directory.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sim/errors.h"

namespace ticketsim {

std::filesystem::path RunDirectory::default_parent() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && *tmpdir ? tmpdir : "/tmp";
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
