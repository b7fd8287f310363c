#include "sim/report/progress_printer.h"

#include <unistd.h>

#include <fmt/format.h>

#include "sim/report/comparison.h"
#include "sim/report/report.h"

namespace ticketsim {

std::string progress_line(const Progress& p) {
  return fmt::format("progress: {:.1f} s, {} sales/s, p99 {}, sold {}/{}, {}", p.elapsed_s,
                     format_rate(p.sales_per_s), p.buy_p99_s > 0 ? format_seconds(p.buy_p99_s) : "-",
                     grouped(p.sold), grouped(p.tickets),
                     plural(p.anomalies, "anomaly", "anomalies"));
}

ProgressPrinter::ProgressPrinter(std::FILE* out) : out_(out), live_(isatty(fileno(out)) == 1) {}

void ProgressPrinter::print(const std::string& line) {
  if (live_) {
    fmt::print(out_, "\r{}\x1b[K", line);
    open_ = true;
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

void ProgressPrinter::end() {
  if (!open_) return;
  fmt::print(out_, "\n");
  std::fflush(out_);
  open_ = false;
}

}  // namespace ticketsim
