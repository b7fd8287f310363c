// libFuzzer target: the scenario parser. Any input must either parse or be
// refused with one InputError line that names the file; nothing else (no
// crash, no other exception, no sanitizer report) is allowed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    ticketsim::Scenario scenario = ticketsim::parse_scenario(text, "fuzz.toml");
    if (scenario.buyers < 1 || scenario.tickets < 0 || scenario.strategy.empty()) std::abort();
  } catch (const ticketsim::InputError& e) {
    std::string_view message = e.what();
    if (message.find('\n') != std::string_view::npos || !message.starts_with("fuzz.toml")) std::abort();
  }
  return 0;
}
