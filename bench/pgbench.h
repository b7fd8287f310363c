// pgbench (postgresql-client-15) as a load tool (bench/load_tool.h):
// `pgbench -n -M prepared -c N -j T -T secs -f script` on the strategy's
// purchase, against the server the buyers use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "bench/load_tool.h"

namespace ticketsim {

std::string describe_pgbench(std::int64_t clients, int threads, int seconds);
LoadToolRun run_pgbench(const LoadToolWorkload& workload, std::int64_t clients, int threads, int seconds,
                        const std::filesystem::path& scratch);

// What pgbench printed, read: "number of transactions actually processed:",
// "number of failed transactions:" and "tps = ... (without initial
// connection time)". Throws RunError naming what is missing.
LoadToolRun parse_pgbench_output(std::string_view output);

}  // namespace ticketsim
