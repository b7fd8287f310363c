// libFuzzer target: the JSON store reader. Any bytes must give a count or a
// reason, never a crash or an exception: a torn store is a counted anomaly.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/json_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string problem;
  std::optional<std::int64_t> count = ticketsim::parse_count_document(text, &problem);
  if (!count && problem.empty()) std::abort();
  // What the store writes, it must read back.
  if (count) {
    std::string again;
    if (ticketsim::parse_count_document(ticketsim::count_document(*count), &again) != count) std::abort();
  }
  return 0;
}
