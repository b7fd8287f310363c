// Progress as a person reads it (-P): one line per sample on stderr, or on a
// terminal a single line rewritten in place.
#pragma once

#include <cstdio>
#include <string>

#include "sim/progress.h"

namespace ticketsim {

// "progress: 5.0 s, 12,345 sales/s, p99 812us, sold 4,500/10,000, 0 anomalies"
std::string progress_line(const Progress& progress);

// Writes progress lines: one per sample, or on a terminal a single line
// rewritten in place.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::FILE* out);
  ~ProgressPrinter() { end(); }
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  void print(const std::string& line);
  // Ends the live line, if one is open, so that what follows starts clean.
  void end();

 private:
  std::FILE* out_;
  bool live_;
  bool open_ = false;
};

}  // namespace ticketsim
