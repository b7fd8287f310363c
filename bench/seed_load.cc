#include "bench/seed_load.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/errors.h"
#include "sim/run_directory.h"
#include "sim/runner.h"
#include "storage/store.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

double seconds_since(std::int64_t start_ns) { return static_cast<double>(monotonic_ns() - start_ns) * 1e-9; }

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string last_line(const std::string& text) {
  std::size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  std::size_t newline = text.rfind('\n', end);
  std::size_t start = newline == std::string::npos ? 0 : newline + 1;
  return text.substr(start, end - start + 1);
}

}  // namespace

double raw_fork_seconds(std::int64_t count) {
  std::fflush(nullptr);
  std::int64_t start = monotonic_ns();
  std::vector<pid_t> pids;
  for (std::int64_t i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) break;
    pids.push_back(pid);
  }
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
  return seconds_since(start);
}

double seed_store_seconds(const std::filesystem::path& parent, std::int64_t buyers, std::int64_t tickets) {
  RunDirectory dir(parent);
  const StrategyInfo& plain = *find_strategy("plain");
  StoreSpec spec{dir.path(), fmt::format("bench-seed-{}", getpid()), tickets, 1, {}, {}, false};
  std::unique_ptr<StoreSetup> setup = plain.create(spec);
  std::int64_t start = monotonic_ns();
  std::unique_ptr<Store> store = setup->open(0);
  BuyRequest request{.buyer_pid = getpid()};
  for (std::int64_t buyer = 0; buyer < buyers; ++buyer) {
    store->search();
    request.operation_id = static_cast<std::uint64_t>(buyer);
    store->buy(request);
  }
  double seconds = seconds_since(start);
  // One process alone never races: every purchase that found a ticket sold it.
  FinalState after = setup->inspect();
  if (after.corrupt || after.remaining != std::max<std::int64_t>(0, tickets - buyers)) {
    throw RunError(fmt::format("the seed's store work in one process left {} of {} tickets", after.remaining, tickets));
  }
  return seconds;
}

CommandRun run_command(const std::vector<std::string>& argv, const std::filesystem::path& scratch) {
  const std::filesystem::path out = scratch / "command.out", err = scratch / "command.err";
  std::fflush(nullptr);
  CommandRun run;
  std::int64_t start = monotonic_ns();
  pid_t pid = fork();
  if (pid == 0) {
    int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out_fd < 0 || err_fd < 0) _exit(127);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (pid < 0) throw RunError(fmt::format("{}: fork failed", argv[0]));
  while (waitpid(pid, &run.status, 0) < 0 && errno == EINTR) {
  }
  run.seconds = seconds_since(start);
  run.out = slurp(out);
  run.err = slurp(err);
  std::error_code ec;
  std::filesystem::remove(out, ec);
  std::filesystem::remove(err, ec);
  return run;
}

PeerRun parse_seed_peer_output(const std::string& out, const std::string& err) {
  PeerRun run;
  std::istringstream lines(out);
  std::string line;
  bool counted = false;
  while (std::getline(lines, line)) {
    if (line.rfind("crashed ", 0) == 0) {
      run.crashed = std::stoll(line.substr(8));
      counted = true;
    }
  }
  if (!counted) {
    throw RunError(fmt::format("the Python peer did not say how many buyers crashed: {}",
                               one_line(last_line(out + err))));
  }
  std::istringstream traces(err);
  while (std::getline(traces, line)) {
    if (line.rfind("json.decoder.JSONDecodeError", 0) == 0) ++run.torn_reads;
  }
  return run;
}

PeerRun run_seed_peer(const std::filesystem::path& peer, std::int64_t buyers, std::int64_t tickets,
                      const std::filesystem::path& scratch) {
  CommandRun command = run_command({"python3", peer.string(), std::to_string(buyers), std::to_string(tickets),
                                    scratch.string()},
                                   scratch);
  if (!WIFEXITED(command.status) || WEXITSTATUS(command.status) != 0) {
    throw RunError(fmt::format("the Python peer failed ({}): {}", describe_wait_status(command.status),
                               one_line(last_line(command.err))));
  }
  PeerRun run = parse_seed_peer_output(command.out, command.err);
  run.seconds = command.seconds;
  return run;
}

}  // namespace ticketsim
