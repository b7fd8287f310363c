// The HTML report of a comparison (or one run): one self-contained page,
// no script and no network, with inline SVG charts of throughput, latency,
// anomalies, tickets left and the latency distribution.
#pragma once

#include <string>

#include "sim/report/comparison.h"

namespace ticketsim {

std::string comparison_html(const Comparison& comparison);

}  // namespace ticketsim
