// redis-benchmark (redis-tools) as a load tool (bench/load_tool.h): the
// strategy's purchase as one command, `redis-benchmark -c N -n COUNT
// --threads T --csv COMMAND...`, against the server the buyers use. It has
// no time limit, so a short calibration run sizes COUNT to the seconds asked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "bench/load_tool.h"

namespace ticketsim {

std::string describe_redis_benchmark(std::int64_t clients, int threads, int seconds);
// `transactions` counts both runs' requests, the calibration's and the
// measured one's; `per_second` is the measured one's.
LoadToolRun run_redis_benchmark(const LoadToolWorkload& workload, std::int64_t clients, int threads, int seconds,
                                const std::filesystem::path& scratch);

// Requests per second from what `redis-benchmark --csv` printed: the row
// after its "test","rps",... header. Throws RunError when there is none.
double parse_redis_benchmark_output(std::string_view output);

}  // namespace ticketsim
