// The seed's load (its buyers searching, then buying until sold out, on
// the plain store) and what it is held against: its floor (forking and
// reaping as many processes that do nothing, plus the same store work by
// one process) and the seed's own Python program.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ticketsim {

// Seconds to fork `count` processes that exit at once, and wait for them.
double raw_fork_seconds(std::int64_t count);

// Seconds for one process to do the seed's store work on a fresh plain
// store of `tickets` in a directory under `parent`: what each of `buyers`
// buyers does in the seed's scenario (one attempt each), one after the
// other: a search, then a purchase (`tickets` sold, the rest sold out).
// Throws RunError when the store does not end with what those sales leave.
double seed_store_seconds(const std::filesystem::path& parent, std::int64_t buyers, std::int64_t tickets);

// A command run to its end, its output kept (never shown as it comes).
struct CommandRun {
  double seconds = 0;  // wall time, fork to reaped
  int status = 0;      // waitpid's
  std::string out;
  std::string err;
};

// Runs `argv` with its output going to files in `scratch`, read back.
CommandRun run_command(const std::vector<std::string>& argv, const std::filesystem::path& scratch);

// One run of bench/seed_peer.py.
struct PeerRun {
  double seconds = 0;
  std::int64_t crashed = 0;      // buyers whose process exited non-zero
  std::int64_t torn_reads = 0;   // of those, the ones that died on a torn read (a JSONDecodeError)
};

// Runs the peer at `buyers` and `tickets` in `scratch`; its stderr (the
// crashed children's tracebacks) is read, never printed. Throws RunError
// when the peer itself fails, with the last line it wrote.
PeerRun run_seed_peer(const std::filesystem::path& peer, std::int64_t buyers, std::int64_t tickets,
                      const std::filesystem::path& scratch);

// From the peer's stdout and stderr (exposed for tests): the crash count it
// printed ("crashed N") and the torn reads in its tracebacks.
PeerRun parse_seed_peer_output(const std::string& out, const std::string& err);

}  // namespace ticketsim
