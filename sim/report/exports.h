// What a comparison (or one run) is written as: the terminal table, and the
// export formats chosen by a file's extension.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "sim/report/comparison.h"

namespace ticketsim {

// ".json", ".csv", ".md", ".html"
bool is_export_format(std::string_view extension);
inline constexpr const char* kExportFormats = ".json, .csv, .md or .html";

// The document for `extension`, which is_export_format accepts.
std::string export_text(const Comparison& comparison, std::string_view extension);

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
// break, its quotes doubled.
std::string csv_field(const std::string& value);

// One flat row per run, with a header (RFC 4180).
std::string comparison_csv(const Comparison& comparison);

// A heading, the context, the table with its Relative column, the summary.
std::string comparison_markdown(const Comparison& comparison);

// The terminal's version: context, matrix, table and summary.
void print_comparison(const Comparison& comparison, std::FILE* out);

// "3 of 3", "0 of 3 (invalid 3)": how many of a cell's runs were correct.
std::string correct_runs(const Cell& cell);

// "0.32 ± 0.02", "1.00": the Relative column; "n/a" without a cell correct
// in every run at its buyer count.
std::string relative_text(const Cell& cell, bool spread);

// The ± stddev and CV columns: "n/a" with one run per cell, where there is
// no spread to measure (0 would read as exact).
std::string stddev_text(const Cell& cell, bool spread);
std::string cv_text(const Cell& cell, bool spread);

// "35/0": the cell's purchases retried at least once, and those whose tries
// ran out (pgbench's failed transactions), over its runs.
std::string retried_failed(const Cell& cell);

}  // namespace ticketsim
