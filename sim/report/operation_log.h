// The operation log (--log FILE): one CSV row per operation every buyer
// made, for plotting or for another checker.
#pragma once

#include <string>

#include "sim/runner.h"

namespace ticketsim {

// buyer,pid,operation,start_us,latency_us,tries,outcome,ticket,count; times
// from the release of the buyers; latency empty for an operation its buyer
// never finished, ticket empty unless one was sold, count (the count a
// search read, or a purchase decided on) empty when the store gave no answer.
std::string operation_log_csv(const RunRecord& record);

}  // namespace ticketsim
