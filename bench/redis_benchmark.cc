#include "bench/redis_benchmark.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "sim/errors.h"

namespace ticketsim {
namespace {

constexpr const char* kProgram = "/usr/bin/redis-benchmark";
// The calibration's requests: a fraction of a second at any rate seen here.
constexpr std::int64_t kCalibration = 2000;

// One redis-benchmark run of `requests` requests; its requests/s.
double run_once(const LoadToolWorkload& workload, std::int64_t clients, int threads, std::int64_t requests,
                std::chrono::seconds timeout) {
  std::vector<std::string> argv{kProgram, "-c", std::to_string(clients), "-n", std::to_string(requests),
                                "--threads", std::to_string(std::min<std::int64_t>(threads, clients)), "--csv"};
  argv.insert(argv.end(), workload.arguments.begin(), workload.arguments.end());
  return parse_redis_benchmark_output(run_tool(argv, workload.environment, timeout));
}

}  // namespace

std::string describe_redis_benchmark(std::int64_t clients, int threads, int seconds) {
  return fmt::format("redis-benchmark -c {} --threads {} -n ({} s of requests)", clients,
                     std::min<std::int64_t>(threads, clients), seconds);
}

double parse_redis_benchmark_output(std::string_view output) {
  std::size_t header = output.find("\"test\",\"rps\"");
  std::size_t row = header == std::string_view::npos ? header : output.find('\n', header);
  if (row != std::string_view::npos) {
    // "COMMAND ...","12345.67",...: the second field. The command's own
    // text holds no '"' (redis-benchmark would have escaped none).
    std::size_t comma = output.find("\",\"", row + 1);
    if (comma != std::string_view::npos) {
      std::string rest(output.substr(comma + 3, 32));
      char* end = nullptr;
      double rps = std::strtod(rest.c_str(), &end);
      if (end != rest.c_str() && *end == '"' && rps > 0) return rps;
    }
  }
  throw RunError("redis-benchmark: no requests per second (a row after \"test\",\"rps\") in its output");
}

LoadToolRun run_redis_benchmark(const LoadToolWorkload& workload, std::int64_t clients, int threads, int seconds,
                                const std::filesystem::path& /*scratch*/) {
  // Every request a client has sent is answered, so -n is what ran; the
  // caller holds the server's count against it.
  const std::int64_t calibration = std::max(kCalibration, clients * 100);
  double rate = run_once(workload, clients, threads, calibration, std::chrono::seconds(60));
  auto requests = std::max(calibration, static_cast<std::int64_t>(std::ceil(rate * seconds)));
  // Twice as slow as calibrated is still well within the limit.
  LoadToolRun run;
  run.per_second = run_once(workload, clients, threads, requests, std::chrono::seconds(60 + 4 * seconds));
  run.transactions = calibration + requests;
  return run;
}

}  // namespace ticketsim
