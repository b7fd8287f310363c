// ticketsim bench: measures, in one run, each limit and the simulator
// against it, and prints every figure as a ratio to its limit, next to its
// budget. Ratios measured in one run on one machine are what can be
// compared; absolute figures move with the machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ticketsim {

struct BenchOptions {
  std::vector<std::string> strategies;              // empty: all
  std::vector<std::int64_t> buyers = {1, 2, 8, 32};
  std::filesystem::path store_dir;                  // empty: /dev/shm if it is there, else $TMPDIR or /tmp
  double seconds = 0.5;                             // per measurement, roughly
  std::int64_t spawn_buyers = 1000;
  std::filesystem::path peer;                       // the Python peer; empty: no peer
  std::string ticketsim;                            // this program, for whole-command timing
  std::string postgres_conninfo;                    // the user's server (--postgres); empty: an embedded one
  std::string redis_url;                            // the user's server (--redis); empty: an embedded one
  // Buyer counts at which a strategy with a load tool (pgbench) is held
  // against that tool (pgbench, redis-benchmark), each the median of `tool_rounds` alternations.
  std::vector<std::int64_t> tool_buyers = {1, 8, 32};
  int tool_rounds = 5;
  // Alternations of the bare loop and ticketsim at each buyer count (medians).
  int rounds = 3;
  // History sizes the checker is timed at; its growth is the last over the first.
  std::vector<std::int64_t> checker_operations = {1'000'000, 4'000'000, 16'000'000};
};

// One measured figure and the limit it is held against.
struct Figure {
  std::string name;          // "named-mutex at 8 buyers"
  double value = 0;
  std::string unit;          // "sales/s", "s", "ops/s", "bytes/op"
  std::string limit_name;    // "one process, no lock, same file"
  double limit = 0;
  double ratio = 0;          // value / limit, or limit / value where lower is better
  std::optional<double> budget;  // the ratio the budget asks for at least
  bool met() const { return !budget || ratio >= *budget; }
};

struct BenchReport {
  std::string store_dir;
  std::string store_filesystem;
  std::vector<Figure> figures;
};

// Runs every measurement; `progress` is told what runs now.
BenchReport run_bench(const BenchOptions& options, const std::function<void(const std::string&)>& progress);

void print_bench(const BenchReport& report, std::FILE* out);

// Whether `extension` (".json", ".csv" or ".md") is an export format.
bool is_bench_export_format(std::string_view extension);

// The report as the text of an export: .json, .csv or .md, by `extension`,
// which is_bench_export_format() must accept.
std::string bench_export(const BenchReport& report, std::string_view extension);

}  // namespace ticketsim
