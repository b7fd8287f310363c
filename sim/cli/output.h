// What every command that writes files shares: checking an output path
// before anything runs, writing it whole or not at all, and the exports.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/report/comparison.h"
#include "sim/report/progress_printer.h"
#include "sim/runner.h"

namespace ticketsim {

// Fails early (InputError), before a long run, if a result could not be
// written at `path`.
void check_output_path(const std::string& path);

// Writes through a temporary file and a rename, so that a failed write never
// leaves half a file where a whole one was. Throws OutputError.
void write_file_atomically(const std::string& path, const std::string& text);

// Refuses (InputError), before anything runs, an export whose format is
// unknown or whose file could not be written. `known` tells a format by its
// extension; `formats` lists them for the message.
void check_exports(const std::vector<std::string>& paths,
                   bool (*known)(std::string_view extension), std::string_view formats);
// The same for the comparison exports (.json, .csv, .md, .html).
void check_exports(const std::vector<std::string>& paths);

// Writes `comparison` to each path, in the format its extension names.
void write_exports(const Comparison& comparison, const std::vector<std::string>& paths);

// -P: progress lines on stderr, or one live line on a terminal, each after
// `*prefix` when it is given and not empty.
void watch_progress(RunOptions& options, std::optional<double> seconds, ProgressPrinter& printer,
                    const std::string* prefix = nullptr);

// Where the stores of a command go: the --store file's directory, the
// --store-dir, or the default parent of run directories.
std::filesystem::path store_dir_of(const std::string& store_dir, const std::string& store_file);

}  // namespace ticketsim
