// The checker's cost as the history grows: its rate and the memory it
// takes beyond the history, each size measured in a fresh process.
#pragma once

#include <cstdint>

namespace ticketsim {

struct CheckerSample {
  std::int64_t operations = 0;
  double per_second = 0;  // operations checked per second
  // The growth of the process's peak resident memory while it checked,
  // per operation: what the checker needs beyond the history it reads.
  double peak_bytes_per_operation = 0;
};

// Builds a clean history of `operations` (8 buyers, every purchase sold)
// in a forked child, so that each size starts from the same memory and
// the parent keeps none of it, and checks it there. Throws RunError when
// the child fails or the checker judges the history invalid.
CheckerSample measure_checker(std::int64_t operations);

}  // namespace ticketsim
