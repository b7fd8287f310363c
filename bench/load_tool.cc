#include "bench/load_tool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "bench/pgbench.h"
#include "bench/redis_benchmark.h"
#include "sim/errors.h"
#include "sim/runner.h"
#include "storage/postgres_connection.h"

extern char** environ;

namespace ticketsim {
namespace {

// One entry per tool.
const LoadTool kLoadTools[] = {
    {.name = "pgbench", .describe = &describe_pgbench, .run = &run_pgbench},
    {.name = "redis-benchmark", .describe = &describe_redis_benchmark, .run = &run_redis_benchmark},
};

// The last non-empty line of `output`, for a message.
std::string last_line(const std::string& output) {
  std::size_t end = output.find_last_not_of("\n\r \t");
  if (end == std::string::npos) return "no output";
  std::size_t start = output.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return one_line(output.substr(start, end + 1 - start));
}

}  // namespace

const LoadTool* find_load_tool(std::string_view name) {
  for (const LoadTool& tool : kLoadTools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

std::string run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                     std::chrono::seconds timeout) {
  // argv and envp made before fork: the child only calls what is safe then.
  std::vector<std::string> env_strings = environment;
  std::vector<char*> args, env;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  for (const std::string& var : env_strings) env.push_back(const_cast<char*>(var.c_str()));
  for (char** var = environ; *var; ++var) env.push_back(*var);
  env.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw RunError(fmt::format("{}: cannot make a pipe: {}", argv[0], std::strerror(errno)));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw RunError(fmt::format("{}: cannot fork: {}", argv[0], std::strerror(errno)));
  }
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(fds[1], 1) < 0 || ::dup2(fds[1], 2) < 0) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string output;
  bool killed = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd readable{fds[0], POLLIN, 0};
    int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) throw RunError(fmt::format("{} did not end within {} s", argv[0], timeout.count()));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) throw RunError(fmt::format("cannot run {}", argv[0]));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw RunError(fmt::format("{} failed ({}): {}", argv[0], describe_wait_status(status), last_line(output)));
  }
  return output;
}

}  // namespace ticketsim
