// `ticketsim init [FILE]`: writes a scenario to start from, every key with
// its default and a comment, never over an existing file unless --force.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "sim/cli/commands.h"
#include "sim/cli/output.h"
#include "sim/errors.h"

namespace ticketsim {
namespace {

// Every key of docs/scenarios.md ("Key reference"): those a run needs set,
// the others at their default. `ticketsim validate` passes it (tested).
constexpr const char* kTemplate = R"(# A ticketsim scenario: buyer processes race to buy tickets from one store.
# Every key is here with its default; docs/scenarios.md describes each.
# Check it with `ticketsim validate FILE`, run it with `ticketsim run FILE`.

name = "my-scenario"          # default: the file name without .toml
description = ""              # default: empty
strategy = "named-mutex"      # required (or strategies): `ticketsim strategies` lists them
tickets = 100                 # required: 0 to 100,000,000
buyers = 4                    # required: 1 to 32,768 buyer processes
attempts = 1                  # default 1: purchases per buyer, 1 to 10^9, or "until-sold-out"
mode = "concurrent"           # default "concurrent" (start all, then join all), or "serial"
seed = 1                      # default 1: the delays' jitter and which buyers the faults hit
lock_timeout = "10s"          # default "10s": longest wait for a lock or a seller's reply; then stuck
monitor_interval = 0          # default 0 (no monitor): or how often a monitor reads the count, e.g. "10ms"

# The comparison matrix, for `ticketsim compare` (`run` refuses a file with
# more than one strategy or buyer count unless --strategy and --buyers pick one):
# strategies = ["named-mutex", "sqlite"]  # instead of strategy: each listed once
# buyers = [1, 2, 4, 8]                   # instead of one number: each listed once
runs = 3                      # default 3: measured runs per cell of compare, 1 to 1000
warmup = 0                    # default 0: runs per cell before those, not recorded, 0 to 1000

[delays]
search = 0                    # default 0: slept before the search's read, e.g. "100ms"
purchase = 0                  # default 0: slept between the purchase's read and its write
jitter = 0.0                  # default 0: 0 to 1, each delay scaled by a factor in [1 - jitter, 1 + jitter]

[store]
json_write = "truncate"       # default "truncate" (the seed's), or "rename"; plain only
journal_mode = "wal"          # default "wal", or "delete"; SQLite only
synchronous = "normal"        # default "normal", or "off" or "full"; SQLite only

# [postgres]                  # the PostgreSQL strategies only
# conninfo = "host=/run/postgresql dbname=tickets"  # default: a server the run starts itself
# isolation = "serializable"  # default: each strategy's own; "read-committed", "repeatable-read", "serializable"
# max_tries = 100             # default 100: tries of a purchase that fails with 40001 or 40P01
# synchronous_commit = "on"   # default "on"; "off", "local", "remote_write", "remote_apply"
# fsync = true                # default true: the run's own server only
# full_page_writes = true     # default true: the run's own server only

# [redis]                     # the Redis strategies only
# url = "unix:///run/redis/redis-server.sock"  # default: a server the run starts itself
# appendonly = false          # default false: the run's own server only
# appendfsync = "everysec"    # default "everysec"; "always", "no"; the run's own server only
# max_tries = 100             # default 100: tries of a redis-watch purchase whose EXEC aborts

# [[faults]]                  # none by default; as many tables as you like
# action = "kill"             # required: "kill" (SIGKILL), "terminate" (SIGTERM) or "pause"
# target = "buyers"           # default "buyers", or "seller" (a strategy with a seller; kill only)
# point = "in-critical-section"  # default; or "before-lock", "after-write-before-ack"
# count = 1                   # default 1: how many buyers, chosen from the seed
# attempt = 1                 # default 1: at which purchase; for the seller, after how many sales
# duration = "500ms"          # pause only, and required for a pause

[expect]
verdict = "valid"             # default "valid", or "invalid" or "stuck"
)";

class InitCommand : public Command {
 public:
  explicit InitCommand(CLI::App& parent)
      : Command(parent.add_subcommand("init", "Write a scenario to start from: every key, its default, a comment")) {
    app()->add_option("file", path_, "Where to write it (default scenario.toml)");
    app()->add_flag("--force", force_, "Replace FILE if it exists");
  }

  int execute(const std::vector<std::string>&) override {
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) {
      throw InputError(fmt::format("{}: is a directory; name the scenario file to write", path_));
    }
    if (!force_ && std::filesystem::symlink_status(path_, ec).type() != std::filesystem::file_type::not_found) {
      throw InputError(fmt::format("{}: already exists; nothing was changed: pass --force to replace it", path_));
    }
    check_output_path(path_, "the scenario");
    write_file_atomically(path_, kTemplate, "the scenario");
    fmt::print("{}: written; check it with `ticketsim validate {}`, run it with `ticketsim run {}`\n", path_, path_,
               path_);
    return kExitAsExpected;
  }

 private:
  std::string path_ = "scenario.toml";
  bool force_ = false;
};

}  // namespace

std::unique_ptr<Command> add_init_command(CLI::App& app) { return std::make_unique<InitCommand>(app); }

}  // namespace ticketsim
