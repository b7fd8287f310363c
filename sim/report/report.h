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

// "12,345" from 100 up (thousands separators, no decimals); "8.52" below
// (three significant digits): a rate, or any number a person reads. Counts
// are grouped() (storage/words.h).
std::string format_rate(double value);

}  // namespace ticketsim
