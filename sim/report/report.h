// The terminal report: what a person reads after a run. It reads only the
// Result.
#pragma once

#include <cstdio>
#include <string>

#include "sim/result.h"

namespace ticketsim {

// Writes the report to `out`.
void print_report(const Result& result, std::FILE* out);

// "1 buyer", "3 buyers": a count and its word, with an s unless it is one.
std::string plural(std::int64_t n, std::string_view word);

// "812us", "1.02ms", "3.4s": a duration in seconds, three significant digits.
std::string format_seconds(double seconds);

}  // namespace ticketsim
