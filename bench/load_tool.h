// The load tools servers ship (pgbench for PostgreSQL, redis-benchmark for
// Redis), as `ticketsim bench` runs them: a strategy's purchase
// (StoreSetup::load_tool_workload), with as many clients as buyers, on the same server, in the same run, so that the
// buyers' sales/s can be held against the tool's transactions/s. One entry
// per tool; the tool a workload names is the one that runs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace ticketsim {

// The client threads a tool runs with in the budgeted figure: pgbench's
// -j 2, as the issue has it (a tool uses no more threads than clients).
constexpr int kLoadToolThreads = 2;

// What one run of a tool measured.
struct LoadToolRun {
  double per_second = 0;           // transactions/s, without the initial connection time
  std::int64_t transactions = 0;   // completed
  std::int64_t failed = 0;         // ended in an error
};

struct LoadTool {
  std::string_view name;  // the LoadToolWorkload::tool it runs: "pgbench", "redis-benchmark"
  // "pgbench -n -M prepared -c 8 -j 2 -T 1": the command line, for the report.
  std::string (*describe)(std::int64_t clients, int threads, int seconds);
  // Runs `workload` with `clients` clients on `threads` threads for
  // `seconds` (`scratch`: a directory for its files). Throws RunError when
  // the tool cannot be found or run, or reports a failed transaction.
  LoadToolRun (*run)(const LoadToolWorkload& workload, std::int64_t clients, int threads, int seconds,
                     const std::filesystem::path& scratch);
};

// The tool called `name`, or nullptr.
const LoadTool* find_load_tool(std::string_view name);

// Runs `argv` with `environment` (NAME=value) added to this process's, its
// standard input /dev/null; its standard output and error, together. Killed
// past `timeout`. Throws RunError when it cannot start, is killed, or exits
// with a status other than 0 (the message ends with its last output line).
std::string run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                     std::chrono::seconds timeout);

}  // namespace ticketsim
