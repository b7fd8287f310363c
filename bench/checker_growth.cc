#include "bench/checker_growth.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/checker.h"
#include "sim/errors.h"
#include "sim/history.h"
#include "sim/runner.h"

namespace ticketsim {
namespace {

// A field of /proc/self/status in bytes ("VmHWM", "VmRSS"), or -1.
std::int64_t status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;  // "1234 kB"
  }
  return -1;
}

// Resets the peak resident memory (VmHWM) to the memory resident now.
bool reset_peak() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  return static_cast<bool>(clear_refs.flush());
}

CheckerSample check_clean_history(std::int64_t operations) {
  const std::int64_t buyers = 8;
  const std::int64_t per_buyer = operations / buyers;
  std::vector<std::vector<Operation>> ops(buyers);
  for (auto& buyer : ops) buyer.reserve(static_cast<std::size_t>(per_buyer));
  std::int64_t ticket = buyers * per_buyer;
  std::int64_t t = 0;
  for (std::int64_t i = 0; i < per_buyer; ++i) {
    for (std::int64_t b = 0; b < buyers; ++b, --ticket, t += 2) {
      ops[b].push_back({t, t + 1, ticket, ticket, 0, OperationKind::kBuy, Outcome::kSold});
    }
  }
  std::vector<BuyerHistory> histories;
  for (std::int64_t b = 0; b < buyers; ++b) histories.push_back({static_cast<std::int32_t>(b + 1), ops[b], {}});
  FinalState final_state;
  bool reset = reset_peak();
  std::int64_t before = status_bytes(reset ? "VmRSS" : "VmHWM");
  std::int64_t start = monotonic_ns();
  CheckResult result = check_history({histories, buyers * per_buyer, final_state, 0, 0, {}});
  double seconds = static_cast<double>(monotonic_ns() - start) * 1e-9;
  std::int64_t peak = status_bytes("VmHWM");
  if (!result.valid()) throw RunError("the checker judged a clean history invalid");
  const auto checked = static_cast<double>(buyers * per_buyer);
  double grown = static_cast<double>(std::max<std::int64_t>(0, peak - before));
  return {buyers * per_buyer, checked / seconds, grown / checked};
}

}  // namespace

CheckerSample measure_checker(std::int64_t operations) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw RunError(fmt::format("checker: pipe failed: {}", std::strerror(errno)));
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    int status = 0;
    try {
      CheckerSample sample = check_clean_history(operations);
      if (write(pipe_fds[1], &sample, sizeof sample) != sizeof sample) status = 1;
    } catch (...) {
      status = 1;
    }
    _exit(status);
  }
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    throw RunError(fmt::format("checker: fork failed: {}", std::strerror(errno)));
  }
  CheckerSample sample;
  ssize_t got = 0;
  while ((got = read(pipe_fds[0], &sample, sizeof sample)) < 0 && errno == EINTR) {
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof sample || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw RunError(fmt::format("the checker failed on a clean history of {} operations: {}", operations,
                               describe_wait_status(status)));
  }
  return sample;
}

}  // namespace ticketsim
