// The terminal report: what a person reads after a run. It reads only the
// Result.
#pragma once

#include <cstdio>
#include <string>

#include "sim/result.h"
#include "storage/words.h"

namespace ticketsim {

// Writes the report to `out`.
void print_report(const Result& result, std::FILE* out);

// "812us", "1.02ms", "3.4s": a duration in seconds, three significant digits.
std::string format_seconds(double seconds);

}  // namespace ticketsim
