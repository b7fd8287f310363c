#include "sim/errors.h"

#include <fmt/format.h>

namespace ticketsim {

InputError::InputError(const std::string& message) : std::runtime_error([&] {
  std::string line;
  for (char c : message) {
    if (c == '\n') line += "\\n";
    else if (c == '\r') line += "\\r";
    else if (c == '\t') line += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) line += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else line += c;
  }
  return line;
}()) {}

}  // namespace ticketsim
