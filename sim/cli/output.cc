#include <fstream>
#include "sim/cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sim/errors.h"
#include "sim/report/exports.h"
#include "sim/report/history_export.h"
#include "sim/run_directory.h"

namespace ticketsim {

namespace {

std::string temporary_of(const std::string& path) { return path + ".tmp-" + std::to_string(getpid()); }

}  // namespace

void check_output_path(const std::string& path, std::string_view what) {
  std::filesystem::path target(path);
  std::filesystem::path parent = target.has_parent_path() ? target.parent_path() : ".";
  std::error_code ec;
  if (path.empty()) throw InputError(fmt::format("cannot write {} to an empty file name", what));
  if (!std::filesystem::is_directory(parent, ec)) {
    throw InputError(fmt::format("{}: cannot write {}: {} is not a directory", path, what, parent.string()));
  }
  if (std::filesystem::is_directory(target, ec)) {
    throw InputError(fmt::format("{}: cannot write {}: it is a directory", path, what));
  }
  // The write goes through this file and a rename: make it and remove it
  // now, so that what would fail after the run (a read-only or pseudo file
  // system, a directory this user may not write) fails before it, with the
  // system's reason.
  std::string temporary = temporary_of(path);
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    throw InputError(fmt::format("{}: cannot write {}: {}", path, what, std::strerror(errno)));
  }
  ::close(fd);
  ::unlink(temporary.c_str());
}

void write_file_atomically(const std::string& path, const std::string& text, std::string_view what) {
  std::string temporary = temporary_of(path);
  auto fail = [&](int error) {
    ::unlink(temporary.c_str());
    throw OutputError(fmt::format("{}: cannot write {}: {}", path, what, std::strerror(error)));
  };
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) throw OutputError(fmt::format("{}: cannot write {}: {}", path, what, std::strerror(errno)));
  for (std::size_t written = 0; written < text.size();) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      fail(error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) fail(errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail(errno);
}

void check_distinct(const std::vector<NamedPath>& paths) {
  struct Identity {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    std::filesystem::path normal;
  };
  auto identity_of = [](const std::string& path) {
    Identity id;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      id.exists = true;
      id.device = st.st_dev;
      id.inode = st.st_ino;
    }
    std::error_code ec;
    id.normal = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec).lexically_normal();
    if (ec) id.normal = std::filesystem::absolute(path, ec).lexically_normal();
    return id;
  };
  std::vector<Identity> ids;
  for (const NamedPath& named : paths) ids.push_back(identity_of(named.path));
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (paths[i].path.empty()) continue;
    for (std::size_t j = i + 1; j < paths.size(); ++j) {
      if (paths[j].path.empty()) continue;
      bool same = ids[i].exists && ids[j].exists ? ids[i].device == ids[j].device && ids[i].inode == ids[j].inode
                                                 : ids[i].normal == ids[j].normal;
      if (!same) continue;
      if (paths[i].flag == paths[j].flag) {
        throw InputError(fmt::format("{}: named twice by {}; each must be a file of its own", paths[j].path,
                                     paths[j].flag));
      }
      throw InputError(fmt::format("{}: named by both {} and {}; each must be a file of its own", paths[j].path,
                                   paths[i].flag, paths[j].flag));
    }
  }
}

std::string lower_extension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

void prepare_store_dir(const std::string& store_dir) {
  if (!store_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(store_dir, ec)) {
      throw InputError(fmt::format("--store-dir: {}: {}", store_dir,
                                   std::filesystem::exists(store_dir, ec) ? "not a directory" : "no such directory"));
    }
    if (::access(store_dir.c_str(), W_OK | X_OK) != 0) {
      throw InputError(fmt::format("--store-dir: {}: {}", store_dir, std::strerror(errno)));
    }
  }
  sweep_leftovers(store_dir.empty() ? std::vector<std::filesystem::path>{}
                                    : std::vector<std::filesystem::path>{store_dir});
}

void check_exports(const std::vector<std::string>& paths, bool (*known)(std::string_view extension),
                   std::string_view formats) {
  for (const std::string& path : paths) {
    std::string extension = lower_extension(path);
    if (!known(extension)) {
      throw InputError(fmt::format("{}: unknown export format '{}'; use {}", path,
                                   std::filesystem::path(path).extension().string(), formats));
    }
    check_output_path(path, "the export");
  }
  std::vector<NamedPath> named;
  for (const std::string& path : paths) named.push_back({"--export", path});
  check_distinct(named);
}

void check_exports(const std::vector<std::string>& paths) { check_exports(paths, is_export_format, kExportFormats); }

void check_history_output(const std::string& path) {
  if (!history_format_known(lower_extension(path))) {
    throw InputError(fmt::format("--history: {}: unknown history format '{}'; use .jsonl or .edn", path,
                                 std::filesystem::path(path).extension().string()));
  }
  check_output_path(path, "the history");
}

std::string history_file_in(const std::string& dir, const std::string& strategy, std::int64_t buyers,
                            std::int64_t run) {
  return (std::filesystem::path(dir) / fmt::format("{}-{}-buyers-run{}.jsonl", strategy, buyers, run)).string();
}

void check_history_dir(const std::string& dir, const std::vector<std::string>& files) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec) && !std::filesystem::create_directory(dir, ec)) {
    throw InputError(fmt::format("--history: {}: cannot make the directory: {}", dir, ec.message()));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    throw InputError(fmt::format("--history: {}: not a directory; compare writes one history per run into it", dir));
  }
  for (const std::string& file : files) {
    if (std::filesystem::exists(file, ec)) {
      throw InputError(fmt::format("--history: {}: exists; give a directory without the histories of an earlier "
                                   "compare", file));
    }
  }
  if (!files.empty()) check_output_path(files.front(), "the history");
}

void add_linearizable_options(CLI::App& app, bool& linearizable, double& budget_s) {
  app.add_flag("--linearizable", linearizable,
               "Also check the history completely for linearizability against a sequential ticket store "
               "(answers linearizable, not linearizable or unknown)");
  app.add_option("--linearizable-budget", budget_s,
                 fmt::format("Seconds the linearizability search may take before it answers unknown (default {})",
                             kDefaultLinearizableSeconds))
      ->check(CLI::Range(0.001, 86400.0));
}

LinearizabilityBudget budget_of(double seconds) {
  LinearizabilityBudget budget;
  budget.time = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  return budget;
}

void write_exports(const Comparison& comparison, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    write_file_atomically(path, export_text(comparison, lower_extension(path)), "the export");
  }
}

void watch_progress(RunOptions& options, std::optional<double> seconds, ProgressPrinter& printer,
                    const std::string* prefix) {
  // Without -P, a terminal still gets one live line, rewritten every 2 s,
  // so that a long run says something; a pipe or a file gets nothing.
  if (!seconds && ::isatty(STDERR_FILENO)) seconds = kTerminalProgressSeconds;
  if (!seconds) return;
  options.progress_interval = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*seconds));
  options.on_progress = [&printer, prefix](const Progress& progress) {
    printer.print(prefix && !prefix->empty() ? *prefix + " " + progress_line(progress) : progress_line(progress));
  };
}

std::filesystem::path store_dir_of(const std::string& store_dir, const std::string& store_file) {
  if (!store_file.empty()) {
    std::filesystem::path file(store_file);
    return file.has_parent_path() ? file.parent_path() : ".";
  }
  return store_dir.empty() ? RunDirectory::default_parent() : std::filesystem::path(store_dir);
}

}  // namespace ticketsim

namespace ticketsim {

std::string this_program(const std::string& fallback) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec || self.empty() ? fallback : self.string();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InputError(fmt::format("{}: cannot read it", path));
  return text;
}

}  // namespace ticketsim
