// The context of a result: what ran, where and how, so that a reader can
// tell two results apart and repeat one. Collected once per command; kept
// in every JSON result and shown by every report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ticketsim {

struct Context {
  std::string ticketsim_version;
  std::string git_revision;  // `git describe --always --dirty` at build time
  std::string build_type;    // meson buildtype
  std::string compiler;
  std::string cpu_model;
  int cpus_online = 0;
  int cpus_usable = 0;       // in this process's affinity mask
  std::string kernel;        // uname: sysname release version machine
  std::string store_dir;     // where the stores were made
  std::string store_filesystem;  // "tmpfs", "ext4", ...
  std::string sqlite_version;
  std::string boost_version;
  std::string scenario_file;
  std::string scenario_sha256;  // of the file's bytes
  std::uint64_t seed = 0;
  std::string command_line;  // the exact command, quoted for a POSIX shell
  std::string started_at;    // UTC, ISO 8601
};

// Reads the machine and the build. `store_dir` is where stores are made;
// `argv` is the command as given.
Context collect_context(const std::filesystem::path& store_dir, const std::string& scenario_file,
                        std::uint64_t seed, const std::vector<std::string>& argv);

// SHA-256 of a file's bytes in hex, or "" when it cannot be read.
std::string file_sha256(const std::filesystem::path& path);

// `words` joined into one command line a POSIX shell reads back as them.
std::string shell_command(const std::vector<std::string>& words);

nlohmann::json context_json(const Context& context);
// Reads what context_json wrote; missing keys stay empty.
Context context_from_json(const nlohmann::json& json);

// Two lines for the terminal: the build and the machine.
std::string context_lines(const Context& context);

}  // namespace ticketsim
