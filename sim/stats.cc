#include "sim/stats.h"

#include <algorithm>
#include <cmath>

namespace ticketsim {
namespace {

template <typename T>
MeanDeviation mean_deviation_of(std::span<const T> values, Deviation kind) {
  MeanDeviation result;
  if (values.empty()) return result;
  double n = static_cast<double>(values.size());
  double sum = 0;
  for (T value : values) sum += static_cast<double>(value);
  result.mean = sum / n;
  double squares = 0;
  for (T value : values) squares += (static_cast<double>(value) - result.mean) * (static_cast<double>(value) - result.mean);
  if (kind == Deviation::kPopulation) result.stddev = std::sqrt(squares / n);
  else if (values.size() > 1) result.stddev = std::sqrt(squares / (n - 1));
  return result;
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

MeanDeviation mean_deviation(std::span<const double> values, Deviation kind) { return mean_deviation_of(values, kind); }

MeanDeviation mean_deviation(std::span<const std::int64_t> values, Deviation kind) {
  return mean_deviation_of(values, kind);
}

}  // namespace ticketsim
