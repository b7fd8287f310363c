// Counts in words, for every message a person reads: the stores' own (a
// stuck lock's waiters), the checker's examples, the reports. Here, in the
// lowest layer, so that each of them says it the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ticketsim {

// "12,345": a count with thousands separators, as every number a person
// reads is written (the reports, the progress line, the stores' messages).
std::string grouped(std::int64_t n);

// "1 buyer", "3 buyers", "1,000 tickets": a count (grouped) and its word,
// with an s unless it is one.
std::string plural(std::int64_t n, std::string_view word);

// "1 strategy", "2 strategies"; "1 buyer waits", "2 buyers wait": a count
// (grouped) and the words for one and for many.
std::string plural(std::int64_t n, std::string_view one, std::string_view many);

// The Levenshtein distance between two words: for "did you mean" in the
// errors of scenario keys and of the command line.
std::size_t edit_distance(std::string_view a, std::string_view b);

// A server's messages span lines (libpq's "connection to server ... failed:
// ...\n\tIs the server running ...?", a log's tail): one line of them, for
// an error a person reads.
std::string one_line(std::string_view message);

}  // namespace ticketsim
