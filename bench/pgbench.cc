#include "bench/pgbench.h"

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "sim/errors.h"
#include "storage/postgres_server.h"

namespace ticketsim {
namespace {

// The number after `label` on its line, or nullopt.
std::optional<double> number_after(std::string_view output, std::string_view label) {
  std::size_t at = output.find(label);
  if (at == std::string_view::npos) return std::nullopt;
  std::string rest(output.substr(at + label.size(), 64));
  char* end = nullptr;
  double value = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str()) return std::nullopt;
  return value;
}

}  // namespace

std::string describe_pgbench(std::int64_t clients, int threads, int seconds) {
  return fmt::format("pgbench -n -M prepared -c {} -j {} -T {}", clients, threads, seconds);
}

LoadToolRun parse_pgbench_output(std::string_view output) {
  std::optional<double> processed = number_after(output, "number of transactions actually processed:");
  std::optional<double> tps = number_after(output, "tps = ");
  if (!processed || !tps || output.find("(without initial connection time)") == std::string_view::npos) {
    throw RunError("pgbench: no transaction count and tps (without initial connection time) in its output");
  }
  LoadToolRun run;
  run.per_second = *tps;
  run.transactions = static_cast<std::int64_t>(*processed);
  run.failed = static_cast<std::int64_t>(number_after(output, "number of failed transactions:").value_or(0));
  return run;
}

LoadToolRun run_pgbench(const LoadToolWorkload& workload, std::int64_t clients, int threads, int seconds,
                        const std::filesystem::path& scratch) {
  std::filesystem::path script = scratch / "purchase.sql";
  {
    std::ofstream out(script);
    out << workload.script;
    if (!out.flush()) throw RunError(fmt::format("{}: cannot write pgbench's script", script.string()));
  }
  std::filesystem::path pgbench;
  try {
    pgbench = postgres_program("pgbench");
  } catch (const StoreError& e) {
    throw RunError(e.what());
  }
  // The conninfo as the database name: pgbench expands it as libpq does.
  std::vector<std::string> argv{pgbench.string(), "-n", "-M", "prepared", "-c", std::to_string(clients),
                                "-j", std::to_string(threads), "-T", std::to_string(seconds),
                                "-f", script.string(), workload.conninfo};
  // -T ends it; a stuck lock ends at the sessions' lock_timeout.
  std::string output = run_tool(argv, workload.environment, std::chrono::seconds(seconds + 60));
  LoadToolRun run = parse_pgbench_output(output);
  if (run.failed > 0 || run.transactions == 0) {
    throw RunError(fmt::format("pgbench: {} transactions, {} failed, running {}", run.transactions, run.failed,
                               script.string()));
  }
  return run;
}

}  // namespace ticketsim
