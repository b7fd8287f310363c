#include "sim/report/context.h"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <boost/version.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "sim/report/build_info.h"
#include "sim/run_directory.h"

#ifndef TICKETSIM_BUILD_TYPE
#define TICKETSIM_BUILD_TYPE "unknown"
#endif
#ifndef TICKETSIM_COMPILER
#define TICKETSIM_COMPILER "unknown"
#endif

namespace ticketsim {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      std::size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string kernel() {
  utsname name{};
  if (uname(&name) != 0) return "unknown";
  return fmt::format("{} {} {} {}", name.sysname, name.release, name.version, name.machine);
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(now));
}

}  // namespace

std::string file_sha256(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return "";  // a directory opens, then fails to read
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return "";
  std::string bytes = text.str();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) return "";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string shell_command(const std::vector<std::string>& words) {
  std::string line;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (!line.empty()) line += ' ';
    bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                         "0123456789_-+=.,/:@%") == std::string::npos;
    // A first word with '=' would be read as an assignment.
    if (i == 0 && word.find('=') != std::string::npos) plain = false;
    if (plain) {
      line += word;
      continue;
    }
    line += '\'';
    for (char c : word) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

Context collect_context(const std::filesystem::path& store_dir, const std::string& scenario_file,
                        std::uint64_t seed, const std::vector<std::string>& argv) {
  Context context;
  context.ticketsim_version = TICKETSIM_VERSION;
  context.git_revision = TICKETSIM_GIT_REVISION;
  context.build_type = TICKETSIM_BUILD_TYPE;
  context.compiler = TICKETSIM_COMPILER;
  context.cpu_model = cpu_model();
  context.cpus_online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t usable;
  CPU_ZERO(&usable);
  context.cpus_usable = sched_getaffinity(0, sizeof usable, &usable) == 0 ? CPU_COUNT(&usable) : context.cpus_online;
  context.kernel = kernel();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(store_dir, ec);
  context.store_dir = (ec ? store_dir : absolute).string();
  context.store_filesystem = filesystem_type(store_dir);
  context.sqlite_version = sqlite3_libversion();
  context.boost_version = fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
  context.scenario_file = scenario_file;
  context.scenario_sha256 = file_sha256(scenario_file);
  context.seed = seed;
  context.command_line = shell_command(argv);
  context.started_at = utc_now();
  return context;
}

nlohmann::json context_json(const Context& c) {
  return {{"ticketsim_version", c.ticketsim_version},
          {"git_revision", c.git_revision},
          {"build_type", c.build_type},
          {"compiler", c.compiler},
          {"cpu_model", c.cpu_model},
          {"cpus_online", c.cpus_online},
          {"cpus_usable", c.cpus_usable},
          {"kernel", c.kernel},
          {"store_dir", c.store_dir},
          {"store_filesystem", c.store_filesystem},
          {"sqlite_version", c.sqlite_version},
          {"boost_version", c.boost_version},
          {"scenario_file", c.scenario_file},
          {"scenario_sha256", c.scenario_sha256},
          {"seed", c.seed},
          {"command_line", c.command_line},
          {"started_at", c.started_at}};
}

Context context_from_json(const nlohmann::json& json) {
  Context c;
  if (!json.is_object()) return c;
  auto text = [&](const char* key) { return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : ""; };
  auto number = [&](const char* key) { return json.contains(key) && json[key].is_number_integer() ? json[key].get<int>() : 0; };
  c.ticketsim_version = text("ticketsim_version");
  c.git_revision = text("git_revision");
  c.build_type = text("build_type");
  c.compiler = text("compiler");
  c.cpu_model = text("cpu_model");
  c.cpus_online = number("cpus_online");
  c.cpus_usable = number("cpus_usable");
  c.kernel = text("kernel");
  c.store_dir = text("store_dir");
  c.store_filesystem = text("store_filesystem");
  c.sqlite_version = text("sqlite_version");
  c.boost_version = text("boost_version");
  c.scenario_file = text("scenario_file");
  c.scenario_sha256 = text("scenario_sha256");
  c.seed = json.contains("seed") && json["seed"].is_number_unsigned() ? json["seed"].get<std::uint64_t>() : 0;
  c.command_line = text("command_line");
  c.started_at = text("started_at");
  return c;
}

std::string context_lines(const Context& c) {
  return fmt::format("ticketsim {} ({}, {}, {}); SQLite {}, Boost {}\n"
                     "{} x {} usable of {}; {}; stores on {} ({})\n",
                     c.ticketsim_version, c.git_revision, c.build_type, c.compiler, c.sqlite_version,
                     c.boost_version, c.cpu_model, c.cpus_usable, c.cpus_online, c.kernel, c.store_filesystem,
                     c.store_dir);
}

}  // namespace ticketsim
