// The few statistics every part of ticketsim uses, with one definition
// each: the metrics of a run, the cells of a comparison, the benchmarks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ticketsim {

// The middle value, or the mean of the two middle values; 0 for none.
double median(std::vector<double> values);

struct MeanDeviation {
  double mean = 0;
  double stddev = 0;
};

// Which standard deviation: of the values themselves (divided by n), or
// the estimate of a larger population from them as a sample (by n - 1;
// 0 for fewer than two values).
enum class Deviation { kPopulation, kSample };

MeanDeviation mean_deviation(std::span<const double> values, Deviation kind);
MeanDeviation mean_deviation(std::span<const std::int64_t> values, Deviation kind);

}  // namespace ticketsim
