#include "storage/process.h"

#include <time.h>

#include <fstream>
#include <string>

namespace ticketsim {

bool process_ended(std::int32_t pid) {
  // /proc/<pid>/stat is "pid (comm) state ...": the state follows the last
  // ')', since the command name may itself hold one.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  std::size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return true;
  char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace ticketsim
