// What every command that writes files shares: checking an output path
// before anything runs, writing it whole or not at all, and the exports.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/linearizability.h"
#include "sim/report/comparison.h"
#include "sim/report/progress_printer.h"
#include "sim/runner.h"

namespace ticketsim {

// Fails early (InputError), before a long run, if `what` ("the result",
// "the log") could not be written at `path`: its directory must exist, and
// the temporary file the write goes through is made and removed there, so
// that the system's own reason is given.
void check_output_path(const std::string& path, std::string_view what = "the result");

// Writes through a temporary file and a rename, so that a failed write never
// leaves half a file where a whole one was. Throws OutputError with the
// system's reason.
void write_file_atomically(const std::string& path, const std::string& text, std::string_view what = "the result");

// A file a command reads or writes, and the flag (or word) that named it.
struct NamedPath {
  std::string flag;  // "--json", "the scenario"
  std::string path;  // empty: not given
};

// Refuses (InputError), before anything runs, two of `paths` that are the
// same file: by identity where it exists, else by normalized absolute path.
// One line naming both.
void check_distinct(const std::vector<NamedPath>& paths);

// The extension of `path` in lower case: ".html" for R.HTML.
std::string lower_extension(const std::string& path);

// Refuses (InputError) a --store-dir that is not a writable directory, and
// removes what killed runs left there and in the default places.
void prepare_store_dir(const std::string& store_dir);

// Refuses (InputError), before anything runs, an export whose format is
// unknown or whose file could not be written. `known` tells a format by its
// extension; `formats` lists them for the message.
void check_exports(const std::vector<std::string>& paths,
                   bool (*known)(std::string_view extension), std::string_view formats);
// The same for the comparison exports (.json, .csv, .md, .html).
void check_exports(const std::vector<std::string>& paths);

// Refuses (InputError), before anything runs, a --history FILE whose
// format is unknown (.jsonl or .edn) or that could not be written.
void check_history_output(const std::string& path);

// compare --history DIR: the file of one run of a cell in DIR.
std::string history_file_in(const std::string& dir, const std::string& strategy, std::int64_t buyers,
                            std::int64_t run);

// Refuses (InputError), before anything runs, a --history DIR that is not a
// writable directory (one that does not exist is made), or that already
// holds one of `files`: nothing the user has is overwritten.
void check_history_dir(const std::string& dir, const std::vector<std::string>& files);

// --linearizable and its budget, on run and check.
inline constexpr double kDefaultLinearizableSeconds = 10;
void add_linearizable_options(CLI::App& app, bool& linearizable, double& budget_s);
LinearizabilityBudget budget_of(double seconds);

// Writes `comparison` to each path, in the format its extension names.
void write_exports(const Comparison& comparison, const std::vector<std::string>& paths);

// How often the live line is rewritten when stderr is a terminal and no -P
// was given.
inline constexpr double kTerminalProgressSeconds = 2.0;

// -P: progress lines on stderr, or one live line on a terminal, each after
// `*prefix` when it is given and not empty. Without -P: the live line every
// kTerminalProgressSeconds when stderr is a terminal, else nothing.
void watch_progress(RunOptions& options, std::optional<double> seconds, ProgressPrinter& printer,
                    const std::string* prefix = nullptr);

// Where the stores of a command go: the --store file's directory, the
// --store-dir, or the default parent of run directories.
// This program's path (/proc/self/exe), for a command that runs it again;
// `fallback` (argv[0]) when that cannot be read.
std::string this_program(const std::string& fallback);

// The whole text of `path`. Throws InputError naming it.
std::string read_text_file(const std::string& path);

std::filesystem::path store_dir_of(const std::string& store_dir, const std::string& store_file);

}  // namespace ticketsim
