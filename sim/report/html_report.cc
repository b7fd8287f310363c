// The HTML report: one self-contained file (no script, no network, no font
// to fetch) whose charts are inline SVG drawn here, so that it renders the
// same in a browser, a mail client or a CI artifact viewer, and prints.
#include "sim/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "sim/report/exports.h"
#include "sim/report/report.h"

namespace ticketsim {
namespace {

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Okabe-Ito: told apart by people with any common colour blindness.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

// A strategy's place in the matrix: its colour and its marker in every chart.
std::size_t style_of(const Comparison& comparison, const std::string& strategy) {
  auto it = std::find(comparison.strategies.begin(), comparison.strategies.end(), strategy);
  return it == comparison.strategies.end() ? 0 : static_cast<std::size_t>(it - comparison.strategies.begin());
}

// A marker shape per series, beside its colour, so that no series is told
// apart by colour alone (in print, or by a reader who sees fewer colours).
std::string marker(std::size_t series, double cx, double cy, const std::string& color, const std::string& tip) {
  std::string title = tip.empty() ? "" : fmt::format("<title>{}</title>", escape(tip));
  switch (series % 4) {
    case 0:
      return fmt::format("<circle class=\"marker\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\">{}</circle>\n", cx,
                         cy, color, title);
    case 1:
      return fmt::format("<rect class=\"marker\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"7\" height=\"7\" fill=\"{}\">{}</rect>\n",
                         cx - 3.5, cy - 3.5, color, title);
    case 2:
      return fmt::format("<polygon class=\"marker\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"{}\">{}</polygon>\n",
                         cx, cy - 4.5, cx + 4.5, cy + 3.5, cx - 4.5, cy + 3.5, color, title);
    default:
      return fmt::format(
          "<polygon class=\"marker\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"{}\">{}</polygon>\n",
          cx, cy - 4.5, cx + 4.5, cy, cx, cy + 4.5, cx - 4.5, cy, color, title);
  }
}

struct Point {
  double x = 0, y = 0;
  std::string tip;  // shown on hover
};

struct Series {
  std::string name;
  std::size_t style = 0;  // colour and marker, from style_of
  std::vector<Point> points;

  const char* color() const { return kPalette[style % std::size(kPalette)]; }
};

// A scale maps values to pixels; a log scale needs positive values.
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  double from = 0, to = 1;  // pixels

  double operator()(double value) const {
    double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    double v = log ? std::log10(std::max(value, lo)) : value;
    if (b == a) return (from + to) / 2;
    return from + (v - a) / (b - a) * (to - from);
  }
};

// Ticks at 1, 2 or 5 times a power of ten; a log scale ticks each decade.
std::vector<double> ticks_of(Scale& scale) {
  std::vector<double> ticks;
  if (scale.log) {
    scale.lo = std::pow(10.0, std::floor(std::log10(scale.lo)));
    scale.hi = std::pow(10.0, std::ceil(std::log10(scale.hi)));
    if (scale.hi <= scale.lo) scale.hi = scale.lo * 10;
    // Each decade from its exponent: multiplying by 10 drifts (1e-4 would
    // print as 100.0us).
    int first = static_cast<int>(std::lround(std::log10(scale.lo)));
    int last = static_cast<int>(std::lround(std::log10(scale.hi)));
    for (int exponent = first; exponent <= last; ++exponent) ticks.push_back(std::pow(10.0, exponent));
    return ticks;
  }
  double span = scale.hi - scale.lo;
  if (span <= 0) span = std::max(1.0, std::fabs(scale.hi)), scale.hi = scale.lo + span;
  double raw = span / 5;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : raw / power < 7.5 ? 5 * power : 10 * power;
  scale.lo = std::floor(scale.lo / step) * step;
  scale.hi = std::ceil(scale.hi / step) * step;
  long count = std::lround((scale.hi - scale.lo) / step);
  for (long i = 0; i <= count; ++i) ticks.push_back(scale.lo + static_cast<double>(i) * step);
  return ticks;
}

std::string number_label(double value) {
  if (value != 0 && (std::fabs(value) >= 1e6 || std::fabs(value) < 1e-2)) return fmt::format("{:.0e}", value);
  return format_rate(value);
}

struct ChartSpec {
  std::string id;
  std::string title;
  std::string x_label;
  std::string y_label;
  bool y_log = false;
  bool y_zero = true;  // linear y starts at 0
  // Categorical x: the points' x are indices into these labels.
  std::vector<std::string> categories;
  bool x_log = false;
  std::function<std::string(double)> x_format = number_label;
  std::function<std::string(double)> y_format = number_label;
};

constexpr double kWidth = 640, kHeight = 340;
constexpr double kLeft = 78, kRight = 150, kTop = 16, kBottom = 52;
constexpr std::size_t kMaxDots = 60;

std::string line_chart(const ChartSpec& spec, const std::vector<Series>& series) {
  std::string svg = fmt::format(
      "<figure class=\"chart\" id=\"{}\"><figcaption>{}</figcaption>\n"
      "<svg viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      spec.id, escape(spec.title), kWidth, kHeight, escape(spec.title));
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : series) {
    for (const Point& p : s.points) {
      if (spec.y_log && p.y <= 0) continue;
      x_lo = std::min(x_lo, p.x), x_hi = std::max(x_hi, p.x);
      y_lo = std::min(y_lo, p.y), y_hi = std::max(y_hi, p.y);
    }
  }
  if (!std::isfinite(x_lo)) {
    return svg + fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text></svg></figure>\n",
                             kWidth / 2, kHeight / 2);
  }
  Scale x{x_lo, x_hi, spec.x_log, kLeft, kWidth - kRight};
  Scale y{spec.y_zero && !spec.y_log ? std::min(0.0, y_lo) : y_lo, y_hi, spec.y_log, kHeight - kBottom, kTop};
  if (!spec.categories.empty()) {
    x.lo = -0.5, x.hi = static_cast<double>(spec.categories.size()) - 0.5, x.log = false;
  }
  std::vector<double> x_ticks;
  if (spec.categories.empty()) x_ticks = ticks_of(x);
  std::vector<double> y_ticks = ticks_of(y);

  svg += "<g class=\"axes\" font-size=\"12\" fill=\"#333\">\n";
  for (double tick : y_ticks) {
    double py = y(tick);
    svg += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                       kLeft, kWidth - kRight, py, py, kLeft - 6, py + 4, escape(spec.y_format(tick)));
  }
  if (!spec.categories.empty()) {
    for (std::size_t i = 0; i < spec.categories.size(); ++i) {
      double px = x(static_cast<double>(i));
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", px,
                         kHeight - kBottom + 18, escape(spec.categories[i]));
    }
  } else {
    for (double tick : x_ticks) {
      double px = x(tick);
      svg += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
                         "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                         px, px, kTop, kHeight - kBottom, px, kHeight - kBottom + 18, escape(spec.x_format(tick)));
    }
  }
  svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", kLeft, kWidth - kRight,
                     kHeight - kBottom, kHeight - kBottom);
  svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", kLeft, kLeft, kTop,
                     kHeight - kBottom);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                     (kLeft + kWidth - kRight) / 2, kHeight - 12, escape(spec.x_label));
  svg += fmt::format("<text transform=\"translate(16 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     (kTop + kHeight - kBottom) / 2, escape(spec.y_label));
  svg += "</g>\n";

  double legend_y = kTop + 8;
  for (const Series& s : series) {
    std::string path;
    for (const Point& p : s.points) {
      if (spec.y_log && p.y <= 0) continue;
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x(p.x), y(p.y));
    }
    svg += fmt::format("<g class=\"series\" data-series=\"{}\">\n", escape(s.name));
    if (!path.empty()) {
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", path, s.color());
    }
    // Dots mark measured points; on a dense line (the monitor's samples)
    // they would only thicken it.
    for (const Point& p : s.points) {
      if ((spec.y_log && p.y <= 0) || s.points.size() > kMaxDots) continue;
      svg += marker(s.style, x(p.x), y(p.y), s.color(), p.tip);
    }
    svg += "</g>\n";
    svg += fmt::format("<g class=\"legend\" font-size=\"12\"><line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" "
                       "y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"/>{}<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text></g>\n",
                       kWidth - kRight + 8, legend_y - 4, kWidth - kRight + 26, legend_y - 4, s.color(),
                       marker(s.style, kWidth - kRight + 17, legend_y - 4, s.color(), ""), kWidth - kRight + 30,
                       legend_y, escape(s.name));
    legend_y += 18;
  }
  return svg + "</svg></figure>\n";
}

std::vector<std::string> buyer_labels(const Comparison& comparison) {
  std::vector<std::string> labels;
  for (std::int64_t buyers : comparison.buyers) labels.push_back(std::to_string(buyers));
  return labels;
}

double buyer_index(const Comparison& comparison, std::int64_t buyers) {
  auto it = std::find(comparison.buyers.begin(), comparison.buyers.end(), buyers);
  return static_cast<double>(it - comparison.buyers.begin());
}

std::string sales_chart(const Comparison& comparison, const std::vector<Cell>& cells) {
  ChartSpec spec{.id = "sales-per-second", .title = "Sales per second (median of the runs) against buyers",
                 .x_label = "buyers", .y_label = "sales/s", .categories = buyer_labels(comparison)};
  std::vector<Series> series;
  for (const std::string& strategy : comparison.strategies) {
    Series s{strategy, style_of(comparison, strategy), {}};
    for (const Cell& cell : cells) {
      if (cell.strategy != strategy) continue;
      s.points.push_back({buyer_index(comparison, cell.buyers), cell.median,
                          fmt::format("{} at {}: {} sales/s (± {}, {} to {}), correct in {}", strategy,
                                      plural(cell.buyers, "buyer"), format_rate(cell.median), format_rate(cell.stddev),
                                      format_rate(cell.min), format_rate(cell.max), correct_runs(cell))});
    }
    series.push_back(std::move(s));
  }
  // One strategy far faster than the rest (plain, with no lock to wait
  // for) would flatten every other line against the axis: past ten times
  // between the fastest and slowest cell, the axis is logarithmic.
  double lowest = 0, highest = 0;
  for (const Cell& cell : cells) {
    if (cell.median <= 0) continue;
    lowest = lowest == 0 ? cell.median : std::min(lowest, cell.median);
    highest = std::max(highest, cell.median);
  }
  if (lowest > 0 && highest > 10 * lowest) {
    spec.y_log = true;
    spec.y_zero = false;
    spec.title += " (log scale: the rates span more than ten times)";
  }
  return line_chart(spec, series);
}

std::string p99_chart(const Comparison& comparison, const std::vector<Cell>& cells) {
  ChartSpec spec{.id = "p99-latency", .title = "p99 buy latency (median of the runs) against buyers",
                 .x_label = "buyers", .y_label = "p99 buy latency", .y_log = true,
                 .categories = buyer_labels(comparison),
                 .y_format = format_seconds};
  std::vector<Series> series;
  for (const std::string& strategy : comparison.strategies) {
    Series s{strategy, style_of(comparison, strategy), {}};
    for (const Cell& cell : cells) {
      if (cell.strategy != strategy) continue;
      s.points.push_back({buyer_index(comparison, cell.buyers), cell.buy_p99_s,
                          fmt::format("{} at {}: p99 {}", strategy, plural(cell.buyers, "buyer"), format_seconds(cell.buy_p99_s))});
    }
    series.push_back(std::move(s));
  }
  return line_chart(spec, series);
}

// A grid: a row per strategy, a column per buyer count; green where every
// run was correct, red as more runs found anomalies.
std::string anomaly_chart(const Comparison& comparison, const std::vector<Cell>& cells) {
  const double left = 130, top = 30, cell_h = 34;
  const double cell_w = (kWidth - left - 10) / static_cast<double>(std::max<std::size_t>(1, comparison.buyers.size()));
  double height = top + cell_h * static_cast<double>(comparison.strategies.size()) + 36;
  std::string svg = fmt::format(
      "<figure class=\"chart\" id=\"anomalies\"><figcaption>Anomalies per cell: found in every run (total), and in how many of its runs</figcaption>\n"
      "<svg viewBox=\"0 0 {} {:.0f}\" role=\"img\" aria-label=\"anomalies per cell\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">\n",
      kWidth, height);
  for (std::size_t j = 0; j < comparison.buyers.size(); ++j) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       left + cell_w * (static_cast<double>(j) + 0.5), top - 10, plural(comparison.buyers[j], "buyer"));
  }
  for (std::size_t i = 0; i < comparison.strategies.size(); ++i) {
    const std::string& strategy = comparison.strategies[i];
    double y = top + cell_h * static_cast<double>(i);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 8, y + cell_h / 2 + 4,
                       escape(strategy));
    for (const Cell& cell : cells) {
      if (cell.strategy != strategy) continue;
      double x = left + cell_w * buyer_index(comparison, cell.buyers);
      std::int64_t total = 0, runs_with_any = 0;
      for (const auto& [anomaly, count] : cell.totals) total += count;
      for (const RunRow* row : cell.runs) runs_with_any += row->anomaly_total() > 0;
      double share = static_cast<double>(runs_with_any) / static_cast<double>(cell.runs.size());
      std::string fill = total == 0 && cell.all_correct() ? "#d9f0d3"
                         : total == 0                      ? "#fee8c8"
                                                           : fmt::format("rgba(215,48,39,{:.2f})", 0.25 + 0.6 * share);
      std::string tip = fmt::format("{} at {}: correct in {}", strategy, plural(cell.buyers, "buyer"), correct_runs(cell));
      for (const auto& [anomaly, count] : cell.totals) {
        if (count > 0) tip += fmt::format("; {} {}", anomaly_key(anomaly), grouped(count));
      }
      svg += fmt::format("<g class=\"cell\"><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                         "fill=\"{}\" stroke=\"#fff\" stroke-width=\"2\"><title>{}</title></rect>"
                         "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{} ({}/{})</text></g>\n",
                         x, y, cell_w, cell_h, fill, escape(tip), x + cell_w / 2, y + cell_h / 2 + 4,
                         format_rate(static_cast<double>(total)), runs_with_any, cell.runs.size());
    }
  }
  return svg + "</svg></figure>\n";
}

// Each strategy's buys at the largest buyer count, all runs pooled.
std::string latency_distribution_chart(const Comparison& comparison) {
  std::int64_t buyers = largest_buyers_run(comparison);
  ChartSpec spec{.id = "latency-distribution",
                 .title = fmt::format("Buy latency distribution at {} (all runs pooled)", plural(buyers, "buyer")),
                 .x_label = "buy latency", .y_label = "% of buys", .categories = {}, .x_log = true,
                 .x_format = format_seconds,
                 .y_format = [](double v) { return fmt::format("{:g}%", v); }};
  std::vector<Series> series;
  for (const std::string& strategy : comparison.strategies) {
    std::vector<std::int64_t> counts(kHistogramBuckets, 0);
    std::int64_t total = 0;
    for (const RunRow& row : comparison.rows) {
      if (row.strategy() != strategy || row.buyers() != buyers || row.buy_histogram().empty()) continue;
      const std::vector<std::int64_t>& histogram = row.buy_histogram();
      for (int i = 0; i < kHistogramBuckets; ++i) counts[i] += histogram[i], total += histogram[i];
    }
    if (total == 0) continue;
    int first = 0, last = kHistogramBuckets - 1;
    while (counts[first] == 0) ++first;
    while (counts[last] == 0) --last;
    Series s{strategy, style_of(comparison, strategy), {}};
    for (int i = std::max(0, first - 1); i <= std::min(kHistogramBuckets - 1, last + 1); ++i) {
      double middle = std::sqrt(histogram_lower_s(i) * histogram_lower_s(i + 1));
      double share = 100.0 * static_cast<double>(counts[i]) / static_cast<double>(total);
      s.points.push_back({middle, share,
                          fmt::format("{}: {:.1f}% of buys took {} to {}", strategy, share,
                                      format_seconds(histogram_lower_s(i)), format_seconds(histogram_lower_s(i + 1)))});
    }
    series.push_back(std::move(s));
  }
  return line_chart(spec, series);
}

// The monitor's samples: each strategy's first run (with the monitor) at
// the largest buyer count, as its title says.
std::string inventory_chart(const Comparison& comparison) {
  std::int64_t buyers = largest_buyers_run(comparison);
  ChartSpec spec{.id = "inventory",
                 .title = fmt::format("Tickets left over time at {}: each strategy's first run (the monitor's reads)",
                                      plural(buyers, "buyer")),
                 .x_label = "seconds since the buyers were released", .y_label = "tickets left", .categories = {},
                 .x_format = [](double s) { return fmt::format("{:g}", s); }};
  std::vector<Series> series;
  for (const std::string& strategy : comparison.strategies) {
    for (const RunRow& row : comparison.rows) {
      if (row.strategy() != strategy || row.buyers() != buyers || row.inventory().empty()) continue;
      Series s{strategy, style_of(comparison, strategy), {}};
      // At most a few hundred points: the line looks the same, the file stays small.
      std::size_t step = std::max<std::size_t>(1, row.inventory().size() / 300);
      for (std::size_t i = 0; i < row.inventory().size(); i += step) {
        const InventorySample& sample = row.inventory()[i];
        s.points.push_back({sample.at_s, static_cast<double>(sample.count),
                            fmt::format("{} run {}: {} left at {:.3f} s", strategy, row.run, sample.count, sample.at_s)});
      }
      series.push_back(std::move(s));
      break;
    }
  }
  if (series.empty()) {
    return "<figure class=\"chart\" id=\"inventory\"><figcaption>Tickets left over time</figcaption>"
           "<p class=\"note\">No run had the monitor: set <code>monitor_interval</code> in the scenario to "
           "see the count the store showed while the buyers ran.</p></figure>\n";
  }
  return line_chart(spec, series);
}

std::string table_html(const Comparison& comparison, const std::vector<Cell>& cells) {
  bool spread = comparison.runs > 1;
  std::string html =
      "<table id=\"cells\"><thead><tr><th>Strategy</th><th>Buyers</th><th>Sales/s (median)</th><th>± stddev</th>"
      "<th>CV</th><th>Relative</th><th>p99 buy</th><th title=\"purchases retried at least once / purchases whose "
      "tries ran out, over the runs\">Retried/failed</th><th>Correct runs</th></tr></thead><tbody>\n";
  for (const Cell& cell : cells) {
    html += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                        "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        cell.all_correct() ? "correct" : "wrong", escape(cell.strategy), grouped(cell.buyers),
                        format_rate(cell.median), stddev_text(cell, spread), cv_text(cell, spread),
                        escape(relative_text(cell, spread)), format_seconds(cell.buy_p99_s),
                        escape(retried_failed(cell)), escape(correct_runs(cell)));
  }
  return html + "</tbody></table>\n";
}

std::string runs_html(const Comparison& comparison) {
  std::string html = fmt::format(
      "<details><summary>Every run ({})</summary><table id=\"runs\"><thead><tr><th>Strategy</th><th>Buyers</th>"
      "<th>Run</th><th>Verdict</th><th>Sold</th><th>Sales/s</th><th>p99 buy</th><th>Anomalies</th>"
      "<th>Serialization/deadlock failures</th><th>Retried (retries)</th><th>Failed</th><th>Connect median/max</th>"
      "<th>Repeat with</th></tr></thead><tbody>\n",
      comparison.rows.size());
  for (const RunRow& row : comparison.rows) {
    const RetryCounts& retry = row.retry();
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td>"
                        "<td>{}</td><td>{}/{}</td><td>{} ({})</td><td>{}</td><td>{}/{}</td><td><code>{}</code></td></tr>\n",
                        escape(row.strategy()), grouped(row.buyers()), row.run, verdict_name(row.verdict()), grouped(row.sold()),
                        grouped(row.tickets()), format_rate(row.sales_per_s()), format_seconds(row.buy().p99),
                        grouped(row.anomaly_total()), grouped(retry.serialization_failures),
                        grouped(retry.deadlock_failures), grouped(retry.retried), grouped(retry.retries),
                        grouped(retry.failed), format_seconds(row.connect().median_s), format_seconds(row.connect().max_s),
                        escape(row.repeat_command));
  }
  return html + "</tbody></table></details>\n";
}

std::string context_html(const Context& c) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"ticketsim", fmt::format("{} ({})", c.ticketsim_version, c.git_revision)},
      {"build", fmt::format("{}, {}", c.build_type, c.compiler)},
      {"CPU", fmt::format("{}, {} of {} usable", c.cpu_model, c.cpus_usable, c.cpus_online)},
      {"kernel", c.kernel},
      {"stores on", fmt::format("{} ({})", c.store_filesystem, c.store_dir)},
      {"SQLite, Boost", fmt::format("{}, {}", c.sqlite_version, c.boost_version)},
      {"scenario", fmt::format("{} (sha256 {})", c.scenario_file, c.scenario_sha256)},
      {"seed", std::to_string(c.seed)},
      {"started", c.started_at},
      {"command", c.command_line},
  };
  std::string html = "<table id=\"context\"><tbody>\n";
  for (const auto& [key, value] : rows) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(key),
                        key == "command" ? "<code>" + escape(value) + "</code>" : escape(value));
  }
  return html + "</tbody></table>\n";
}

constexpr const char* kStyle = R"(
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2rem auto; max-width: 1340px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.matrix { color: #555; margin-top: 0; }
.summary li { margin: .2rem 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1.2rem; }
figure.chart { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: .6rem; background: #fff; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e6e6e6; text-align: right; }
th:first-child, td:first-child, #context th, #context td { text-align: left; }
tr.wrong td { background: #fdecea; }
code { font-size: .85em; }
.note { color: #666; }
)";

}  // namespace

std::string comparison_html(const Comparison& comparison) {
  std::vector<Cell> cells = cells_of(comparison);
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>ticketsim: {}</title>\n<style>{}</style></head>\n<body>\n"
      "<h1>ticketsim: {}</h1>\n<p class=\"matrix\">{}</p>\n",
      escape(comparison.scenario_name), kStyle, escape(comparison.scenario_name), escape(matrix_words(comparison)));
  html += "<ul class=\"summary\">\n";
  for (const std::string& line : summary_lines(comparison, cells)) html += fmt::format("<li>{}</li>\n", escape(line));
  html += "</ul>\n<div class=\"charts\">\n";
  if (!comparison.rows.empty()) {
    html += sales_chart(comparison, cells);
    html += p99_chart(comparison, cells);
    html += anomaly_chart(comparison, cells);
    html += inventory_chart(comparison);
    html += latency_distribution_chart(comparison);
  }
  html += "</div>\n<h2>Cells</h2>\n" + table_html(comparison, cells);
  html += "<p class=\"note\">Relative: median sales/s against the fastest strategy at the same buyer count that "
          "was correct in every run.</p>\n";
  html += runs_html(comparison);
  html += "<h2>Context</h2>\n" + context_html(comparison.context);
  html += "</body></html>\n";
  return html;
}

}  // namespace ticketsim
